// The one place that runs kernel commands: argv arrays through execa, never a shell.
import { execa } from "execa";
import { mkdirSync, rmdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { constants } from "node:os";
import { startDaemon, stopDaemon } from "./daemon";
import { run } from "./executor";
import type { Step } from "./step";

/** Commands run at once within a wave: enough to keep two cores busy while others wait on the kernel. */
const CONCURRENCY = 8;

export class StepError extends Error {
  constructor(
    readonly step: Step,
    readonly stderr: string,
    options?: { cause?: unknown },
  ) {
    super(`${step.what}: failed: ${stderr.trim() || "no error output"}\n  command: ${step.argv.join(" ")}`, options);
  }
}

export { processes, run, useExecutor, type Executor, type RunResult } from "./executor";

/**
 * Called after each step (or merged batch) of a plan succeeds: a throw there fails the
 * apply at that point, with its rollback. Nothing is called in production; the fail and
 * kill test hooks (test-hooks.ts) are installed here by main.ts when asked for.
 */
let afterStep: ((s: Step) => void) | undefined;

export function onStepDone(fn: ((s: Step) => void) | undefined): void {
  afterStep = fn;
}

/** A step: a command to wait for, or a long-lived process to start or stop. */
async function execute(s: Step): Promise<{ ok: boolean; stdout?: string; stderr: string }> {
  if (s.daemon) return startDaemon(s.argv, s.daemon);
  if (s.stop) return stopDaemon(s.stop);
  if (s.file) return writeOrDelete(s.file.path, s.file.content);
  return run(s.argv, s.input);
}

function writeOrDelete(path: string, content: string | null): { ok: boolean; stderr: string } {
  try {
    if (content !== null) {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, content);
    } else {
      rmSync(path, { force: true });
      try {
        rmdirSync(dirname(path));
      } catch {
        // other files still there
      }
    }
    return { ok: true, stderr: "" };
  } catch (err) {
    return { ok: false, stderr: (err as Error).message };
  }
}

export type Log = (line: string) => void;

/** One resource's steps, with the log its lines go to. */
export interface Plan {
  readonly steps: readonly Step[];
  readonly log: Log;
}

/**
 * Batch forms (`ip -batch -`, `iptables-restore --noflush`) with the same argv can run
 * as one command: their inputs are concatenated. That is what keeps a 200-endpoint
 * apply near the batched floor instead of paying one process per object.
 */
function mergeKey(s: Step): string | null {
  if (s.input === undefined) return null;
  const batch = s.argv.at(-1) === "-" && s.argv.at(-2) === "-batch";
  const restore =
    s.argv.some((a) => a === "iptables-restore" || a === "ip6tables-restore") && s.argv.includes("--noflush");
  return batch || restore ? s.argv.join("\0") : null;
}

interface Job {
  readonly steps: { step: Step; log: Log }[];
  readonly step: Step; // what runs: one step, or several merged
}

function jobsOf(wave: { step: Step; log: Log }[]): Job[] {
  const byKey = new Map<string, { step: Step; log: Log }[]>();
  const jobs: Job[] = [];
  for (const w of wave) {
    const k = mergeKey(w.step);
    if (k === null) jobs.push({ steps: [w], step: w.step });
    else byKey.set(k, [...(byKey.get(k) ?? []), w]);
  }
  for (const group of byKey.values()) {
    const first = group[0].step;
    const step =
      group.length === 1
        ? first
        : {
            what: group.map((g) => g.step.what).join("; "),
            argv: first.argv,
            input: group.map((g) => g.step.input).join(""),
          };
    jobs.push({ steps: group, step });
  }
  return jobs;
}

/** Run `body` on every item, `limit` at a time; the results in order. The first failure stops it. */
export async function pool<T, R>(items: readonly T[], limit: number, body: (t: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  let failed: unknown;
  const worker = async () => {
    while (next < items.length && failed === undefined) {
      const i = next++;
      try {
        out[i] = await body(items[i]);
      } catch (err) {
        failed ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failed !== undefined) throw failed;
  return out;
}

/**
 * Run many resources' steps in waves: wave i holds step i of every plan, so each
 * resource's own order is kept, mergeable steps of a wave run as one command, and the
 * rest run CONCURRENCY at a time. When a command fails, undo what this call did (the
 * failed wave included: a batch may stop half-way), in reverse, and rethrow: a failed
 * apply leaves nothing of its own behind.
 */
export async function runPlans(plans: readonly Plan[], log: Log): Promise<void> {
  const done: Step[] = [];
  const depth = Math.max(0, ...plans.map((p) => p.steps.length));
  let wave: { step: Step; log: Log }[] = [];
  try {
    for (let i = 0; i < depth; i++) {
      wave = plans.flatMap((p) => (p.steps[i] ? [{ step: p.steps[i], log: p.log }] : []));
      await pool(jobsOf(wave), CONCURRENCY, async (job) => {
        const r = await execute(job.step);
        if (!r.ok) throw new StepError(job.step, r.stderr || r.stdout || "");
        for (const s of job.steps) {
          s.log(s.step.what);
          done.push(s.step);
        }
        afterStep?.(job.step);
      });
    }
  } catch (err) {
    const undone = new Set(done);
    const undo = [...done, ...wave.map((w) => w.step).filter((s) => !undone.has(s))]
      .reverse()
      .flatMap((s) => (s.undo ? [s.undo] : []));
    for (const u of undo) {
      const r = await execute(u);
      log(r.ok ? `rollback: ${u.what}` : `rollback: ${u.what}: nothing to undo`);
    }
    throw err;
  }
}

/** A command a user works with (exec, shell, capture), attached to this runner's terminal or pipes. */
export interface Attached {
  readonly pid?: number;
  /** Its stdin and stdout, when given pipes. */
  readonly stdin: NodeJS.WritableStream | null;
  readonly stdout: NodeJS.ReadableStream | null;
  /** Its exit status as a shell reports it: 128 + the signal's number when a signal ended it. */
  readonly done: Promise<number>;
}

/**
 * Start argv with `stdio` as given: unbuffered, no timeout, the user's environment.
 * `detached`: in a process group of its own, so a Ctrl-C at the terminal reaches it only
 * through whoever started it (capture.ts: stopped once, cleanly).
 */
export function attach(
  argv: readonly string[],
  stdio: readonly ("inherit" | "pipe" | "ignore" | number)[],
  detached = false,
): Attached {
  const [file, ...args] = argv;
  // (execa's types take only literal fd numbers; these are real ones)
  const child = execa(file!, args, {
    stdio: stdio as unknown as ["pipe", "pipe", "pipe"],
    detached,
    reject: false,
    buffer: false,
  });
  const done = child.then((r) => {
    if (r.exitCode !== undefined) return r.exitCode;
    if (r.signal) return 128 + (constants.signals[r.signal] ?? 0);
    throw new Error(`${file}: ${r.shortMessage}`);
  });
  return { pid: child.pid, stdin: child.stdin, stdout: child.stdout, done };
}

/** Wait for an attached command, with these handlers on this runner's signals meanwhile (removed after). */
export async function waitHandling(
  child: Attached,
  on: { readonly SIGINT: () => unknown; readonly SIGTERM: () => unknown },
): Promise<number> {
  process.on("SIGINT", on.SIGINT);
  process.on("SIGTERM", on.SIGTERM);
  try {
    return await child.done;
  } finally {
    process.off("SIGINT", on.SIGINT);
    process.off("SIGTERM", on.SIGTERM);
  }
}
