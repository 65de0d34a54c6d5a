// The ledger: one file per resource the runner has applied, written before the first
// kernel step and removed after a successful destroy. It closes the window between
// "object created" and "object marked" (a crash there must not turn our own namespace
// into a foreign one), and it is the list of what a stack owns on this machine: the
// converge removes what it holds and the stack no longer declares, and the stack's owner
// resource removes all of it. It lives on tmpfs (/run) on purpose: a reboot clears it
// along with the kernel objects it describes.
import { sandboxHostOf } from "../model/schema";
import { mkdirSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { specKey } from "../model/kinds";
import { adoptFormerRecords, formerRecordsLeft } from "./former-name";
import { parseSpec, type ObjectSpec, type Spec } from "../model/schema";

const STATE_DIR = "/run/nslab";
const ledgerRoot = () => process.env.NSLAB_STATE_DIR || STATE_DIR;

/** The folder of one host (sandbox namespace, or `_host` for the real host). */
export function hostDir(host: string | undefined): string {
  const dir = join(ledgerRoot(), host ?? "_host");
  // a lab deployed under nslab's former name: its records move here first
  if (ledgerRoot() === STATE_DIR) adoptFormerRecords(host ?? "_host", dir);
  return dir;
}

/** Does any stack have anything recorded on this machine (on its host or a sandbox host)? */
export function anythingRecorded(): boolean {
  try {
    return readdirSync(ledgerRoot()).some((h) => readdirSync(join(ledgerRoot(), h)).length > 0) || formerRecordsLeft();
  } catch {
    return formerRecordsLeft(); // no ledger of this version
  }
}

/** Does any stack have anything recorded on this sandbox host (its folder holds locks and held settings too: `_*`)? */
export function anythingRecordedOn(host: string): boolean {
  try {
    return readdirSync(hostDir(host)).some((f) => !f.startsWith("_"));
  } catch {
    return false;
  }
}

function stackDir(spec: Pick<Spec, "host" | "stack">): string {
  return join(hostDir(sandboxHostOf(spec)), spec.stack);
}

export function record(spec: ObjectSpec): void {
  const dir = stackDir(spec);
  const file = join(dir, `${specKey(spec)}.json`);
  for (let attempt = 0; ; attempt++) {
    try {
      mkdirSync(dir, { recursive: true });
      // write-then-rename: ten runners write at once, and a crash must not leave half a file
      writeFileSync(`${file}.${process.pid}.tmp`, JSON.stringify(spec));
      renameSync(`${file}.${process.pid}.tmp`, file);
      return;
    } catch (err) {
      // the stack's last other resource removed the folder between our mkdir and write
      if ((err as NodeJS.ErrnoException).code !== "ENOENT" || attempt > 20) throw err;
    }
  }
}

export function forget(spec: ObjectSpec): void {
  const dir = stackDir(spec);
  rmSync(join(dir, `${specKey(spec)}.json`), { force: true });
  // the last resource of a stack takes its folders with it; a busy folder stays
  for (const d of [dir, dirname(dir)]) {
    try {
      rmdirSync(d);
    } catch {
      return;
    }
  }
}

export function recorded(spec: ObjectSpec): ObjectSpec | null {
  try {
    return JSON.parse(readFileSync(join(stackDir(spec), `${specKey(spec)}.json`), "utf8")) as ObjectSpec;
  } catch {
    return null;
  }
}

/** Every resource a stack has recorded on its host, as the runner that applied it wrote it. */
export function recordedSpecs(owner: Pick<Spec, "host" | "stack">): ObjectSpec[] {
  const dir = stackDir(owner);
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith(".json"));
  } catch {
    return [];
  }
  return files.map((f) => {
    let spec: ObjectSpec;
    try {
      // any version an older runner wrote is read (and upgraded) by parseSpec
      spec = parseSpec(JSON.parse(readFileSync(join(dir, f), "utf8"))) as ObjectSpec;
    } catch (err) {
      throw new Error(`ledger entry ${join(dir, f)}: ${(err as Error).message}`, { cause: err });
    }
    // an older runner may have named it by an older key: file it under today's
    if (f !== `${specKey(spec)}.json`) renameSync(join(dir, f), join(dir, `${specKey(spec)}.json`));
    return spec;
  });
}
