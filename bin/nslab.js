#!/usr/bin/env node
// nslab verify|repair <stack>: the CLI lives in cli/ (TypeScript), bundled like the runner.
require(require("../scripts/bundle.cjs").buildCli());
