#!/usr/bin/env node
// netlab verify <stack>   compare the kernel with the synthesized stack; exit 1 on drift
// netlab repair <stack>   put it right: the same converge a deploy runs when the lab changes
// Reads cdktf.out/stacks/<stack>/cdk.tf.json (run `cdktf synth` first, with the same
// NETLAB_HOST_NETNS as the deploy), finds the stack's lab file and its bundled runner.
const { readFileSync } = require("node:fs");
const { join } = require("node:path");
const { spawnSync } = require("node:child_process");

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

// the stack's gate (netlab-sweep, or netlab-apply in batched mode): its trigger is the
// lab file's path, its provisioner runs the stack's runner
const resources = [
  ...Object.values(tf.resource?.terraform_data ?? {}).map((r) => [r, r.triggers_replace]),
  ...Object.values(tf.resource?.null_resource ?? {}).map((r) => [r, r.triggers?.spec]),
];
const gate = resources.find(([, t]) => typeof t === "string" && /^netlab\/lab-[0-9a-f]+\.json$/.test(t));
if (!gate) {
  process.stderr.write(`netlab: stack ${stack} has no lab file (is it a LabStack?)\n`);
  process.exit(2);
}
const [resource, lab] = gate;
const runner = resource.provisioner[0]["local-exec"].interpreter[1];
const r = spawnSync("node", [runner, verb === "repair" ? "converge" : "verify", lab], { cwd: stackDir, stdio: "inherit" });
if (verb === "verify" && r.status === 0) {
  const n = JSON.parse(readFileSync(join(stackDir, lab), "utf8")).specs.length;
  process.stdout.write(`netlab: ${stack}: ${n} objects match the kernel\n`);
}
process.exit(r.status ?? 1);
