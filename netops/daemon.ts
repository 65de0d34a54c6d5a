// Long-lived processes (workloads): started in their own session so the whole process
// group can be stopped, output to a log file, and a pid file that also holds the process
// start time: a pid the kernel has since given to another process is never ours.
import { execa } from "execa";
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { Daemon } from "./step";

/** Start time of a live process in clock ticks since boot (field 22 of /proc/<pid>/stat), or null (gone, or a zombie). */
export function startTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return fields[0] === "Z" || fields[0] === "X" ? null : (fields[19] ?? null);
  } catch {
    return null;
  }
}

/** The pid of the daemon if it is running and is the process we started, else null. */
export function runningPid(d: Daemon): number | null {
  try {
    const [pid, start] = readFileSync(d.pidFile, "utf8").trim().split(" ");
    return startTime(Number(pid)) === start ? Number(pid) : null;
  } catch {
    return null;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Start argv detached; fail (with the log's tail) if it exits within the first moment. */
export async function startDaemon(argv: readonly string[], d: Daemon): Promise<{ ok: boolean; stderr: string }> {
  mkdirSync(dirname(d.logFile), { recursive: true });
  const [file, ...args] = argv;
  // a real file descriptor, not a pipe through this runner: the process outlives the
  // runner, and a pipe would break under it (EPIPE) as soon as the runner exits
  const log = openSync(d.logFile, "a");
  try {
    // (execa's types take only literal fd numbers; `log` is a real one from openSync)
    const stdio = ["ignore", log, log] as unknown as ["ignore", 1, 1];
    const child = execa(file!, [...args], { detached: true, stdio, cleanup: false, reject: false });
    child.catch(() => undefined); // its exit is watched below, never awaited
    const pid = child.pid;
    if (pid === undefined) return { ok: false, stderr: `could not start ${file}` };
    writeFileSync(d.pidFile, `${pid} ${startTime(pid)}\n`);
    child.unref();
    await sleep(100); // a command that cannot run (not found, port taken) is gone by now
    if (runningPid(d) === null) {
      rmSync(d.pidFile, { force: true });
      return {
        ok: false,
        stderr: `exited at once; its log ${d.logFile} ends with:\n${readFileSync(d.logFile, "utf8").slice(-1000)}`,
      };
    }
    return { ok: true, stderr: "" };
  } finally {
    closeSync(log);
  }
}

/** Stop the daemon's whole process group: TERM, then KILL after 5 s. Already gone is fine. */
export async function stopDaemon(d: Daemon): Promise<{ ok: boolean; stderr: string }> {
  const pid = runningPid(d);
  if (pid !== null) {
    const signal = (sig: NodeJS.Signals) => {
      try {
        process.kill(-pid, sig); // its own session and group: children go too
      } catch {
        // already gone
      }
    };
    signal("SIGTERM");
    for (let i = 0; i < 100 && startTime(pid) !== null; i++) await sleep(50);
    if (startTime(pid) !== null) signal("SIGKILL");
    for (let i = 0; i < 40 && startTime(pid) !== null; i++) await sleep(50);
    if (startTime(pid) !== null) return { ok: false, stderr: `process ${pid} does not stop` };
  }
  rmSync(d.pidFile, { force: true });
  rmSync(d.logFile, { force: true });
  return { ok: true, stderr: "" };
}
