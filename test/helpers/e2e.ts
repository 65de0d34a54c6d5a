// Setup shared by end-to-end files: a project copy, a sandbox host, an external client
// namespace joined to it, and teardown by name (destroy first, then the namespaces).
import { existsSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { recordRoot } from "../../model/record";
import { runningPid } from "../../netops/daemon";
import { ok } from "./cmd";
import { projectCopy } from "./project";
import { addExternal, addHost, delNs, inNs, uniq } from "./sandbox";
import type { Server } from "./traffic";

export interface E2E {
  readonly host: string;
  readonly ext: string;
  readonly project: ReturnType<typeof projectCopy>;
  /** Servers started by a test; stopped (by their pid) after each test. */
  readonly servers: Server[];
}

/**
 * Workloads that a failed test left running (a stack it did not get to destroy): stopped
 * by the pids this host's own ledger recorded, with their start time, so a pid the kernel
 * gave to another process since is never touched.
 */
function stopLeftWorkloads(host: string): void {
  const root = `/run/nslab/${host}`;
  if (!existsSync(root)) return;
  for (const stack of readdirSync(root)) {
    let files: string[];
    try {
      files = readdirSync(join(root, stack)).filter((f) => /^workload-.*\.pid$/.test(f));
    } catch {
      continue; // not a stack's folder
    }
    for (const f of files) {
      const pid = runningPid({ pidFile: join(root, stack, f), logFile: "" });
      if (pid !== null) process.kill(-pid, "SIGKILL"); // its own process group
    }
  }
}

/**
 * Register beforeAll/afterEach/afterAll for a file. `labNs` are the namespaces its labs
 * create (checked free before, removed by name after); `ipv6` false turns IPv6 off in
 * the sandbox host so `ip -json` output is stable byte for byte (no DAD state changes).
 */
export function e2eSandbox(labNs: readonly string[], opts: { ipv6?: boolean } = {}): E2E {
  const env: E2E = { host: uniq("nle"), ext: uniq("nlx"), project: projectCopy(), servers: [] };
  beforeAll(() => {
    for (const ns of labNs)
      if (existsSync(`/run/netns/${ns}`)) throw new Error(`namespace ${ns} already exists; remove it first`);
    addHost(env.host);
    if (opts.ipv6 === false) {
      for (const k of ["all", "default", "lo"])
        ok(inNs(env.host, ["sysctl", "-qw", `net.ipv6.conf.${k}.disable_ipv6=1`]));
    }
    addExternal(env.host, env.ext, opts.ipv6 !== false);
    // default-deny forwarding, as on many hosts: the lab must bring its own FORWARD accepts
    ok(inNs(env.host, ["iptables", "-w", "-P", "FORWARD", "DROP"]));
  });
  afterEach(async () => {
    await Promise.all(env.servers.splice(0).map((s) => s.stop()));
  });
  afterAll(() => {
    env.project.cdktf(["destroy", "lab-stack", "--auto-approve"], env.host);
    stopLeftWorkloads(env.host);
    delNs(...labNs, env.ext, env.host);
    // ledgers and records of a failed run, by our host's name
    for (const d of [`/run/nslab/${env.host}`, join(recordRoot(), env.host)])
      rmSync(d, { recursive: true, force: true });
    env.project.remove();
  });
  return env;
}
