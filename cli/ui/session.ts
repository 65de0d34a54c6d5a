// What the live page holds between requests and does when asked: the lab as the runner's
// watch sees it (live.ts), the last test run, the last scenario run (read from beside the
// record, wherever it was run), what the last action printed, and the actions
// themselves, each through the stack's runner as the CLI's own verbs do.
import type { ServerResponse } from "node:http";
import { join } from "node:path";
import { readLab, type LabFile } from "../../model/lab-file";
import type { ObjectSpec } from "../../model/schema";
import type { TestReport, TraceReport } from "../../model/reports";
import { lastRun } from "../scenario";
import { renderTrace } from "../trace";
import type { DeployedLab } from "../deployed";
import { impairmentOf, runRunner, startRunner } from "../runner";
import { Live } from "./live";
import type { View } from "./page";

/** How often the lab is looked at, and the page refreshed. */
const EVERY_MS = 1000;
export const CAPTURE_SECONDS = { min: 1, max: 60 };

type Outcome = View["lastAction"];

/** An action's outcome as the page shows it: what the runner printed. */
const outcomeOf = (what: string, r: { code: number; stdout: string; stderr: string }): Outcome => ({
  ok: r.code === 0,
  text: `${what}: ${r.code === 0 ? "done" : "failed"}\n${(r.stdout + r.stderr).trim()}`,
});

export class Session {
  readonly lab: LabFile;
  private readonly specs: readonly ObjectSpec[];
  private readonly live: Live;
  private tests: View["tests"];
  private lastAction: Outcome;
  private lastTrace: View["trace"];

  constructor(
    private readonly d: DeployedLab,
    readonly token: string,
  ) {
    ({ lab: this.lab, specs: this.specs } = readLab(join(d.dir, d.lab)));
    this.live = new Live(d, EVERY_MS);
  }

  async view(): Promise<View> {
    const { look, rates } = await this.live.now();
    const { lab, specs, tests, lastAction, token, lastTrace: trace } = this;
    const run = lastRun(this.d);
    return { lab, specs, look, rates, tests, lastAction, trace, run, token, failed: this.live.failed };
  }

  async link(target: string, state: "up" | "down"): Promise<void> {
    this.lastAction = outcomeOf(
      `link ${target} ${state}`,
      await runRunner(this.d, "link", { pos: { target, state } }, "keep"),
    );
  }

  /** Loss and rate as the page's form gives them (Mbit/s, as `nslab impair`), or reset. */
  async impair(target: string, given: { loss?: number; rate?: number }, reset: boolean): Promise<void> {
    const imp = impairmentOf(given);
    if (!reset && !Object.keys(imp).length) {
      this.lastAction = { ok: false, text: `impair ${target}: give a loss (%) or a rate (Mbit/s), or reset` };
      return;
    }
    const what = reset ? "reset" : JSON.stringify(imp);
    this.lastAction = outcomeOf(
      `impair ${target}`,
      await runRunner(this.d, "impair", { pos: { target, what } }, "keep"),
    );
  }

  /** One probe traced (`nslab trace`): its words as the last action, its path on the picture. */
  async trace(from: string, to: string, proto: string, port: number | undefined): Promise<void> {
    const flags = proto === "tcp" ? { tcp: port } : proto === "udp" ? { udp: port } : { icmp: true };
    if (proto !== "icmp" && !(Number.isInteger(port) && port! >= 1 && port! <= 65535)) {
      this.lastAction = { ok: false, text: `trace: a ${proto} probe needs a port from 1 to 65535` };
      return;
    }
    const r = await runRunner(this.d, "trace", { pos: { from, to }, flags }, "keep");
    if (r.code !== 0) {
      this.lastAction = outcomeOf(`trace ${from} ${to}`, r);
      return;
    }
    const report = JSON.parse(r.stdout) as TraceReport;
    this.lastTrace = report;
    this.lastAction = { ok: report.verdict === "delivered", text: renderTrace(report).trimEnd() };
  }

  async test(): Promise<void> {
    const r = await runRunner(this.d, "test", { flags: { json: true } }, "keep");
    try {
      this.tests = { at: Date.now(), outcomes: (JSON.parse(r.stdout) as TestReport).outcomes };
    } catch {
      this.tests = { at: Date.now(), outcomes: [], error: `the test did not run: ${r.stderr.trim()}` };
    }
    this.lastAction = undefined;
  }

  /**
   * A capture of `seconds` at `target`, streamed as a pcap download. The headers wait for
   * the first bytes: a target that is wrong is an error, not a broken file. Its stderr
   * when it failed before sending anything; null when it sent.
   */
  async capture(res: ServerResponse, target: string, seconds: number): Promise<string | null> {
    const child = startRunner(
      this.d,
      "capture",
      { pos: { target }, flags: { seconds } },
      { stdin: "ignore", buffer: { stdout: false, stderr: true } },
    );
    let started = false;
    child.stdout!.on("data", (chunk: Buffer) => {
      if (!started) {
        started = true;
        const name = `${this.lab.stack}-${target.replace(/[^A-Za-z0-9_.-]/g, "_")}.pcap`;
        res.writeHead(200, {
          "content-type": "application/vnd.tcpdump.pcap",
          "content-disposition": `attachment; filename="${name}"`,
          "cache-control": "no-store",
        });
      }
      res.write(chunk);
    });
    const r = await child;
    if (!started) return String(r.stderr).trim();
    res.end();
    return null;
  }

  stop(): Promise<void> {
    return this.live.stop();
  }
}
