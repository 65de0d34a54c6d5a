// netops: the runner Terraform's provisioners call. One bundled file, no shell.
//   node netops.cjs apply   '<spec json>'…  ensure each resource exists as specified
//   node netops.cjs destroy '<spec json>'…  remove it; "already gone" is success
//   node netops.cjs verify  '<spec json>'…  list drift, exit 1 if any
import { existsSync } from "node:fs";
import { REMOVAL_ORDER, specKey } from "../spec/keys";
import { parseSpec, type ObjectSpec, type Spec, type SweepSpec } from "../spec/schema";
import { endpointOps } from "./endpoint";
import { run, runAll } from "./exec";
import { forget, record, recorded, recordedSpecs } from "./ledger";
import { networkOps } from "./network";
import { portMappingOps } from "./portmap";
import type { Ops } from "./resource";
import { hold, release } from "./shared-sysctl";
import { NETNS_DIR } from "./step";

function opsFor(s: ObjectSpec): Ops<ObjectSpec, unknown> {
  const table = { network: networkOps, endpoint: endpointOps, portmap: portMappingOps } as const;
  return table[s.kind] as unknown as Ops<ObjectSpec, unknown>;
}

const log = (prefix: string) => (line: string) => {
  process.stdout.write(`netops ${prefix}: ${line}\n`);
};

const hostGone = (s: Spec) => s.host !== undefined && !existsSync(`${NETNS_DIR}/${s.host}`);
const holder = (s: ObjectSpec) => `${s.stack}--${specKey(s)}`;

/** Create the sandbox host namespace on first use (NETLAB_HOST_NETNS at synth). */
async function ensureHost(s: Spec): Promise<void> {
  if (!s.host || !hostGone(s)) return;
  const add = await run(["ip", "netns", "add", s.host]);
  // another runner may have won the race: existence is all that matters
  if (!add.ok && hostGone(s)) throw new Error(`creating sandbox host namespace ${s.host}: ${add.stderr.trim()}`);
  if (add.ok) await run(["ip", "-n", s.host, "link", "set", "lo", "up"]);
  log(`host ${s.host}`)("created sandbox host namespace");
}

async function applyObject(s: ObjectSpec): Promise<void> {
  const ops = opsFor(s);
  const out = log(ops.label(s));
  const obs = await ops.observe(s);
  const drift = ops.drift(s, obs, recorded(s) !== null); // throws on a foreign object: nothing touched
  record(s); // before the first kernel step: whatever happens next, the stack knows it owns this
  const held: string[] = [];
  try {
    for (const [key, value] of Object.entries(ops.sysctls?.(s) ?? {})) {
      if (await hold(s, key, value, holder(s), out)) held.push(key);
    }
    if (drift.length === 0) return out("up to date");
    await runAll(ops.converge(s, obs), out);
  } catch (err) {
    for (const key of held.reverse()) await release(s, key, holder(s), out);
    throw err;
  }
}

/** What is left of a resource after a destroy failed, one line each, for the error message. */
async function leftovers(s: ObjectSpec): Promise<string[]> {
  try {
    const ops = opsFor(s);
    return ops.remove(s, await ops.observe(s), recorded(s) !== null).map((st) => st.what.replace(/^(delete|remove) /, ""));
  } catch (err) {
    return [`(could not look: ${(err as Error).message})`];
  }
}

async function destroyObject(s: ObjectSpec): Promise<void> {
  const ops = opsFor(s);
  const out = log(ops.label(s));
  const release_ = async () => {
    for (const key of Object.keys(ops.sysctls?.(s) ?? {})) await release(s, key, holder(s), out);
  };
  if (hostGone(s)) {
    await release_();
    forget(s);
    return out("already gone (no sandbox host)");
  }
  const steps = ops.remove(s, await ops.observe(s), recorded(s) !== null);
  if (steps.length === 0) out("already gone");
  try {
    await runAll(steps, out); // remove steps carry no undo: a failure stops here and is reported
  } catch (err) {
    const left = await leftovers(s);
    throw new Error(
      `${ops.label(s)}: ${(err as Error).message}\n` +
        (left.length ? `still on this machine:\n${left.map((l) => `  - ${l}`).join("\n")}` : "nothing of it is left on this machine"),
      { cause: err },
    );
  }
  await release_();
  forget(s);
}

/** Resources the stack recorded on this host and does not keep, in removal order. */
function orphans(s: Pick<SweepSpec, "host" | "stack">, keep: readonly string[]): ObjectSpec[] {
  const kept = new Set(keep);
  return recordedSpecs(s)
    .filter((o) => !kept.has(specKey(o)))
    .sort((a, b) => REMOVAL_ORDER[a.kind] - REMOVAL_ORDER[b.kind]);
}

/** Remove what the stack recorded and no longer declares, each with the spec it was applied with. */
async function sweep(s: Pick<SweepSpec, "host" | "stack">, keep: readonly string[], why: string): Promise<void> {
  const out = log(`stack ${s.stack}`);
  const gone = orphans(s, keep);
  if (gone.length === 0) return out(`${why}: nothing left to remove`);
  for (const o of gone) {
    out(`${why}: removing ${opsFor(o).label(o)}`);
    await destroyObject(o);
  }
}

export async function apply(s: Spec): Promise<void> {
  await ensureHost(s);
  if (s.kind === "stack") return log(`stack ${s.stack}`)("owner in place");
  if (s.kind === "sweep") return sweep(s, s.keep, "no longer declared");
  return applyObject(s);
}

export async function destroy(s: Spec): Promise<void> {
  // the owner goes last: whatever its stack still has recorded goes with it (creates that
  // failed or were killed are tainted, and Terraform never runs their destroy)
  if (s.kind === "stack") return sweep(s, [], "stack destroyed");
  if (s.kind === "sweep") return;
  return destroyObject(s);
}

export async function verify(s: Spec): Promise<string[]> {
  if (s.kind === "stack") return [];
  if (s.kind === "sweep") return orphans(s, s.keep).map((o) => `${opsFor(o).label(o)}: extra: on this machine, no longer declared by stack ${s.stack}`);
  const ops = opsFor(s);
  if (hostGone(s)) return [`missing: sandbox host namespace ${s.host}`];
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
          "netops: Terraform keeps this resource in its state. Fix the cause above, then run the same destroy " +
            "again (`cdktf destroy <stack>`): it removes only what is left. See README, 'When a destroy fails'.\n",
        );
      }
      process.exit(1);
    },
  );
}
