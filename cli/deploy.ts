// `nslab deploy|destroy|diff [stack...]`: synthesize with the project's own app, then run
// Terraform on each stack's folder directly (cli/terraform.ts). The same cdktf.out and the
// same state file as `cdktf deploy`, so either tool undoes what the other did; the time
// the cdktf CLI spends around Terraform (~3 s a deploy) is not spent. Output: a line per
// lab object as it finishes, a failure with the runner's own lines and the construct's
// path, a summary with what the deploy's converge put right; `--json` for scripts.
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { STACK_MANIFEST } from "../model/manifest";
import { loadStack } from "./manifest";
import { Progress, SIGN, type Diagnostic, type ObjectResult } from "./progress";
import { lockProject } from "./deploy-lock";
import {
  carryTerraform,
  discard,
  pickStacks,
  readProject,
  stacksOf,
  swapIn,
  synthesizeAside,
  type Project,
} from "./project";
import { batchChanges, type PlanJson } from "./batch-diff";
import { checkSandbox } from "./sandbox-guard";
import { initIfNeeded, runTerraform, showPlan } from "./terraform";

export type TfVerb = "deploy" | "destroy" | "diff";

export interface TfArgs {
  readonly verb: TfVerb;
  readonly stacks: readonly string[];
  readonly json: boolean;
  readonly parallelism?: number;
}

interface StackReport {
  readonly stack: string;
  readonly exitCode: number;
  readonly interrupted: boolean;
  readonly seconds: { readonly synth: number; readonly terraform: number };
  readonly counts?: Record<string, number>;
  readonly objects: readonly ObjectResult[];
  readonly converged: readonly string[];
  readonly diagnostics: readonly Diagnostic[];
}

const since = (t: number) => Math.round((Date.now() - t) / 10) / 100;

export async function tfVerb(args: TfArgs): Promise<number> {
  const print = args.json ? undefined : (line: string) => void process.stdout.write(`${line}\n`);
  const t0 = Date.now();
  const project = readProject();
  // a deploy or destroy puts its synth in place of cdktf.out: one at a time (a diff changes nothing)
  const release = args.verb === "diff" ? () => {} : lockProject(project.out, args.verb, args.stacks);
  let reports: StackReport[];
  try {
    reports = await synthAndRun(args, project, t0, print);
  } finally {
    release();
  }
  const exitCode = Math.max(0, ...reports.map((r) => r.exitCode));
  if (args.json)
    process.stdout.write(`${JSON.stringify({ v: 1, verb: args.verb, exitCode, stacks: reports }, null, 1)}\n`);
  return exitCode;
}

async function synthAndRun(
  args: TfArgs,
  project: Project,
  t0: number,
  print: ((line: string) => void) | undefined,
): Promise<StackReport[]> {
  // synthesized aside: a diff, or a deploy refused below, leaves cdktf.out as it was
  const aside = await synthesizeAside(project);
  const reports: StackReport[] = [];
  try {
    const synthSeconds = since(t0);
    const picked = pickStacks(stacksOf(aside), args.stacks);
    // every stack checked before any runs: a refusal leaves nothing half-applied
    if (args.verb !== "destroy")
      for (const stack of picked) {
        const manifest = manifestOf(aside.out, stack, stacksOf(aside).get(stack)!);
        if (manifest) checkSandbox(stack, manifest, project.out, args.verb);
      }
    // a plan reads the synth aside (with a copy of Terraform's files); a deploy or destroy, the output
    if (args.verb !== "diff") swapIn(aside, project);
    const where = args.verb === "diff" ? aside : project;
    const all = stacksOf(where);
    for (const stack of picked) {
      if (where === aside) carryTerraform(join(project.out, "stacks", stack), all.get(stack)!, "copy");
      const report = await runStack(args, stack, where.out, all.get(stack)!, synthSeconds, print);
      reports.push(report);
      if (report.exitCode !== 0 && report.exitCode !== 2) break; // a failure stops the rest, as cdktf's does
    }
  } finally {
    discard(aside);
  }
  return reports;
}

/** A stack's manifest, when it is a LabStack (a stack of the app that is not is still deployed, by address). */
const manifestOf = (out: string, stack: string, dir: string) =>
  existsSync(join(dir, STACK_MANIFEST)) ? loadStack(out, stack).manifest : undefined;

async function runStack(
  args: TfArgs,
  stack: string,
  out: string,
  dir: string,
  synthSeconds: number,
  print: ((line: string) => void) | undefined,
): Promise<StackReport> {
  const t0 = Date.now();
  const manifest = manifestOf(out, stack, dir);
  const batched = manifest?.execution === "batched";
  const progress = new Progress(
    manifest?.resources ?? {},
    batched,
    print,
    process.stdout.isTTY ? process.stdout : undefined,
  );
  print?.(`${stack}: ${args.verb === "diff" ? "planning" : `${args.verb}ing`}`);
  await initIfNeeded(dir);
  // a batched stack's plan is read back (cli/batch-diff.ts): kept inside Terraform's own folder
  const planFile = batched && args.verb === "diff" ? join(".terraform", "nslab-diff.tfplan") : undefined;
  const tfArgs =
    args.verb === "diff"
      ? ["plan", "-detailed-exitcode", ...(planFile ? [`-out=${planFile}`] : [])]
      : ["apply", ...(args.verb === "destroy" ? ["-destroy"] : []), "-auto-approve"];
  if (args.parallelism) tfArgs.push(`-parallelism=${args.parallelism}`);
  let interrupted = false;
  const code = await runTerraform(
    dir,
    tfArgs,
    (m) => progress.onMessage(m),
    (n) => {
      interrupted = true;
      progress.interrupt();
      // Terraform's graceful stop: nothing new starts, and the provisioners running now are
      // killed (their objects tainted: the next deploy makes them again)
      progress.line(
        n === 1
          ? "  stopping: nothing new starts; what was being made is left for the next deploy (Ctrl-C again: stop at once)"
          : "  stopping at once",
      );
    },
  );
  progress.clear();
  const seconds = { synth: synthSeconds, terraform: since(t0) };
  const base = { stack, interrupted, seconds, converged: progress.converged, diagnostics: progress.diagnostics };
  if (args.verb === "diff") {
    let changes = progress.changes;
    if (planFile && (code === 0 || code === 2)) {
      const gate = Object.keys(manifest?.resources ?? {}).find((a) => manifest!.resources![a].role === "gate")!;
      changes = [...changes, ...batchChanges((await showPlan(dir, planFile)) as PlanJson, gate, manifest!)];
    }
    if (planFile) rmSync(join(dir, planFile), { force: true });
    const exitCode = diffExit(code, changes.length);
    if (print) for (const line of diffLines(stack, changes, exitCode)) print(line);
    return { ...base, exitCode, objects: changes };
  }
  const counts = progress.counts();
  const objects = [...progress.results.values()];
  print?.(summary(args.verb, stack, code, interrupted, { seconds, counts, objects, tool: progress.tool }));
  for (const line of progress.converged) print?.(`  ${line}`);
  return { ...base, exitCode: code, counts, objects };
}

/**
 * `nslab diff`'s exit code from Terraform's and the lab's changes: the stack's own
 * resources (the sweep, the converge) change on every plan, so 0 and 2 say whether the
 * lab itself would change.
 */
export function diffExit(code: number, changes: number): number {
  // a plan that did not finish (1, or a signal's 128 + n) says nothing about the lab
  if (code !== 0 && code !== 2) return code;
  return changes ? 2 : 0;
}

function summary(
  verb: "deploy" | "destroy",
  stack: string,
  code: number,
  interrupted: boolean,
  run: {
    seconds: StackReport["seconds"];
    counts: Record<string, number>;
    objects: readonly ObjectResult[];
    tool: Progress["tool"];
  },
): string {
  const { seconds, counts, objects } = run;
  const took = `${(seconds.synth + seconds.terraform).toFixed(1)} s (synth ${seconds.synth.toFixed(1)} s, ${run.tool} ${seconds.terraform.toFixed(1)} s)`;
  const done = Object.entries(counts)
    .filter(([, n]) => n)
    .map(([w, n]) => `${n} ${w}`)
    .join(", ");
  if (interrupted)
    return `${stack}: ${verb} interrupted after ${took}${done ? `, ${done}` : ""}: run \`nslab ${verb} ${stack}\` again to finish`;
  if (code !== 0) {
    const failed = objects.filter((o) => o.ok === false).map((o) => o.label);
    return `${stack}: ${verb} failed after ${took}${failed.length ? `: ${failed.join(", ")}` : ""} (exit ${code})`;
  }
  return `${stack}: ${verb === "deploy" ? "deployed" : "destroyed"} in ${took}: ${done || "no object changed"}`;
}

function diffLines(stack: string, changes: readonly ObjectResult[], exitCode: number): string[] {
  if (exitCode !== 0 && exitCode !== 2) return [`${stack}: the plan did not finish (exit ${exitCode})`];
  if (!changes.length) return [`${stack}: no change: the deployed lab is as declared in Terraform's state`];
  return [
    `${stack}: ${changes.length} object${changes.length === 1 ? "" : "s"} to change`,
    ...changes.map((c) => `  ${(SIGN[c.action] ?? c.action).padEnd(3)} ${c.label.padEnd(44)} ${c.path}`),
  ];
}
