// A workload: a long-lived command in an endpoint's namespace, or in the host namespace
// (the sandbox host when there is one). Its pid and log files live in the stack's ledger
// folder, so what is ours is known, and a stop ends its whole process group.
import { join } from "node:path";
import type { WorkloadSpec } from "../model/schema";
import { runningPid } from "./daemon";
import { hostDir } from "./ledger";
import type { Ops } from "./resource";
import { onHost, type Daemon, type Step } from "./step";

export interface WorkloadObs {
  readonly pid: number | null;
}

function daemonOf(s: WorkloadSpec): Daemon {
  const base = join(hostDir(s.host), s.stack, `workload-${s.name}`);
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
  label: (s) => `workload ${s.name}`,
  observe: async (s) => ({ pid: runningPid(daemonOf(s)) }),
  drift: (s, o) => (o.pid === null ? [`missing: process ${s.command[0]} ${where(s)} is not running`] : []),
  converge(s) {
    // ip netns exec, as a container would: /etc/netns/<ns>/hosts and resolv.conf (names.ts)
    // become its /etc/hosts and /etc/resolv.conf
    const argv = s.netns ? ["ip", "netns", "exec", s.netns, ...s.command] : onHost(s, s.command);
    const d = daemonOf(s);
    const stop: Step = { what: `stop ${s.name}`, argv: [], stop: d };
    return [
      { what: `start ${s.name} ${where(s)}: ${s.command.join(" ")} (log ${d.logFile})`, argv, daemon: d, undo: stop },
    ];
  },
  // stopping also deletes the pid and log files, so it runs even when the process is gone
  remove: (s, o) => [
    { what: o.pid === null ? `clean up ${s.name}` : `stop ${s.name} (pid ${o.pid})`, argv: [], stop: daemonOf(s) },
  ],
};
