// The seam between the runner and the machine: every command and long-lived process goes
// through here (exec.ts runs plans of them, daemon.ts keeps the long-lived ones), so unit
// tests fake the machine in one place (test/helpers/fake-exec.ts).
import { execa } from "execa";
import { startTime } from "./proc";

/** A command that runs longer than this is stuck (a held xtables lock, a hung netns). */
const STEP_TIMEOUT_MS = 30_000;

export interface RunResult {
  readonly ok: boolean;
  readonly stdout: string;
  readonly stderr: string;
  /** The exit status, when the caller needs more than ok (ssh's 255: no connection). */
  readonly code?: number;
}

/**
 * The seam between the runner and the machine: every command goes through `run`, every
 * long-lived process through `spawn`, `signal` and `startTime`. Unit tests put a fake here
 * that answers from canned `ip -j` / `iptables-save` output, keeps a table of the
 * processes it pretends to run, and records the argv it was given (test/helpers/fake-exec.ts).
 */
export interface Executor {
  run(argv: readonly string[], input?: string): Promise<RunResult>;
  /** Start argv in a session of its own, its output to the open file `log`; its pid, undefined if it could not start. */
  spawn(argv: readonly string[], log: number): number | undefined;
  /** Send `sig` to a process group; one that is gone is fine. */
  signalGroup(pid: number, sig: NodeJS.Signals): void;
  /** A live process's start time (netops/proc.ts), null when it is gone. */
  startTime(pid: number): string | null;
}

/** Run argv; a non-zero exit is returned, not thrown (the caller knows which are expected). */
const execaExecutor: Executor = {
  async run(argv, input) {
    const [file, ...args] = argv;
    const r = await execa(file, args, {
      input,
      reject: false,
      timeout: STEP_TIMEOUT_MS,
      stripFinalNewline: false,
      env: { LC_ALL: "C" },
    });
    if (r.failed && r.exitCode === undefined) {
      // spawn failure or timeout: not an answer from the command, so never "expected"
      throw new Error(`${argv.join(" ")}: ${r.shortMessage}`);
    }
    return { ok: r.exitCode === 0, stdout: r.stdout, stderr: r.stderr, code: r.exitCode };
  },
  spawn(argv, log) {
    const [file, ...args] = argv;
    // a real file descriptor, not a pipe through this runner: the process outlives the
    // runner, and a pipe would break under it (EPIPE) as soon as the runner exits.
    // (execa's types take only literal fd numbers; `log` is a real one from openSync)
    const stdio = ["ignore", log, log] as unknown as ["ignore", 1, 1];
    const child = execa(file!, [...args], { detached: true, stdio, cleanup: false, reject: false });
    child.catch(() => undefined); // its exit is watched by its pid, never awaited
    child.unref();
    return child.pid;
  },
  signalGroup(pid, sig) {
    try {
      process.kill(-pid, sig); // its own session and group: children go too
    } catch {
      // already gone
    }
  },
  startTime,
};

let executor = execaExecutor;

/** Put `e` in the seam (null: the real one back); returns the one it replaces. */
export function useExecutor(e: Executor | null): Executor {
  const before = executor;
  executor = e ?? execaExecutor;
  return before;
}

export function run(argv: readonly string[], input?: string): Promise<RunResult> {
  return executor.run(argv, input);
}

/** The machine's processes, through the seam (daemon.ts). */
export const processes = {
  spawn: (argv: readonly string[], log: number) => executor.spawn(argv, log),
  signalGroup: (pid: number, sig: NodeJS.Signals) => executor.signalGroup(pid, sig),
  startTime: (pid: number) => executor.startTime(pid),
};
