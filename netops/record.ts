// The deployed lab's record on this machine (model/record.ts says what it is and where):
// written by a deploy's own steps (the sweep or batched apply that opens it, the converge
// that closes it), removed by the stack's owner when it is destroyed, together with the
// boot unit that restores it and the sandbox host namespace nslab made for it, once no
// stack is left there.
import { sandboxHostOf } from "../model/schema";
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import {
  placeOf,
  readRecord as readRecordOf,
  type DeployedRecord,
  RECORD_FILE,
  RECORD_LAB,
  RECORD_LAST_RUN,
  RECORD_RUNNER,
  recordDir,
  recordRoot,
} from "../model/record";
import type { LabFile } from "../model/lab-file";
import { SPEC_VERSION, type ObjectSpec } from "../model/schema";
import { log, sandboxMark } from "./engine";
import { run } from "./exec";
import { anythingRecordedOn } from "./ledger";
import { tryRmdir } from "./lock";
import { netnsExists } from "./observe";

/** A stack where it is deployed: its name and sandbox host (none: the machine's root namespace). */
export type Where = Pick<LabFile, "stack" | "host">;

export const readRecord = (lab: Where) => readRecordOf(sandboxHostOf(lab), lab.stack);

/** A file written aside, then renamed over: a reader never sees half of it. */
function writeAtomic(file: string, data: string | Buffer): void {
  writeFileSync(`${file}.${process.pid}.tmp`, data);
  renameSync(`${file}.${process.pid}.tmp`, file);
}

const same = (file: string, data: Buffer) => {
  try {
    return readFileSync(file).equals(data);
  } catch {
    return false;
  }
};

/** The last scenario run of the stack deployed here, beside its record (the live page shows it). */
export function writeLastRun(lab: Where, report: unknown): void {
  const dir = recordDir(sandboxHostOf(lab), lab.stack);
  mkdirSync(dir, { recursive: true });
  writeAtomic(join(dir, RECORD_LAST_RUN), `${JSON.stringify(report)}\n`);
}

/**
 * Record `labText` as the lab deployed here, with this runner. `deploying` before a deploy
 * changes anything; `deployed` when its converge has made the machine match. A record's
 * boot unit stays enabled across deploys.
 */
export function writeRecord(
  lab: Where,
  labText: string | Buffer,
  state: DeployedRecord["state"],
  runner = process.argv[1],
): void {
  const dir = recordDir(sandboxHostOf(lab), lab.stack);
  mkdirSync(dir, { recursive: true });
  const text = Buffer.from(labText);
  if (!same(join(dir, RECORD_LAB), text)) writeAtomic(join(dir, RECORD_LAB), text);
  const code = readFileSync(runner);
  if (!same(join(dir, RECORD_RUNNER), code)) writeAtomic(join(dir, RECORD_RUNNER), code);
  const before = readRecord(lab);
  writeRecordFile({
    v: 1,
    stack: lab.stack,
    ...(sandboxHostOf(lab) ? { host: sandboxHostOf(lab) } : {}),
    state,
    at: new Date().toISOString(),
    from: process.cwd(),
    ...(before?.boot ? { boot: before.boot } : {}),
  });
}

const writeRecordFile = (r: DeployedRecord) =>
  writeAtomic(join(recordDir(sandboxHostOf(r), r.stack), RECORD_FILE), `${JSON.stringify(r, null, 1)}\n`);

/** The lab file text of one machine's part of a lab (a Host's record: its objects, local there). */
export const partText = (stack: string, specs: readonly ObjectSpec[]) =>
  `${JSON.stringify({ v: SPEC_VERSION, stack, kind: "lab", specs }, null, 1)}\n`;

/** Mark a record's boot unit (boot.ts wrote it), or forget it (null). */
export function setBoot(lab: Where, boot: DeployedRecord["boot"] | null): void {
  const record = readRecord(lab);
  if (!record) throw new Error(`stack ${lab.stack} has no deployed record here`);
  const { boot: _old, ...rest } = record;
  writeRecordFile({ ...rest, ...(boot ? { boot } : {}) });
}

/**
 * The stack is destroyed here (its boot unit went first: boot.ts): its record goes. Then
 * the sandbox host, when nslab made it and no stack has anything there any more (no
 * record, no ledger entry).
 */
export async function removeRecord(lab: Where): Promise<void> {
  const dir = recordDir(sandboxHostOf(lab), lab.stack);
  rmSync(dir, { recursive: true, force: true });
  tryRmdir(dirname(dir));
  tryRmdir(recordRoot());
  const sandboxHost = sandboxHostOf(lab);
  if (sandboxHost) await retireSandboxHost(sandboxHost);
}

/** Stacks with a record on this place. */
function recordedStacks(host: string | undefined): string[] {
  try {
    return readdirSync(join(recordRoot(), placeOf(host)));
  } catch {
    return [];
  }
}

/**
 * Delete the sandbox host namespace when nslab made it (the mark on its lo: engine.ts
 * ensureSandboxHost) and no stack of any project uses it any more. One made by someone else, or
 * still used, stays.
 */
async function retireSandboxHost(host: string): Promise<void> {
  if (!netnsExists(host) || recordedStacks(host).length || anythingRecordedOn(host)) return;
  if (!(await sandboxMark(host))) return;
  const del = await run(["ip", "netns", "del", host]);
  if (!del.ok) throw new Error(`deleting sandbox host namespace ${host}: ${del.stderr.trim()}`);
  log(`sandbox host ${host}`)("deleted: nslab made it, and no stack is left in it");
}
