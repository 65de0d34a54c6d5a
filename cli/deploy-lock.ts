// One `nslab deploy` or `destroy` at a time per project: each puts a new synth in place of
// cdktf.out (project.ts swapIn) and runs Terraform in it, so a second one at once would
// take the folder from under the first. The second is refused at once, in one line naming
// the first (its verb, stacks and pid). A holder that died (kill -9, a reboot) is found
// by its pid and start time, and its lock taken over.
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { startTime } from "../netops/proc";
import { CliError } from "./manifest";

interface Holder {
  readonly pid: number;
  /** Its start time (/proc): a pid the kernel gave to another process since is not it. */
  readonly start: string | null;
  readonly verb: string;
  readonly stacks: readonly string[];
  readonly since: string;
}

const lockFile = (out: string) => join(dirname(out), `.${basename(out)}.nslab-lock`);

/** Hold the project's lock for `verb` of `stacks`; the function returned releases it. */
export function lockProject(out: string, verb: string, stacks: readonly string[]): () => void {
  const file = lockFile(out);
  const me: Holder = {
    pid: process.pid,
    start: startTime(process.pid),
    verb,
    stacks,
    since: new Date().toISOString(),
  };
  for (let attempt = 0; ; attempt++) {
    try {
      writeFileSync(file, JSON.stringify(me), { flag: "wx" });
      return () => rmSync(file, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST" || attempt > 3) throw err;
    }
    // a file opened but not yet written reads empty: looked at again a moment later
    const other = holder(file) ?? (Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50), holder(file));
    if (other && startTime(other.pid) === other.start) {
      const what = other.stacks.length ? ` ${other.stacks.join(" ")}` : "";
      throw new CliError(
        `another nslab ${other.verb}${what} is running in this project (pid ${other.pid}, since ${other.since}): ` +
          "wait for it to finish; nothing was changed",
        undefined,
        { exitCode: 1 },
      );
    }
    rmSync(file, { force: true }); // its holder is gone
  }
}

function holder(file: string): Holder | null {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as Holder;
  } catch {
    return null; // being written, or unreadable: taken over as a dead holder's would be
  }
}
