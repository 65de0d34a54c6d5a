// The verbs on object lines: a lab object's create and destroy provisioners, and apply,
// verify and inspect of given objects (tests, and the parts forwarded to a Host).
import { applyOrder, specKey } from "../model/kinds";
import { fromLine } from "../model/line";
import { convergedLine } from "../model/lab-change";
import { isObjectSpec, parseSpec, type Spec } from "../model/schema";
import {
  applySpecs,
  ensureSandboxHost,
  inspectSpecs,
  log,
  logClosing,
  logFor,
  removeSpecs,
  verifySpecs,
} from "./engine";
import { runPlans } from "./exec";
import { armTestHooks } from "./test-hooks";
import { strayNames } from "./names";
import { disableBoot } from "./boot";
import { removeRecord } from "./record";
import { hostAt } from "./host-at";
import { report } from "./machines";
import { recorded, recordedSpecs } from "./ledger";
import { hostLabel, retireCopy } from "./remote";

/** A line's spec, checked against the key it says it is for. */
export function readSpec(arg: string): Spec {
  const { key, json } = fromLine(arg);
  const spec = parseSpec(json);
  const want = isObjectSpec(spec) ? specKey(spec) : null;
  if (key !== null && want !== null && key !== want)
    throw new Error(`trigger line names ${key} but holds the spec of ${want}`);
  return spec;
}

export type LinesVerb = "create" | "destroy" | "apply" | "verify" | "inspect";

/**
 * `verb` on these lines: here, or (objects on another machine: Terraform calls with one)
 * by the runner there. `forwarded`: this call came from another machine's runner.
 */
export async function onLines(verb: LinesVerb, lines: readonly string[], forwarded: boolean): Promise<number> {
  const specs = lines.map(readSpec);
  const remote = specs.find((s) => s.remote)?.remote;
  if (remote) {
    if (!specs.every((s) => s.remote?.name === remote.name))
      throw new Error(`${verb}: these specs are not all on ${hostLabel(remote)}`);
    return hostAt(remote).lines(verb, specs);
  }
  const objects = specs.filter(isObjectSpec);
  armTestHooks(objects.map(specKey));
  if (verb === "create") {
    if (specs.length !== 1) throw new Error("create takes one line");
    await create(specs[0]);
  } else if (verb === "destroy") {
    await destroy(specs);
    // the stack's owner on this machine, forwarded here from the one Terraform runs on
    if (forwarded && specs.some((s) => s.kind === "stack")) retireCopy();
  } else if (verb === "apply") {
    for (const s of specs) await ensureSandboxHost(s);
    await applySpecs(objects);
  } else if (verb === "verify") return report(await verifySpecs(objects));
  else process.stdout.write(`${JSON.stringify(await inspectSpecs(applyOrder(objects)))}\n`);
  return 0;
}

/**
 * A lab object's create. Its ledger entry is removed by its destroy, so an entry found
 * here means the previous instance was never destroyed by its provisioner: Terraform
 * replaces a tainted resource (a failed or killed create, `terraform taint`) without
 * running it. That instance is removed first, so a replace rebuilds as it says.
 */
async function create(spec: Spec): Promise<void> {
  await ensureSandboxHost(spec);
  if (!isObjectSpec(spec)) return; // the owner needs nothing on create
  const before = recorded(spec);
  if (before) {
    logFor(before)("rebuilding: its previous instance was not destroyed (tainted, or a create was interrupted)");
    await removeSpecs([before]);
  }
  await applySpecs([spec]);
}

async function destroy(specs: readonly Spec[]): Promise<void> {
  await removeSpecs(specs.filter(isObjectSpec));
  // the owner goes last: whatever its stack still has recorded goes with it (creates that
  // failed or were killed, which Terraform never destroys itself)
  for (const s of specs) {
    if (s.kind !== "stack") continue;
    const left = recordedSpecs(s);
    await removeSpecs(left);
    await runPlans([{ steps: strayNames(s), log: log(`stack ${s.stack}`) }], log("rollback"));
    // the lab is gone from this machine: so are its record and boot unit (and the sandbox
    // host nslab made, when no stack is left in it)
    await disableBoot(s);
    await removeRecord(s);
    // what a batched stack's destroy removed, or what a default one left: `nslab destroy` counts it
    // (on a Host, its runner's "this machine" is that Host: cli/progress.ts names it)
    if (left.length)
      logClosing(`stack ${s.stack}`)(
        convergedLine("this machine", left.length, { made: [], rebuilt: [], removed: left, putRight: [] }),
      );
  }
}
