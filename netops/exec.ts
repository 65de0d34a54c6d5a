// The one place that runs kernel commands: argv arrays through execa, never a shell.
import { execa } from "execa";
import type { Step } from "./step";

/** A command that runs longer than this is stuck (a held xtables lock, a hung netns). */
const STEP_TIMEOUT_MS = 30_000;

export class StepError extends Error {
  constructor(
    readonly step: Step,
    readonly stderr: string,
    options?: { cause?: unknown },
  ) {
    super(`${step.what}: failed: ${stderr.trim() || "no error output"}\n  command: ${step.argv.join(" ")}`, options);
  }
}

export interface RunResult {
  readonly ok: boolean;
  readonly stdout: string;
  readonly stderr: string;
}

/** Run argv; a non-zero exit is returned, not thrown (the caller knows which are expected). */
export async function run(argv: readonly string[], input?: string): Promise<RunResult> {
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
  return { ok: r.exitCode === 0, stdout: r.stdout, stderr: r.stderr };
}

/** Test hooks: fail (with rollback) or die (SIGKILL, no rollback) after the k-th step. */
const FAIL_AFTER = envInt("NETLAB_FAIL_AFTER_STEP");
const KILL_AFTER = envInt("NETLAB_KILL_AFTER_STEP");
let stepsDone = 0;

function envInt(name: string): number | undefined {
  const v = process.env[name];
  return v === undefined || v === "" ? undefined : Number(v);
}

export type Log = (line: string) => void;

/** Run one step, log one line, throw StepError naming the object on failure. */
export async function runStep(step: Step, log: Log): Promise<void> {
  const r = await run(step.argv, step.input);
  if (!r.ok) throw new StepError(step, r.stderr || r.stdout);
  log(step.what);
  stepsDone++;
  if (KILL_AFTER !== undefined && stepsDone >= KILL_AFTER) process.kill(process.pid, "SIGKILL");
  if (FAIL_AFTER !== undefined && stepsDone >= FAIL_AFTER) {
    throw new StepError(step, `injected failure after step ${stepsDone} (NETLAB_FAIL_AFTER_STEP)`);
  }
}

/**
 * Run steps in order. When one fails, undo the ones that succeeded, in reverse, and
 * rethrow: a failed create leaves nothing of its own behind (Terraform taints the
 * resource and never runs its destroy provisioner).
 */
export async function runAll(steps: readonly Step[], log: Log): Promise<void> {
  const done: Step[] = [];
  try {
    for (const s of steps) {
      await runStep(s, log);
      done.push(s);
    }
  } catch (err) {
    // the step that failed may have half-happened (a batch stops mid-way): undo it too
    const failed = steps[done.length];
    const undo = [...done, ...(failed ? [failed] : [])].reverse().flatMap((s) => (s.undo ? [s.undo] : []));
    for (const u of undo) {
      const r = await run(u.argv, u.input);
      log(r.ok ? `rollback: ${u.what}` : `rollback: ${u.what}: nothing to undo`);
    }
    throw err;
  }
}
