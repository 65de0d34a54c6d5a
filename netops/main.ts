// netops: the runner Terraform's provisioners call. One bundled file, no shell.
//   node netops.cjs apply   '<spec json>'   ensure the resource exists as specified
//   node netops.cjs destroy '<spec json>'   remove it; "already gone" is success
//   node netops.cjs verify  '<spec json>'…  list drift, exit 1 if any
import { parseSpec, type Spec } from "../spec/schema";
import { endpointOps } from "./endpoint";
import { run, runAll } from "./exec";
import { forget, record, recorded } from "./ledger";
import { networkOps } from "./network";
import { portMappingOps } from "./portmap";
import type { Ops } from "./resource";
import { NETNS_DIR } from "./step";
import { existsSync } from "node:fs";

function opsFor(s: Spec): Ops<Spec, unknown> {
  const table = { network: networkOps, endpoint: endpointOps, portmap: portMappingOps } as const;
  return table[s.kind] as unknown as Ops<Spec, unknown>;
}

const log = (prefix: string) => (line: string) => {
  process.stdout.write(`netops ${prefix}: ${line}\n`);
};

/** Create the sandbox host namespace on first use (NETLAB_HOST_NETNS at synth). */
async function ensureHost(s: Spec): Promise<void> {
  if (!s.host || existsSync(`${NETNS_DIR}/${s.host}`)) return;
  const add = await run(["ip", "netns", "add", s.host]);
  // another runner may have won the race: existence is all that matters
  if (!add.ok && !existsSync(`${NETNS_DIR}/${s.host}`)) throw new Error(`creating sandbox host namespace ${s.host}: ${add.stderr.trim()}`);
  if (add.ok) await run(["ip", "-n", s.host, "link", "set", "lo", "up"]);
  log(`host ${s.host}`)("created sandbox host namespace");
}

export async function apply(s: Spec): Promise<void> {
  const ops = opsFor(s);
  const out = log(ops.label(s));
  await ensureHost(s);
  const obs = await ops.observe(s);
  const drift = ops.drift(s, obs, recorded(s) !== null);
  if (drift.length === 0) return out("up to date");
  record(s);
  await runAll(ops.converge(s, obs), out);
}

export async function destroy(s: Spec): Promise<void> {
  const ops = opsFor(s);
  const out = log(ops.label(s));
  if (s.host && !existsSync(`${NETNS_DIR}/${s.host}`)) {
    forget(s);
    return out("already gone (no sandbox host)");
  }
  const obs = await ops.observe(s);
  const steps = ops.remove(s, obs, recorded(s) !== null);
  if (steps.length === 0) out("already gone");
  await runAll(steps, out); // remove steps carry no undo: a failure stops here and is reported
  forget(s);
}

export async function verify(s: Spec): Promise<string[]> {
  const ops = opsFor(s);
  if (s.host && !existsSync(`${NETNS_DIR}/${s.host}`)) return [`missing: sandbox host namespace ${s.host}`];
  const obs = await ops.observe(s);
  return ops.drift(s, obs, recorded(s) !== null).map((d) => `${ops.label(s)}: ${d}`);
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...specs] = argv;
  if (!["apply", "destroy", "verify"].includes(cmd ?? "") || specs.length === 0) {
    process.stderr.write("usage: netops apply|destroy|verify '<spec json>'...\n");
    return 2;
  }
  const parsed = specs.map((j) => parseSpec(JSON.parse(j)));
  let drifted = 0;
  for (const s of parsed) {
    if (cmd === "apply") await apply(s);
    else if (cmd === "destroy") await destroy(s);
    else {
      const d = await verify(s);
      drifted += d.length;
      for (const line of d) process.stdout.write(`${line}\n`);
    }
  }
  return drifted ? 1 : 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: Error) => {
      const cmd = process.argv[2];
      process.stderr.write(`netops ${cmd}: ${err.message}\n`);
      if (cmd === "destroy") {
        process.stderr.write(
          "netops: what is listed above is still on this machine. Fix the cause and run the destroy again " +
            "(it only removes what is left), or see README 'When a destroy fails'.\n",
        );
      }
      process.exit(1);
    },
  );
}
