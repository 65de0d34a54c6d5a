// Whole-lab work, driven by the stack's lab file (every object spec it declares, written
// at synth): the sweep of what the code no longer declares (both modes), the batched
// converge (the opt-in mode), and verify/repair (the nslab CLI).
import type { ExtraObject } from "../model/reports";
import { applyOrder, labelOf, removalOrder, specKey } from "../model/kinds";
import { convergedLine, labChange, type Converged } from "../model/lab-change";
import type { LabFile } from "../model/lab-file";
import type { ConvergeMode } from "../model/messages";
import type { ObjectSpec, RemoteSpec } from "../model/schema";
import {
  applySpecs,
  ensureSandboxHost,
  inspectSpecs,
  type Inspected,
  logClosing,
  logFor,
  removeSpecs,
  requireHost,
  verifySpecs,
} from "./engine";
import { recordedSpecs } from "./ledger";
import { clearTraceTables } from "./trace-table";

/** What the stack recorded on this machine and no longer declares (constructs deleted from the code). */
function undeclared(lab: LabFile, desired: readonly ObjectSpec[]): ObjectSpec[] {
  const declared = new Set(desired.map(specKey));
  return recordedSpecs(lab).filter((r) => !declared.has(specKey(r)));
}

/**
 * The sweep (default mode): Terraform never runs the destroy provisioner of a resource
 * deleted from the code, so what the stack recorded and no longer declares is removed
 * here, with the spec it was applied with, before any object is created.
 */
export async function sweep(lab: LabFile, desired: readonly ObjectSpec[]): Promise<void> {
  await ensureSandboxHost(lab);
  const gone = removalOrder(undeclared(lab, desired));
  for (const s of gone) logFor(s)(`no longer declared by stack ${lab.stack}: removing`);
  if (gone.length) await removeSpecs(gone);
}

/**
 * The sweep of a stack's objects on another machine, run there (forwarded by the sweep
 * here with the keys the stack declares on that machine): what it recorded there and no
 * longer declares is removed.
 */
export async function sweepKeys(stack: string, keys: readonly string[]): Promise<void> {
  const gone = removalOrder(undeclaredKeys(stack, keys));
  for (const s of gone) logFor(s)(`no longer declared by stack ${stack}: removing`);
  if (gone.length) await removeSpecs(gone);
}

/** What a stack recorded on this machine and the keys given do not name. */
function undeclaredKeys(stack: string, keys: readonly string[]): ObjectSpec[] {
  const declared = new Set(keys);
  return recordedSpecs({ stack }).filter((r) => !declared.has(specKey(r)));
}

/** `recorded`, forwarded from the machine Terraform runs on: what the stack has here and no longer declares. */
export function extraKeys(stack: string, keys: readonly string[]): Extra[] {
  return undeclaredKeys(stack, keys).map((r) => ({ kind: r.kind, key: specKey(r), name: labelOf(r) }));
}

export type Extra = ExtraObject;

/**
 * Every Host of the stack (one whose objects were all deleted too) with the keys the
 * stack declares there: what the sweep and `recorded` send each.
 */
export function keysByHost(lab: LabFile, desired: readonly ObjectSpec[]): { remote: RemoteSpec; keys: string[] }[] {
  const machines = new Map((lab.hosts ?? []).map((r) => [r.name, r]));
  for (const s of desired) if (s.remote) machines.set(s.remote.name, s.remote);
  return [...machines.values()].map((remote) => ({
    remote,
    keys: desired.filter((s) => s.remote?.name === remote.name).map(specKey),
  }));
}

/**
 * Make this machine match `desired` (the batched mode's apply, `nslab repair`, and the
 * check that ends every deploy): remove what the stack recorded and no longer declares or
 * declares differently, then ensure every object. `quiet`: no line for what is already
 * as declared. `apply` (the batched apply): what the stack never recorded here is new,
 * reported as made; otherwise (a check after Terraform's own creates, a repair) it was
 * lost (a reboot, a killed create) and is reported as put right.
 */
export async function converge(
  lab: Pick<LabFile, "stack" | "host">,
  desired: readonly ObjectSpec[],
  how: ConvergeMode = { quiet: false, apply: false, by: "repair" },
): Promise<Converged> {
  // only a deploy (and boot restore, which brings a deploy back) makes a sandbox host
  if (how.by === "repair") requireHost(lab);
  else await ensureSandboxHost(lab);
  const recorded = recordedSpecs(lab);
  const change = labChange(recorded, desired);
  const stale = removalOrder([...change.rebuilt, ...change.removed]);
  for (const s of change.rebuilt) logFor(s)("changed: rebuilding");
  for (const s of change.removed) logFor(s)(`no longer declared by stack ${lab.stack}: removing`);
  if (stale.length) await removeSpecs(stale);
  const fixed = await applySpecs(desired, how);
  // a rebuilt object was stale, not drift: counted once
  const rebuilt = new Set(change.rebuilt.map(specKey));
  const had = new Set(recorded.map(specKey));
  const isNew = (f: { spec: ObjectSpec }) => how.apply && !had.has(specKey(f.spec));
  return {
    made: fixed.filter(isNew).map((f) => f.spec),
    rebuilt: change.rebuilt,
    removed: change.removed,
    putRight: fixed.filter((f) => !isNew(f) && !rebuilt.has(specKey(f.spec))),
  };
}

/** One machine's part of a converge, and its one line (`where`: what the line calls the machine). */
export async function convergeHere(
  lab: Pick<LabFile, "stack" | "host">,
  specs: readonly ObjectSpec[],
  where: string,
  how: ConvergeMode,
): Promise<void> {
  await clearTraceTables(lab); // what a trace that was killed left (trace-table.ts)
  logClosing(`stack ${lab.stack}`)(convergedLine(where, specs.length, await converge(lab, specs, how)));
}

/** `nslab inspect`: every declared object as the kernel shows it, and what is there undeclared. */
export async function inspectLab(
  lab: LabFile,
  desired: readonly ObjectSpec[],
): Promise<{ objects: Inspected[]; extra: Extra[] }> {
  const extra = undeclared(lab, desired).map((r) => ({ kind: r.kind, key: specKey(r), name: labelOf(r) }));
  return { objects: await inspectSpecs(applyOrder(desired)), extra };
}

export async function verifyLab(lab: LabFile, desired: readonly ObjectSpec[]): Promise<string[]> {
  const extra = undeclared(lab, desired).map(
    (r) => `${labelOf(r)}: extra: on this machine, no longer declared by stack ${lab.stack}`,
  );
  return [...extra, ...(await verifySpecs(desired))];
}
