import { buildRunner } from "../constructs/runner-bundle";
console.log(`netops runner: ${buildRunner()}`);
