// The live state behind `nslab ui`: the stack's runner watching the lab (`netops watch`:
// every machine's inspect and interface counters, a JSON line a period), the latest look
// kept, and rates made of the last two.
import type { ResultPromise } from "execa";
import { createInterface } from "node:readline";
import type { Counters } from "../../netops/counters";
import type { InspectReport } from "../inspect";
import type { DeployedLab } from "../deployed";
import { startRunner } from "../runner";

export interface Look {
  /** When the look began (ms since the epoch). */
  readonly at: number;
  readonly objects: InspectReport["objects"];
  readonly extra: InspectReport["extra"];
  readonly counters: readonly Counters[];
}

/** Per second, between two looks: rx and tx of the interface counted. */
export interface Rate {
  readonly rxBps: number;
  readonly txBps: number;
  readonly rxPps: number;
  readonly txPps: number;
}

/** An object the runner reported, by the ref its spec has (graph.ts refOf): its key, and `@<Host>` on a Host. */
export const seenRef = (o: { key: string; machine?: string }) => (o.machine ? `${o.key}@${o.machine}` : o.key);

export class Live {
  private last?: Look;
  private rates = new Map<string, Rate>();
  private readonly runner: ResultPromise;
  private waiting: (() => void)[] = [];
  /** The runner's complaint when its watch ended. */
  failed?: string;

  constructor(s: DeployedLab, everyMs: number) {
    this.runner = startRunner(
      s,
      "watch",
      { flags: { every: everyMs } },
      {
        stdio: ["pipe", "pipe", "pipe"],
        buffer: { stdout: false, stderr: true },
      },
    );
    createInterface({ input: this.runner.stdout! }).on("line", (line) => this.take(JSON.parse(line) as Look));
    void this.runner.then((r) => {
      this.failed = `the runner's watch ended (exit ${r.exitCode ?? r.signal}): ${String(r.stderr).trim()}`;
      this.waiting.splice(0).forEach((w) => w());
    });
  }

  private take(look: Look): void {
    const before = this.last;
    if (before) {
      const seconds = (look.at - before.at) / 1000;
      const old = new Map(before.counters.map((c) => [seenRef(c), c]));
      this.rates = new Map(
        look.counters.flatMap((c) => {
          const o = old.get(seenRef(c));
          // a counter that went back is an interface made again: no rate this time
          if (!o || seconds <= 0 || c.rxBytes < o.rxBytes || c.txBytes < o.txBytes) return [];
          const per = (a: number, b: number) => (a - b) / seconds;
          return [
            [
              seenRef(c),
              {
                rxBps: per(c.rxBytes, o.rxBytes),
                txBps: per(c.txBytes, o.txBytes),
                rxPps: per(c.rxPackets, o.rxPackets),
                txPps: per(c.txPackets, o.txPackets),
              },
            ],
          ];
        }),
      );
    }
    this.last = look;
    this.waiting.splice(0).forEach((w) => w());
  }

  /** The latest look (the first: waited for) and the rates by ref. */
  async now(): Promise<{ look?: Look; rates: ReadonlyMap<string, Rate> }> {
    if (!this.last && !this.failed) await new Promise<void>((r) => this.waiting.push(r));
    return { look: this.last, rates: this.rates };
  }

  /** Stop watching: the runner ends when its stdin does. */
  async stop(): Promise<void> {
    this.runner.stdin?.end();
    await this.runner;
  }
}
