#!/usr/bin/env node
// netlab verify <stack>   compare the kernel with the synthesized stack; exit 1 on drift
// netlab repair <stack>   put drifted objects right (re-applies every spec; ensure is idempotent)
// Reads cdktf.out/stacks/<stack>/cdk.tf.json (run `cdktf synth` first, with the same
// NETLAB_HOST_NETNS as the deploy) and hands its specs to the stack's own bundled runner.
const { readFileSync } = require("node:fs");
const { join } = require("node:path");
const { spawnSync } = require("node:child_process");

// the sweep first: verify lists what was removed from the stack, repair removes it before re-applying
const ORDER = { stack: 0, sweep: 1, network: 2, endpoint: 3, portmap: 4 };

function usage() {
  process.stderr.write("usage: netlab verify|repair <stack> [--out DIR (default cdktf.out)]\n");
  process.exit(2);
}

const [verb, stack, ...rest] = process.argv.slice(2);
if (!["verify", "repair"].includes(verb) || !stack) usage();
const out = rest[0] === "--out" ? rest[1] : "cdktf.out";
const stackDir = join(out, "stacks", stack);
let tf;
try {
  tf = JSON.parse(readFileSync(join(stackDir, "cdk.tf.json"), "utf8"));
} catch (e) {
  process.stderr.write(`netlab: cannot read ${join(stackDir, "cdk.tf.json")}: ${e.message}\nRun \`npx cdktf synth\` first.\n`);
  process.exit(2);
}

const resources = [
  ...Object.values(tf.resource?.terraform_data ?? {}).map((r) => [r, r.triggers_replace]),
  ...Object.values(tf.resource?.null_resource ?? {}).map((r) => [r, r.triggers]),
].filter(([, t]) => t && typeof t.spec === "string");
if (resources.length === 0) {
  process.stderr.write(`netlab: stack ${stack} has no netlab resources\n`);
  process.exit(2);
}
const runner = resources[0][0].provisioner[0]["local-exec"].interpreter[1];
const specs = resources.map(([, t]) => t.spec).sort((a, b) => ORDER[JSON.parse(a).kind] - ORDER[JSON.parse(b).kind]);
const r = spawnSync("node", [runner, verb === "repair" ? "apply" : "verify", ...specs], { cwd: stackDir, stdio: "inherit" });
if (verb === "verify" && r.status === 0) process.stdout.write(`netlab: ${stack}: ${specs.length} resources match the kernel\n`);
process.exit(r.status ?? 1);
