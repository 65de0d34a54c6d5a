// Pure tier through the exec seam: long-lived processes (workloads, delay lines' relays)
// are started, watched and stopped through it (netops/daemon.ts), so these run against
// the fake's table of pretend processes; their pid and log files are real, in a folder of
// the test's own.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DelayLineSpec, WorkloadSpec } from "../../model/schema";
import { delayLineOps, type DelayLineObs } from "../../netops/delayline";
import { applySpecs, removeSpecs } from "../../netops/engine";
import { runPlans } from "../../netops/exec";
import { parseSave } from "../../netops/iptables";
import { FakeExec } from "../helpers/fake-exec";

let fake: FakeExec;
let state: string;
beforeEach(() => {
  state = mkdtempSync(join(tmpdir(), "nslab-unit-"));
  process.env.NSLAB_STATE_DIR = state;
  fake = new FakeExec();
  fake.install();
  jest.spyOn(process.stdout, "write").mockImplementation(() => true);
});
afterEach(() => {
  fake.uninstall();
  rmSync(state, { recursive: true, force: true });
  delete process.env.NSLAB_STATE_DIR;
  jest.restoreAllMocks();
});

const web: WorkloadSpec = { v: 1, stack: "s", kind: "workload", name: "web", netns: "ns01", command: ["node", "w.js"] };
const pidFile = () => join(state, "_host", "s", "workload-web.pid");
const running = () => [...fake.processes.keys()];

describe("a workload", () => {
  test("started once in its namespace, left alone while it runs, started again when it has died", async () => {
    await applySpecs([web]);
    expect(fake.ran(/^spawn/)).toEqual(["spawn ip netns exec ns01 node w.js"]);
    const [pid] = running();
    expect(readFileSync(pidFile(), "utf8")).toBe(`${pid} 4242\n`);

    expect(await applySpecs([web])).toEqual([]); // as declared: nothing done
    expect(fake.ran(/^spawn/)).toHaveLength(1);

    fake.exit(pid);
    const fixed = await applySpecs([web]);
    expect(fixed.map((f) => f.drift)).toEqual([["missing: process node in ns01 is not running"]]);
    expect(fake.ran(/^spawn/)).toHaveLength(2);
    expect(running()).toHaveLength(1);
    expect(running()[0]).not.toBe(pid);
  });

  test("destroy stops its whole process group and removes its files", async () => {
    await applySpecs([web]);
    const [pid] = running();
    await removeSpecs([web]);
    expect(fake.signals).toEqual([[pid, "SIGTERM"]]);
    expect(running()).toEqual([]);
    expect(existsSync(pidFile())).toBe(false);
  });

  test("one that exits at once fails the apply with its log, and leaves no pid file", async () => {
    fake.exitsAtOnce = /w\.js/;
    await expect(applySpecs([web])).rejects.toThrow(
      /start web in ns01: .*failed: exited at once; its log .*workload-web\.log ends with/s,
    );
    expect(existsSync(pidFile())).toBe(false);
  });
});

describe("a delay line's relay", () => {
  const line: DelayLineSpec = {
    v: 1,
    kind: "delayline",
    stack: "s",
    netns: "e1",
    ifname: "eth0",
    bridge: "br1",
    port: "nlp1234567",
    delayMs: 100,
    jitterMs: 5,
  };
  const none: DelayLineObs = {
    port: null,
    far: null,
    a: null,
    b: null,
    under: null,
    nsExists: false,
    pid: null,
    rules: parseSave(""),
    untracked: null,
  };

  test("started in the line's namespace with its ports, delay and jitter; stopped by its removal", async () => {
    fake.on(/^(ip|nft|iptables-restore|nsenter) /, {});
    const log = () => undefined;
    await runPlans([{ steps: delayLineOps.converge(line, none), log }], log);
    const [relay] = fake.ran(/^spawn/);
    expect(relay).toMatch(/^spawn ip netns exec nld-1234567 \S+ \S+ relay \d+ \d+ 169\.254\.\d+\.\d+ 100 5$/);
    const [pid] = running();
    await runPlans([{ steps: delayLineOps.remove(line, { ...none, pid }, false), log }], log);
    expect(fake.signals).toEqual([[pid, "SIGTERM"]]);
    expect(running()).toEqual([]);
  });
});
