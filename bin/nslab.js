#!/usr/bin/env node
// nslab <verb> ...: the CLI lives in cli/ (TypeScript; main.ts lists the verbs), bundled
// like the runner into dist/nslab.cjs, which the package ships. In this repository it is
// rebuilt first when its sources changed.
const { existsSync } = require("node:fs");
const { join } = require("node:path");

const scripts = join(__dirname, "..", "scripts", "bundle.cjs");
require(existsSync(scripts) ? require(scripts).buildCli() : join(__dirname, "..", "dist", "nslab.cjs"));
