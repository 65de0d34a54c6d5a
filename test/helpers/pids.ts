// Processes a test started, ended by their own pid only. A pid read as 0 or -1 (an empty
// or half-written pid file) would signal the whole process group, the test runner and CI
// with it: such a read is an error here, never a signal.
import { readFileSync } from "node:fs";
import { startTime } from "../../netops/proc";

export interface Own {
  readonly pid: number;
  readonly start: string; // its start time: a pid later given to another process is not ours
}

/** The pid in the first field of a pid file, waiting (up to `ms`) until it is written out. */
export function pidIn(file: string, ms = 5000): Own {
  let text: string;
  for (const until = Date.now() + ms; ;) {
    try {
      text = readFileSync(file, "utf8");
    } catch {
      text = "";
    }
    const m = /^(\d+)[\s]/.exec(text);
    const pid = m ? Number(m[1]) : 0;
    const start = pid > 1 ? startTime(pid) : null;
    if (start !== null) return { pid, start };
    if (Date.now() > until) throw new Error(`no live pid in ${file} after ${ms} ms (it holds ${JSON.stringify(text)})`);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
  }
}

/** Signal a process we started, if it is still that process. */
export function signalOwn(own: Own, signal: NodeJS.Signals = "SIGTERM"): void {
  if (own.pid <= 1) throw new Error(`refusing to signal pid ${own.pid}`);
  if (startTime(own.pid) !== own.start) return; // gone, or the pid is someone else's now
  process.kill(own.pid, signal);
}
