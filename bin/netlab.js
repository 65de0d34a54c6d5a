#!/usr/bin/env node
// netlab verify|repair <stack>: the CLI lives in cli/ (TypeScript), bundled like the runner.
require(require("../scripts/bundle.cjs").buildCli());
