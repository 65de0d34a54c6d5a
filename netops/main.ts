// netops: the runner Terraform's provisioners call. One bundled file, no shell.
//   node netops.cjs converge <lab file>      make the machine match the stack's lab file
//   node netops.cjs verify   <lab file>      list missing, extra and different objects; exit 1 if any
//   node netops.cjs apply    '<spec json>'…  ensure these resources exist as specified
//   node netops.cjs destroy  '<spec json>'…  remove them ("already gone" is success); a
//                                            `stack` spec removes everything its stack recorded
// Work is done a kind at a time (networks, endpoints, port mappings; the reverse to
// remove), all resources of a kind together: one look at the host, then waves of
// commands where batch forms of many resources run as one (exec.ts).
import { existsSync, readFileSync } from "node:fs";
import { REMOVAL_ORDER, specKey } from "../spec/keys";
import { isObjectSpec, LabFile, parseSpec, type ObjectSpec, type Spec } from "../spec/schema";
import { endpointOps } from "./endpoint";
import { run, runPlans, type Log, type Plan } from "./exec";
import { forget, record, recorded, recordedSpecs } from "./ledger";
import { networkOps } from "./network";
import { HostView } from "./observe";
import { portMappingOps } from "./portmap";
import { linkOps } from "./link";
import { namesOps } from "./names";
import { nftablesOps } from "./nftables";
import { routeOps } from "./route";
import { sandboxOps } from "./sandbox";
import { workloadOps } from "./workload";
import type { Ops } from "./resource";
import { hold, release } from "./shared-sysctl";
import { NETNS_DIR } from "./step";

function opsFor(s: ObjectSpec): Ops<ObjectSpec, unknown> {
  const table = { network: networkOps, sandbox: sandboxOps, endpoint: endpointOps, link: linkOps, portmap: portMappingOps, route: routeOps, names: namesOps, nftables: nftablesOps, workload: workloadOps } as const;
  return table[s.kind] as unknown as Ops<ObjectSpec, unknown>;
}

const log =
  (prefix: string): Log =>
  (line) => {
    process.stdout.write(`netops ${prefix}: ${line}\n`);
  };
const labelOf = (s: ObjectSpec) => opsFor(s).label(s);
const logFor = (s: ObjectSpec) => log(labelOf(s));

const hostGone = (s: Pick<Spec, "host">) => s.host !== undefined && !existsSync(`${NETNS_DIR}/${s.host}`);
const holder = (s: ObjectSpec) => `${s.stack}--${specKey(s)}`;
const APPLY_ORDER = ["network", "sandbox", "endpoint", "link", "portmap", "nftables", "route", "names", "workload"] as const;
const byRemovalOrder = (a: ObjectSpec, b: ObjectSpec) => REMOVAL_ORDER[a.kind] - REMOVAL_ORDER[b.kind];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Create the sandbox host namespace on first use (NETLAB_HOST_NETNS at synth). */
async function ensureHost(s: Pick<Spec, "host">): Promise<void> {
  if (!s.host || !hostGone(s)) return;
  const add = await run(["ip", "netns", "add", s.host]);
  // another runner may have won the race: existence is all that matters
  if (!add.ok && hostGone(s)) throw new Error(`creating sandbox host namespace ${s.host}: ${add.stderr.trim()}`);
  if (add.ok) await run(["ip", "-n", s.host, "link", "set", "lo", "up"]);
  log(`host ${s.host}`)("created sandbox host namespace");
}

/** One fresh view per host for a group of specs. */
function viewsFor(): (s: ObjectSpec) => HostView {
  const views = new Map<string, HostView>();
  return (s) => {
    const k = s.host ?? "";
    let v = views.get(k);
    if (!v) views.set(k, (v = new HostView(s)));
    return v;
  };
}

async function observeAll(specs: readonly ObjectSpec[], toRemove = false): Promise<unknown[]> {
  const view = viewsFor();
  return Promise.all(specs.map((s) => opsFor(s).observe(s, view(s), toRemove ? { claimed: recorded(s) !== null } : undefined)));
}

/** Ensure every spec, a kind at a time. A foreign object stops it before any command runs. */
export async function applySpecs(specs: readonly ObjectSpec[]): Promise<void> {
  for (const kind of APPLY_ORDER) {
    const group = specs.filter((s) => s.kind === kind);
    // A network places its FORWARD hooks relative to the other networks' (every IN hook
    // above every OUT hook), so each one looks at the firewall after the previous one
    // has changed it. There are few networks; endpoints and port mappings go together.
    if (kind === "network") for (const s of group) await applyKind([s]);
    else if (group.length) await applyKind(group);
  }
}

async function applyKind(specs: readonly ObjectSpec[]): Promise<void> {
  for (const s of specs) await ensureHost(s);
  const obs = await observeAll(specs);
  const drift = specs.map((s, i) => opsFor(s).drift(s, obs[i], recorded(s) !== null)); // throws on a foreign object
  for (const s of specs) record(s); // before the first kernel step: whatever happens next, the stack knows it owns these
  const held: [ObjectSpec, string][] = [];
  try {
    for (const s of specs) {
      for (const [key, value] of Object.entries(opsFor(s).sysctls?.(s) ?? {})) {
        if (await hold(s, key, value, holder(s), logFor(s))) held.push([s, key]);
      }
    }
    const plans: Plan[] = [];
    specs.forEach((s, i) => {
      if (drift[i].length === 0) logFor(s)("up to date");
      else plans.push({ steps: opsFor(s).converge(s, obs[i]), log: logFor(s) });
    });
    await runPlans(plans, log("rollback"));
  } catch (err) {
    for (const [s, key] of held.reverse()) await release(s, key, holder(s), logFor(s));
    throw err;
  }
}

/** Remove every spec, what hangs off first. On failure, says what is left. */
export async function removeSpecs(specs: readonly ObjectSpec[]): Promise<void> {
  const sorted = [...specs].sort(byRemovalOrder);
  try {
    for (const kind of [...APPLY_ORDER].reverse()) {
      const group = sorted.filter((s) => s.kind === kind);
      if (group.length) await removeKind(group);
    }
  } catch (err) {
    const left = await leftovers(sorted);
    throw new Error(
      `${(err as Error).message}\n` + (left.length ? `still on this machine:\n${left.map((l) => `  - ${l}`).join("\n")}` : "nothing of it is left on this machine"),
      { cause: err },
    );
  }
}

async function removeKind(specs: readonly ObjectSpec[]): Promise<void> {
  const live = specs.filter((s) => !hostGone(s));
  const obs = await observeAll(live, true);
  const plans: Plan[] = [];
  live.forEach((s, i) => {
    const steps = opsFor(s).remove(s, obs[i], recorded(s) !== null);
    if (steps.length === 0) logFor(s)("already gone");
    plans.push({ steps, log: logFor(s) });
  });
  for (const s of specs.filter(hostGone)) logFor(s)("already gone (no sandbox host)");
  await runPlans(plans, log("rollback")); // remove steps carry no undo: a failure stops here and is reported
  await settle(live);
  for (const s of specs) {
    for (const key of Object.keys(opsFor(s).sysctls?.(s) ?? {})) await release(s, key, holder(s), logFor(s));
    forget(s);
  }
}

/**
 * Wait until the kernel has finished removing (a namespace's veth goes a moment after
 * the namespace). What is still there after FINISH_AFTER_MS is held by something (a
 * process in the namespace): its `finish` step removes it, and the wait goes on.
 */
const FINISH_AFTER_MS = 300;
async function settle(specs: readonly ObjectSpec[]): Promise<void> {
  let pending = specs.filter((s) => opsFor(s).gone);
  const t0 = Date.now();
  let finished = false;
  for (let i = 0; pending.length && i < 500; i++) {
    const view = viewsFor();
    const gone = await Promise.all(pending.map((s) => opsFor(s).gone!(s, view(s))));
    pending = pending.filter((_, j) => !gone[j]);
    if (pending.length && !finished && Date.now() - t0 > FINISH_AFTER_MS) {
      finished = true;
      await runPlans(pending.flatMap((s) => { const f = opsFor(s).finish?.(s); return f ? [{ steps: [f], log: logFor(s) }] : []; }), log("rollback"));
    }
    if (pending.length) await sleep(20); // each look lists every link of the host: not too often
  }
  if (pending.length) throw new Error(`still being removed by the kernel after 10 s: ${pending.map(labelOf).join(", ")}`);
}

/** What is left of each resource, one line each, for the error message of a failed removal. */
async function leftovers(specs: readonly ObjectSpec[]): Promise<string[]> {
  try {
    const live = specs.filter((s) => !hostGone(s));
    const obs = await observeAll(live, true);
    return live.flatMap((s, i) => opsFor(s).remove(s, obs[i], recorded(s) !== null).map((st) => st.what.replace(/^(delete|remove|unpublish) /, "")));
  } catch (err) {
    return [`(could not look: ${(err as Error).message})`];
  }
}

const same = (a: ObjectSpec, b: ObjectSpec) => JSON.stringify(a) === JSON.stringify(b);

/**
 * What must go before `desired` is applied: what the stack recorded and no longer
 * declares, what is declared differently (rebuilt, as Terraform replaces the resource),
 * and what hangs off something rebuilt (a network's endpoints and port mappings, an
 * endpoint's port mappings), as Terraform replaces children whose parent's id changed.
 */
export function staleOf(recordedSpecs_: readonly ObjectSpec[], desired: readonly ObjectSpec[]): ObjectSpec[] {
  const want = new Map(desired.map((s) => [specKey(s), s]));
  const stale = new Set(recordedSpecs_.filter((r) => !want.has(specKey(r)) || !same(want.get(specKey(r))!, r)));
  const nets = new Set([...stale].flatMap((s) => (s.kind === "network" ? [s.bridge] : [])));
  for (const r of recordedSpecs_) if ((r.kind === "endpoint" || r.kind === "portmap") && nets.has(r.bridge)) stale.add(r);
  const eps = [...stale].flatMap((s) => (s.kind === "endpoint" ? [s] : []));
  // namespaces made anew: what lives inside them goes with them
  const newNs = new Set([...stale].flatMap((s) => (s.kind === "sandbox" || (s.kind === "endpoint" && !s.shared) ? [s.netns] : [])));
  for (const r of recordedSpecs_) {
    if (r.kind === "endpoint" && r.shared && newNs.has(r.netns)) stale.add(r);
    if (r.kind === "link" && (newNs.has(r.a.netns) || newNs.has(r.b.netns))) stale.add(r);
  }
  // interfaces made anew: routes in their namespace (or over a rebuilt bridge) are gone with them
  const ifNs = new Set([...stale].flatMap((s) => (s.kind === "endpoint" ? [s.netns] : s.kind === "link" ? [s.a.netns, s.b.netns] : s.kind === "sandbox" ? [s.netns] : [])));
  for (const r of recordedSpecs_) {
    if (r.kind === "portmap" && eps.some((e) => e.bridge === r.bridge && e.address === r.address)) stale.add(r);
    // a process in a rebuilt namespace is in the old one: start it again in the new one
    if (r.kind === "workload" && r.netns && newNs.has(r.netns)) stale.add(r);
    if (r.kind === "route" && ((r.netns && ifNs.has(r.netns)) || (!r.netns && r.dev && nets.has(r.dev)))) stale.add(r);
  }
  return [...stale];
}

/** Make the machine match the lab: remove what is stale, then ensure every declared object. */
export async function converge(lab: LabFile, desired: readonly ObjectSpec[]): Promise<void> {
  await ensureHost(lab);
  const have = recordedSpecs(lab);
  const stale = staleOf(have, desired);
  const declared = new Set(desired.map(specKey));
  for (const s of [...stale].sort(byRemovalOrder)) logFor(s)(declared.has(specKey(s)) ? "changed: rebuilding" : `no longer declared by stack ${lab.stack}: removing`);
  if (stale.length) await removeSpecs(stale);
  await applySpecs(desired);
}

export async function verifyLab(lab: LabFile, desired: readonly ObjectSpec[]): Promise<string[]> {
  const declared = new Set(desired.map(specKey));
  const extra = recordedSpecs(lab)
    .filter((r) => !declared.has(specKey(r)))
    .map((r) => `${labelOf(r)}: extra: on this machine, no longer declared by stack ${lab.stack}`);
  return [...extra, ...(await verifySpecs(desired))];
}

export async function verifySpecs(specs: readonly ObjectSpec[]): Promise<string[]> {
  if (specs.some(hostGone)) return [`missing: sandbox host namespace ${specs[0].host}`];
  const obs = await observeAll(specs);
  return specs.flatMap((s, i) => opsFor(s).drift(s, obs[i], recorded(s) !== null).map((d) => `${labelOf(s)}: ${d}`));
}

/** The lab file and the specs in it, each validated; they must belong to the lab's stack and host. */
export function readLab(path: string): { lab: LabFile; specs: ObjectSpec[] } {
  const lab = LabFile.parse(JSON.parse(readFileSync(path, "utf8")));
  const specs = lab.specs.map((j) => parseSpec(j));
  for (const s of specs) {
    if (s.kind === "stack" || s.kind === "sweep") throw new Error(`${path}: a lab file holds object specs only, not ${s.kind}`);
    if (s.stack !== lab.stack || s.host !== lab.host) throw new Error(`${path}: spec of stack ${s.stack} on ${s.host ?? "the host"} in the lab of ${lab.stack}`);
  }
  return { lab, specs: specs as ObjectSpec[] };
}


async function main(argv: string[]): Promise<number> {
  const [cmd, ...args] = argv;
  const usage = () => {
    process.stderr.write("usage: netops converge|verify <lab file> | netops apply|destroy|verify '<spec json>'...\n");
    return 2;
  };
  if (args.length === 0) return usage();
  const isFile = !args[0].trimStart().startsWith("{");
  if (isFile) {
    const { lab, specs } = readLab(args[0]);
    if (cmd === "converge") return converge(lab, specs).then(() => 0);
    if (cmd !== "verify") return usage();
    const drift = await verifyLab(lab, specs);
    for (const line of drift) process.stdout.write(`${line}\n`);
    return drift.length ? 1 : 0;
  }
  const specs = args.map((j) => parseSpec(JSON.parse(j)));
  const objects = specs.filter(isObjectSpec);
  if (cmd === "apply") {
    for (const s of specs) if (!isObjectSpec(s)) await ensureHost(s); // the owner needs nothing else on create
    await applySpecs(objects);
  } else if (cmd === "destroy") {
    await removeSpecs(objects);
    // the owner goes last: whatever its stack still has recorded goes with it (creates that
    // failed or were killed, which Terraform never destroys itself)
    for (const s of specs) if (s.kind === "stack") await removeSpecs(recordedSpecs(s));
  } else if (cmd === "verify") {
    const drift = await verifySpecs(objects);
    for (const line of drift) process.stdout.write(`${line}\n`);
    return drift.length ? 1 : 0;
  } else return usage();
  // v1 sweep specs (the previous way of finding removed constructs) still do their job
  for (const s of specs) {
    if (s.kind === "sweep" && cmd === "apply") {
      const keep = new Set(s.keep);
      await removeSpecs(recordedSpecs(s).filter((r) => !keep.has(specKey(r))));
    }
  }
  return 0;
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
