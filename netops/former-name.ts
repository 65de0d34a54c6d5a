// What nslab's former version kept on a machine (model/former-name.ts), taken over by this
// runner: its ledger folders (a host's records, workloads' pid and log files, held
// sysctls, locks) move under today's root the first time a runner works on that host, so
// that everything the upgraded lab owns is found where this version looks for it.
import { cpSync, existsSync, mkdirSync, readdirSync, renameSync, rmdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { FORMER_REMOTE_DIR, FORMER_STATE_DIR } from "../model/former-name";

const code = (err: unknown) => (err as NodeJS.ErrnoException).code;

/**
 * Move `from` to `to`, folders merged (a file of the same name is replaced: both say the
 * same). Runners do it at once (Terraform starts ten): what another one moved first is
 * simply not there any more. A rename keeps a running workload's open log file its own.
 */
function moveInto(from: string, to: string): void {
  try {
    mkdirSync(dirname(to), { recursive: true });
    renameSync(from, to);
    return;
  } catch (err) {
    if (code(err) === "ENOENT") return;
    if (code(err) === "EXDEV") {
      // the two roots on two filesystems (a /run of its own): copied, then removed; a
      // running workload's open log file is the old one's from here on (its output goes on
      // to the removed copy until the next start)
      cpSync(from, to, { recursive: true, force: true });
      rmSync(from, { recursive: true, force: true });
      return;
    }
    if (code(err) !== "ENOTEMPTY" && code(err) !== "EEXIST") throw err;
  }
  // both are folders, and `to` holds something already
  let entries: string[];
  try {
    entries = readdirSync(from);
  } catch (err) {
    if (code(err) === "ENOENT") return;
    throw err;
  }
  for (const e of entries) moveInto(join(from, e), join(to, e));
  tryRmdir(from);
}

function tryRmdir(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    // not empty (another host's records), or gone
  }
}

const adopted = new Set<string>();

/**
 * Take over the former version's records of one host (`folder`: a sandbox host's name,
 * or `_host`) into `into`, once per runner; the former root goes when it is empty.
 */
export function adoptFormerRecords(folder: string, into: string, formerRoot = FORMER_STATE_DIR): void {
  if (adopted.has(join(formerRoot, folder))) return;
  adopted.add(join(formerRoot, folder));
  // nothing to take over (every machine but an upgraded one): no folder made, nothing touched
  if (!existsSync(join(formerRoot, folder))) return;
  moveInto(join(formerRoot, folder), into);
  tryRmdir(formerRoot);
}

/** Does the former version still have records on this machine (of a host no runner has worked on since)? */
export function formerRecordsLeft(): boolean {
  try {
    return readdirSync(FORMER_STATE_DIR).length > 0;
  } catch {
    return false;
  }
}

/**
 * On a Host with nothing recorded any more: the former version's copies of the runner
 * (netops-<hash>.cjs) go with today's, and their folder when it is empty.
 */
export function retireFormerCopies(dir = FORMER_REMOTE_DIR): void {
  let files: string[];
  try {
    files = readdirSync(dir);
  } catch {
    return;
  }
  for (const f of files) if (/^netops-[0-9a-f]+\.cjs$/.test(f)) rmSync(join(dir, f), { force: true });
  tryRmdir(dir);
}
