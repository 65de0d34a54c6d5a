// A workload: a long-lived command in an endpoint's namespace, or in the host namespace
// (the sandbox host when there is one). Its pid and log files live in the stack's ledger
// folder, so what is ours is known, and a stop ends its whole process group.
import { sandboxHostOf } from "../model/schema";
import { readlinkSync, statSync } from "node:fs";
import { join } from "node:path";
import type { WorkloadSpec } from "../model/schema";
import { runningPid } from "./daemon";
import { hostDir } from "./ledger";
import type { Ops } from "./resource";
import { NETNS_DIR, inSandboxHost, type Daemon, type Step } from "./step";

export interface WorkloadObs {
  readonly pid: number | null;
  /**
   * The process runs in another network namespace than the one of its name now: that one
   * was rebuilt (deleted and made again by a repair or a deploy's converge, or after a
   * deletion by hand), and the process lives on in the old one, cut off from the lab.
   */
  readonly stale: boolean;
}

/** The inode of a network namespace, as /proc/<pid>/ns/net names it ("net:[<inode>]"), or null. */
function netnsInode(path: string): number | null {
  try {
    return statSync(path).ino;
  } catch {
    return null;
  }
}

/** Whether the process `pid` runs in the namespace at `path` now (a live namespace's inode is never reused). */
function runsIn(pid: number, path: string): boolean {
  try {
    return readlinkSync(`/proc/${pid}/ns/net`) === `net:[${netnsInode(path)}]`;
  } catch {
    return true; // gone meanwhile: its own check says so
  }
}

function daemonOf(s: WorkloadSpec): Daemon {
  const base = join(hostDir(sandboxHostOf(s)), s.stack, `workload-${s.name}`);
  return { pidFile: `${base}.pid`, logFile: `${base}.log` };
}

const where = (s: WorkloadSpec) => (s.netns ? `in ${s.netns}` : "in the host namespace");

export const workloadOps: Ops<WorkloadSpec, WorkloadObs> = {
  describe: (s, o) => ({
    name: s.name,
    netns: s.netns ?? null,
    command: [...s.command],
    pid: o.pid,
    state: o.pid === null ? "stopped" : "running",
    log: daemonOf(s).logFile,
  }),
  observe: async (s) => {
    const pid = runningPid(daemonOf(s));
    const ns = s.netns ?? sandboxHostOf(s); // on the real host there is nothing to rebuild
    return { pid, stale: pid !== null && ns !== undefined && !runsIn(pid, `${NETNS_DIR}/${ns}`) };
  },
  drift: (s, o) =>
    o.pid === null
      ? [`missing: process ${s.command[0]} ${where(s)} is not running`]
      : o.stale
        ? [
            `different: process ${s.command[0]} (pid ${o.pid}) runs in a namespace that is no longer ${s.netns ?? sandboxHostOf(s)} (it was rebuilt)`,
          ]
        : [],
  converge(s, o) {
    // ip netns exec, as a container would: /etc/netns/<ns>/hosts and resolv.conf (names.ts)
    // become its /etc/hosts and /etc/resolv.conf
    const argv = s.netns ? ["ip", "netns", "exec", s.netns, ...s.command] : inSandboxHost(s, s.command);
    const d = daemonOf(s);
    const stop: Step = { what: `stop ${s.name}`, argv: [], stop: d };
    return [
      // one left in a replaced namespace goes first: a start would leave it running, unowned
      ...(o.pid !== null && o.stale
        ? [{ what: `stop ${s.name} (pid ${o.pid}, in a replaced namespace)`, argv: [], stop: d }]
        : []),
      { what: `start ${s.name} ${where(s)}: ${s.command.join(" ")} (log ${d.logFile})`, argv, daemon: d, undo: stop },
    ];
  },
  // stopping also deletes the pid and log files, so it runs even when the process is gone
  remove: (s, o) => [
    { what: o.pid === null ? `clean up ${s.name}` : `stop ${s.name} (pid ${o.pid})`, argv: [], stop: daemonOf(s) },
  ],
};
