// A fake executor for the runner's seam (netops/exec.ts): answers commands from canned
// output (`ip -j`, `iptables-save`, `sysctl -n`), keeps a table of the processes it
// pretends to start (pids above the kernel's pid_max, so never a real one), records every
// argv it was given, and refuses any command nobody canned, so a unit test can never reach
// the machine.
import { useExecutor, type RunResult } from "../../netops/exec";

export type Answer = Partial<RunResult> | ((input?: string) => Partial<RunResult>);

export interface Call {
  readonly argv: string;
  readonly input?: string;
}

/** Above the kernel's largest pid_max (2^22): no real process has one. */
const FIRST_PID = 9_000_000;

export class FakeExec {
  readonly calls: Call[] = [];
  private readonly answers: [RegExp, Answer][] = [];
  /** Pretend processes: pid -> its argv, while it runs; `signals` what each was sent. */
  readonly processes = new Map<number, string>();
  readonly signals: [number, NodeJS.Signals][] = [];
  private nextPid = FIRST_PID;
  /** Commands that exit as soon as they start (not found, port taken). */
  exitsAtOnce: RegExp | null = null;

  /** Answer commands whose argv (joined by spaces) matches `re`; the last one given wins. */
  on(re: RegExp, answer: Answer): this {
    this.answers.unshift([re, answer]);
    return this;
  }

  /** The argv of the calls so far that match `re`, joined by spaces. */
  ran(re: RegExp = /./): string[] {
    return this.calls.map((c) => c.argv).filter((a) => re.test(a));
  }

  install(): void {
    useExecutor({
      run: async (argv, input) => {
        const line = argv.join(" ");
        this.calls.push({ argv: line, input });
        const hit = this.answers.find(([re]) => re.test(line));
        if (!hit) throw new Error(`fake exec: no answer canned for: ${line}`);
        const a = typeof hit[1] === "function" ? hit[1](input) : hit[1];
        return { ok: true, stdout: "", stderr: "", ...a };
      },
      spawn: (argv) => {
        const pid = this.nextPid++;
        this.calls.push({ argv: `spawn ${argv.join(" ")}` });
        if (!this.exitsAtOnce?.test(argv.join(" "))) this.processes.set(pid, argv.join(" "));
        return pid;
      },
      signalGroup: (pid, sig) => {
        this.signals.push([pid, sig]);
        this.processes.delete(pid);
      },
      startTime: (pid) => (this.processes.has(pid) ? "4242" : null),
    });
  }

  /** A pretend process ends by itself (crashed, killed by hand). */
  exit(pid: number): void {
    this.processes.delete(pid);
  }

  uninstall(): void {
    useExecutor(null);
  }
}

export const notFound = (what: string): Partial<RunResult> => ({
  ok: false,
  stderr: `Device "${what}" does not exist.\n`,
});
