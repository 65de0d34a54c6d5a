// A fake executor for the runner's seam (netops/exec.ts): answers commands from canned
// output (`ip -j`, `iptables-save`, `sysctl -n`), records every argv it was given, and
// refuses any command nobody canned, so a unit test can never reach the machine.
import { useExecutor, type RunResult } from "../../netops/exec";

export type Answer = Partial<RunResult> | ((input?: string) => Partial<RunResult>);

export interface Call {
  readonly argv: string;
  readonly input?: string;
}

export class FakeExec {
  readonly calls: Call[] = [];
  private readonly answers: [RegExp, Answer][] = [];

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
    });
  }

  uninstall(): void {
    useExecutor(null);
  }
}

export const notFound = (what: string): Partial<RunResult> => ({
  ok: false,
  stderr: `Device "${what}" does not exist.\n`,
});
