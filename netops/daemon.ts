// Long-lived processes (workloads, delay lines' relays): started in their own session so
// the whole process group can be stopped, output to a log file, and a pid file that also
// holds the process start time: a pid the kernel has since given to another process is
// never ours. Processes are started, signalled and looked at through the exec seam
// (executor.ts `processes`), so unit tests fake them as they fake commands.
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { processes } from "./executor";
import type { Daemon } from "./step";

/** The pid of the daemon if it is running and is the process we started, else null. */
export function runningPid(d: Daemon): number | null {
  try {
    const [pid, start] = readFileSync(d.pidFile, "utf8").trim().split(" ");
    return processes.startTime(Number(pid)) === start ? Number(pid) : null;
  } catch {
    return null;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Start argv detached; fail (with the log's tail) if it exits within the first moment. */
export async function startDaemon(argv: readonly string[], d: Daemon): Promise<{ ok: boolean; stderr: string }> {
  mkdirSync(dirname(d.logFile), { recursive: true });
  const log = openSync(d.logFile, "a");
  try {
    const pid = processes.spawn(argv, log);
    if (pid === undefined) return { ok: false, stderr: `could not start ${argv[0]}` };
    writeFileSync(d.pidFile, `${pid} ${processes.startTime(pid)}\n`);
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
    const alive = () => processes.startTime(pid) !== null;
    processes.signalGroup(pid, "SIGTERM");
    for (let i = 0; i < 100 && alive(); i++) await sleep(50);
    if (alive()) processes.signalGroup(pid, "SIGKILL");
    for (let i = 0; i < 40 && alive(); i++) await sleep(50);
    if (alive()) return { ok: false, stderr: `process ${pid} does not stop` };
  }
  rmSync(d.pidFile, { force: true });
  rmSync(d.logFile, { force: true });
  return { ok: true, stderr: "" };
}
