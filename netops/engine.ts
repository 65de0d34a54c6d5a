// Ensure and remove lab objects: the work both modes share. Called with one spec by a
// lab object's own provisioner (the default mode: Terraform's graph is the order), or
// with a whole lab by the batched converge, which goes through the registry's levels
// (model/kinds.ts) one at a time: one look at the host per kind, then waves of commands
// where the batch forms of many objects run as one (exec.ts).
import { sandboxHostOf } from "../model/schema";
import type { InspectedObject } from "../model/reports";
import { labelOf, levels, namespacesOf, needsFirewallLock, removalOrder, specKey } from "../model/kinds";
import { NAME } from "../model/name";
import type { ObjectSpec, Spec } from "../model/schema";
import { delayLineOps } from "./delayline";
import { endpointOps } from "./endpoint";
import { run, runPlans, type Log, type Plan } from "./exec";
import { forget, record, recorded } from "./ledger";
import { linkOps } from "./link";
import { withLock } from "./lock";
import { namesOps } from "./names";
import { networkOps } from "./network";
import { nftablesOps } from "./nftables";
import { HostView, netnsExists, netnsFile } from "./observe";
import { portMappingOps } from "./portmap";
import { ForeignObjectError, type Description, type Ops } from "./resource";
import { routeOps } from "./route";
import { sandboxOps } from "./sandbox";
import { hold, release } from "./shared-sysctl";
import { vxlanOps } from "./vxlan";
import { workloadOps } from "./workload";

/** Each kind's plans: typed over the kinds, so a kind added without its own fails the type-check. */
export const OPS = {
  network: networkOps,
  sandbox: sandboxOps,
  endpoint: endpointOps,
  link: linkOps,
  portmap: portMappingOps,
  route: routeOps,
  names: namesOps,
  nftables: nftablesOps,
  workload: workloadOps,
  delayline: delayLineOps,
  vxlan: vxlanOps,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each kind observes its own kind of state
} satisfies { readonly [K in ObjectSpec["kind"]]: Ops<Extract<ObjectSpec, { kind: K }>, any> };

function opsFor(s: ObjectSpec): Ops<ObjectSpec, unknown> {
  return OPS[s.kind] as unknown as Ops<ObjectSpec, unknown>;
}

/**
 * Terraform keeps only a few hundred lines of a provisioner's output when they come fast
 * (measured on Terraform 1.11: 600 lines arrive whole, of 1000 about 850, of 4000 about
 * 950, the last ones among those dropped), and a deploy's closing line is what `nslab
 * deploy` counts by. So under Terraform (`underTerraform()`), a runner prints at most
 * LINE_BUDGET step lines, counts the rest, and always prints its closing lines.
 */
const LINE_BUDGET = 300;
const lines = { budget: Infinity, printed: 0, withheld: 0 };

/** This runner was started by a Terraform provisioner: its output is bounded. */
export function underTerraform(): void {
  Object.assign(lines, { budget: LINE_BUDGET, printed: 0, withheld: 0 });
}

export const log =
  (prefix: string): Log =>
  (line) => {
    if (lines.printed >= lines.budget) return void lines.withheld++;
    lines.printed++;
    process.stdout.write(`netops ${prefix}: ${line}\n`);
  };

/** A closing line (a converge's per machine, what an owner removed): always printed, after the count of what was not. */
export const logClosing =
  (prefix: string): Log =>
  (line) => {
    if (lines.withheld)
      process.stdout.write(
        `netops ${prefix}: ... and ${lines.withheld} more lines of steps, not shown (\`nslab inspect\` shows every object)\n`,
      );
    lines.withheld = 0;
    process.stdout.write(`netops ${prefix}: ${line}\n`);
  };
export const logFor = (s: ObjectSpec) => log(labelOf(s));

export const hostGone = (s: Pick<Spec, "host">) => {
  const sandboxHost = sandboxHostOf(s);
  return sandboxHost !== undefined && !netnsExists(sandboxHost);
};
const holder = (s: ObjectSpec) => `${s.stack}--${specKey(s)}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Networks place their FORWARD hooks by position (every IN hook above every OUT hook),
// computed from a look at the firewall: one at a time per host, across runners and
// stacks, from that look to the change. Which kinds take the lock: model/kinds.ts.

/**
 * The mark on the lo of a sandbox host nslab made: destroy deletes such a namespace once no
 * stack uses it (record.ts), and leaves one made by someone else. It is on the namespace
 * itself, so a namespace made again by someone else under the same name has none. Spaces
 * make it one no stack's owner mark can be.
 */
const SANDBOX_MARK = `${NAME} sandbox host`;

/** Does this sandbox host carry nslab's mark (nslab made it)? */
export async function sandboxMark(host: string): Promise<boolean> {
  const r = await run(["ip", "-n", host, "-j", "link", "show", "dev", "lo"]);
  return r.ok && (JSON.parse(r.stdout) as { ifalias?: string }[])[0]?.ifalias === SANDBOX_MARK;
}

/**
 * Create the sandbox host namespace (NSLAB_HOST_NETNS at synth) when it is not there: a
 * deploy's steps and boot restore do, and nothing else (`gone` says so to the others).
 */
export async function ensureSandboxHost(s: Pick<Spec, "host">): Promise<void> {
  const sandboxHost = sandboxHostOf(s);
  if (!sandboxHost || !hostGone(s)) return;
  // a file left by a killed `ip netns add` is no namespace: it goes first
  if (netnsFile(sandboxHost) === "stale") await run(["ip", "netns", "del", sandboxHost]);
  const add = await run(["ip", "netns", "add", sandboxHost]);
  // another runner may have won the race: existence is all that matters
  if (!add.ok && hostGone(s)) throw new Error(`creating sandbox host namespace ${sandboxHost}: ${add.stderr.trim()}`);
  if (add.ok) await run(["ip", "-n", sandboxHost, "link", "set", "dev", "lo", "alias", SANDBOX_MARK, "up"]);
  log(`sandbox host ${sandboxHost}`)("created: a namespace standing in for this machine's own");
}

/** What a verb that must not build says when the lab's sandbox host is not there. */
export function requireHost(s: Pick<Spec, "host" | "stack">): void {
  if (!sandboxHostOf(s) || !hostGone(s)) return;
  throw new Error(
    `stack ${s.stack} is deployed in sandbox host ${sandboxHostOf(s)}, which is gone (a reboot, or deleted by hand): ` +
      `nothing is built outside a deploy. \`nslab deploy ${s.stack}\` builds it again ` +
      `(or \`nslab boot enable ${s.stack}\` before a reboot, to have it back by itself)`,
  );
}

/** One view per host for a group of specs; `narrow` when the group is one object's. */
function viewsFor(narrow: boolean): (s: ObjectSpec) => HostView {
  const views = new Map<string, HostView>();
  return (s) => {
    const k = sandboxHostOf(s) ?? "";
    let v = views.get(k);
    if (!v) views.set(k, (v = new HostView(s, narrow)));
    return v;
  };
}

async function observeAll(specs: readonly ObjectSpec[], toRemove = false): Promise<unknown[]> {
  const view = viewsFor(specs.length === 1);
  // a whole lab's namespaces in a few processes, not one each (observe.ts prefetch)
  const byView = new Map<HostView, string[]>();
  for (const s of specs) byView.set(view(s), [...(byView.get(view(s)) ?? []), ...namespacesOf(s)]);
  await Promise.all([...byView].map(([v, names]) => v.prefetch(names)));
  return Promise.all(
    specs.map((s) => opsFor(s).observe(s, view(s), toRemove ? { claimed: recorded(s) !== null } : undefined)),
  );
}

/** Group specs by level of the dependency graph, then by kind: the batched waves. */
function groups(specs: readonly ObjectSpec[]): ObjectSpec[][] {
  const level = levels(specs);
  const byGroup = new Map<string, ObjectSpec[]>();
  specs.forEach((s, i) => {
    const k = `${String(level[i]).padStart(4, "0")} ${s.kind}`;
    byGroup.set(k, [...(byGroup.get(k) ?? []), s]);
  });
  return [...byGroup.keys()].sort().map((k) => byGroup.get(k)!);
}

/** An object that was not as declared when ensured, and what differed. */
export interface Fixed {
  readonly spec: ObjectSpec;
  readonly drift: readonly string[];
}

/**
 * Ensure every spec, parents first; what was not as declared. A foreign object stops it
 * before any command runs. `quiet`: no line for an object that was already as declared.
 */
export async function applySpecs(specs: readonly ObjectSpec[], opts: { quiet?: boolean } = {}): Promise<Fixed[]> {
  const fixed: Fixed[] = [];
  for (const group of groups(specs)) {
    const serial = group.filter(needsFirewallLock);
    for (const s of serial) fixed.push(...(await withLock(sandboxHostOf(s), "firewall", () => applyGroup([s], opts))));
    const rest = group.filter((s) => !needsFirewallLock(s));
    if (rest.length) fixed.push(...(await applyGroup(rest, opts)));
  }
  return fixed;
}

async function applyGroup(specs: readonly ObjectSpec[], { quiet = false }: { quiet?: boolean }): Promise<Fixed[]> {
  for (const s of specs) await ensureSandboxHost(s);
  const obs = await observeAll(specs);
  const entries = specs.map(recorded);
  const drift = specs.map((s, i) => opsFor(s).drift(s, obs[i], entries[i] !== null)); // throws on a foreign object
  // before the first kernel step: whatever happens next, the stack knows it owns these
  // (an entry that already says so is left as it is: a converge of a lab as declared writes nothing)
  specs.forEach((s, i) => {
    if (JSON.stringify(entries[i]) !== JSON.stringify(s)) record(s);
  });
  const held: [ObjectSpec, string][] = [];
  try {
    for (const s of specs) {
      for (const [key, value] of Object.entries(opsFor(s).sysctls?.(s) ?? {})) {
        if (await hold(s, key, value, holder(s), logFor(s))) held.push([s, key]);
      }
    }
    const plans: Plan[] = [];
    specs.forEach((s, i) => {
      if (drift[i].length === 0) {
        if (!quiet) logFor(s)("up to date");
      } else plans.push({ steps: opsFor(s).converge(s, obs[i]), log: logFor(s) });
    });
    await runPlans(plans, log("rollback"));
    return specs.flatMap((spec, i) => (drift[i].length ? [{ spec, drift: drift[i] }] : []));
  } catch (err) {
    for (const [s, key] of held.reverse()) await release(s, key, holder(s), logFor(s));
    throw err;
  }
}

/** Remove every spec, what hangs off first. On failure, says what is left. */
export async function removeSpecs(specs: readonly ObjectSpec[]): Promise<void> {
  try {
    for (const group of groups(specs).reverse()) {
      for (const s of group.filter(needsFirewallLock))
        await withLock(sandboxHostOf(s), "firewall", () => removeGroup([s]));
      const rest = group.filter((s) => !needsFirewallLock(s));
      if (rest.length) await removeGroup(rest);
    }
  } catch (err) {
    const left = await leftovers(removalOrder(specs));
    throw new Error(
      `${(err as Error).message}\n` +
        (left.length
          ? `still on this machine:\n${left.map((l) => `  - ${l}`).join("\n")}`
          : "nothing of it is left on this machine"),
      { cause: err },
    );
  }
}

/**
 * Remove what exists of each spec. A sandbox host that is gone took its links, rules and
 * settings with it; what lives outside it (named namespaces, files under /etc/netns,
 * processes, the ledger) is still removed: the views see nothing in a host that is gone.
 */
async function removeGroup(specs: readonly ObjectSpec[]): Promise<void> {
  const obs = await observeAll(specs, true);
  const plans: Plan[] = [];
  specs.forEach((s, i) => {
    const steps = opsFor(s).remove(s, obs[i], recorded(s) !== null);
    if (steps.length === 0) logFor(s)(hostGone(s) ? "already gone (with its sandbox host)" : "already gone");
    plans.push({ steps, log: logFor(s) });
  });
  await runPlans(plans, log("rollback")); // remove steps carry no undo: a failure stops here and is reported
  await waitUntilGone(specs);
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
const FINISH_AFTER_MS = 1000; // the kernel frees namespaces one by one: under load, hundreds take a while
async function waitUntilGone(specs: readonly ObjectSpec[]): Promise<void> {
  let pending = specs.filter((s) => opsFor(s).gone);
  const t0 = Date.now();
  let finished = false;
  for (let i = 0; pending.length && i < 500; i++) {
    const view = viewsFor(pending.length === 1);
    const gone = await Promise.all(pending.map((s) => opsFor(s).gone!(s, view(s))));
    pending = pending.filter((_, j) => !gone[j]);
    if (pending.length && !finished && Date.now() - t0 > FINISH_AFTER_MS) {
      finished = true;
      const finish = pending.flatMap((s) => {
        const f = opsFor(s).finish?.(s);
        return f ? [{ steps: [f], log: logFor(s) }] : [];
      });
      // the kernel may finish on its own meanwhile ("Cannot find device"): not an error,
      // the wait below decides
      await runPlans(finish, log("rollback")).catch((err: Error) =>
        log("removal")(`finishing: ${err.message.split("\n")[0]}`),
      );
    }
    if (pending.length) await sleep(20); // each look lists the host's links: not too often
  }
  if (pending.length)
    throw new Error(`still being removed by the kernel after 10 s: ${pending.map(labelOf).join(", ")}`);
}

/** What is left of each resource, one line each, for the error message of a failed removal. */
async function leftovers(specs: readonly ObjectSpec[]): Promise<string[]> {
  try {
    const obs = await observeAll(specs, true);
    return specs.flatMap((s, i) =>
      opsFor(s)
        .remove(s, obs[i], recorded(s) !== null)
        .map((st) => st.what.replace(/^(delete|remove|unpublish) /, "")),
    );
  } catch (err) {
    return [`(could not look: ${(err as Error).message})`];
  }
}

/** One object as `nslab inspect` reports it. */
/** ok: as declared; drift: see `drift`; foreign: something not nslab's holds its name. */
export interface Inspected extends InspectedObject {
  readonly kind: ObjectSpec["kind"];
  readonly observed: Description;
}

/** What the kernel shows of each spec, with its differences: one look at the host for all. */
export async function inspectSpecs(specs: readonly ObjectSpec[]): Promise<Inspected[]> {
  const obs = await observeAll(specs);
  return specs.map((s, i) => {
    let drift: string[];
    let status: Inspected["status"];
    try {
      drift = opsFor(s).drift(s, obs[i], recorded(s) !== null);
      status = drift.length ? "drift" : "ok";
    } catch (err) {
      if (!(err instanceof ForeignObjectError)) throw err;
      [drift, status] = [[err.message], "foreign"];
    }
    return { kind: s.kind, key: specKey(s), name: labelOf(s), status, drift, observed: opsFor(s).describe(s, obs[i]) };
  });
}

/** Differences between the kernel and these specs, one line each. */
export async function verifySpecs(specs: readonly ObjectSpec[]): Promise<string[]> {
  if (specs.some(hostGone)) return [`missing: sandbox host namespace ${sandboxHostOf(specs.find(hostGone)!)}`];
  const obs = await observeAll(specs);
  return specs.flatMap((s, i) =>
    opsFor(s)
      .drift(s, obs[i], recorded(s) !== null)
      .map((d) => `${labelOf(s)}: ${d}`),
  );
}
