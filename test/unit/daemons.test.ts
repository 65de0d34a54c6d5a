// Pure tier through the exec seam: long-lived processes (workloads, delay lines' relays)
// are started, watched and stopped through it (netops/daemon.ts), so these run against
// the fake's table of pretend processes; their pid and log files are real, in a folder of
// the test's own.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { WorkloadSpec } from "../../model/schema";
import { delayLineOps } from "../../netops/delayline";
import { applySpecs, removeSpecs } from "../../netops/engine";
import { runPlans } from "../../netops/exec";
import { fakeMachine } from "../helpers/fake-machine";
import { delayLine, noDelayLine } from "../helpers/specs";

const m = fakeMachine();

const web: WorkloadSpec = { v: 1, stack: "s", kind: "workload", name: "web", netns: "ns01", command: ["node", "w.js"] };
const pidFile = () => join(m.state, "_host", "s", "workload-web.pid");
const running = () => [...m.fake.processes.keys()];

describe("a workload", () => {
  test("started once in its namespace, left alone while it runs, started again when it has died", async () => {
    await applySpecs([web]);
    expect(m.fake.ran(/^spawn/)).toEqual(["spawn ip netns exec ns01 node w.js"]);
    const [pid] = running();
    expect(readFileSync(pidFile(), "utf8")).toBe(`${pid} 4242\n`);

    expect(await applySpecs([web])).toEqual([]); // as declared: nothing done
    expect(m.fake.ran(/^spawn/)).toHaveLength(1);

    m.fake.exit(pid);
    const fixed = await applySpecs([web]);
    expect(fixed.map((f) => f.drift)).toEqual([["missing: process node in ns01 is not running"]]);
    expect(m.fake.ran(/^spawn/)).toHaveLength(2);
    expect(running()).toHaveLength(1);
    expect(running()[0]).not.toBe(pid);
  });

  test("destroy stops its whole process group and removes its files", async () => {
    await applySpecs([web]);
    const [pid] = running();
    await removeSpecs([web]);
    expect(m.fake.signals).toEqual([[pid, "SIGTERM"]]);
    expect(running()).toEqual([]);
    expect(existsSync(pidFile())).toBe(false);
  });

  test("one that exits at once fails the apply with its log, and leaves no pid file", async () => {
    m.fake.exitsAtOnce = /w\.js/;
    await expect(applySpecs([web])).rejects.toThrow(
      /start web in ns01: .*failed: exited at once; its log .*workload-web\.log ends with/s,
    );
    expect(existsSync(pidFile())).toBe(false);
  });
});

describe("a delay line's relay", () => {
  const line = delayLine({ stack: "s", jitterMs: 5 });
  const none = noDelayLine;

  test("started in the line's namespace with its ports, delay and jitter; stopped by its removal", async () => {
    m.fake.on(/^(ip|nft|iptables-restore|nsenter) /, {});
    const log = () => undefined;
    await runPlans([{ steps: delayLineOps.converge(line, none), log }], log);
    const [relay] = m.fake.ran(/^spawn/);
    expect(relay).toMatch(/^spawn ip netns exec nld-1234567 \S+ \S+ relay \d+ \d+ 169\.254\.\d+\.\d+ 100 5$/);
    const [pid] = running();
    await runPlans([{ steps: delayLineOps.remove(line, { ...none, pid }, false), log }], log);
    expect(m.fake.signals).toEqual([[pid, "SIGTERM"]]);
    expect(running()).toEqual([]);
  });
});
