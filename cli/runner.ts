// The one way the CLI runs the runner: the deployed lab's own copy (cli/deployed.ts), in
// its record folder, on its lab file, with a verb the runner takes on a lab file
// (model/verbs.ts) and that verb's arguments, typed from its description.
import { execa, type Options, type ResultPromise } from "execa";
import type { ArgsOf } from "../model/argv";
import type { Impairment } from "../model/schema";
import { RUNNER_VERBS, type FormsOf, type RunnerVerb } from "../model/verbs";
import type { DeployedLab } from "./deployed";
import { CliError } from "./manifest";

/** The runner's verbs that take a lab file. */
export type LabVerb = { [V in RunnerVerb]: "lab" extends FormsOf<V> ? V : never }[RunnerVerb];

type Spec<V extends LabVerb> = (typeof RUNNER_VERBS)[V];

/** A verb's arguments besides the lab file. */
export interface RunnerCall<V extends LabVerb> {
  readonly pos?: Omit<ArgsOf<Spec<V>>["pos"], "lab file">;
  readonly flags?: ArgsOf<Spec<V>>["flags"];
  readonly rest?: readonly string[];
}

/** The runner's argv (node runs it, in the record folder): positionals in order, then flags, then `--` and the rest. */
export function runnerArgv<V extends LabVerb>(d: DeployedLab, verb: V, call: RunnerCall<V> = {}): string[] {
  const spec = RUNNER_VERBS[verb];
  const pos = (call.pos ?? {}) as Record<string, string | undefined>;
  const positionals = spec.positionals.flatMap((p) => (p.name === "lab file" ? [d.lab] : (pos[p.name] ?? [])));
  const flags = Object.entries((call.flags ?? {}) as Record<string, string | number | boolean | undefined>).flatMap(
    ([name, v]) => (v === undefined || v === false ? [] : v === true ? [`--${name}`] : [`--${name}`, String(v)]),
  );
  const rest = "rest" in spec && call.rest ? ["--", ...call.rest] : [];
  return [d.runner, verb, ...positionals, ...flags, ...rest];
}

/** The runner started: for a caller that streams its output or attaches it (exec, capture, watch). */
export function startRunner<V extends LabVerb>(
  d: DeployedLab,
  verb: V,
  call: RunnerCall<V>,
  options: Options,
): ResultPromise {
  return execa("node", runnerArgv(d, verb, call), { cwd: d.dir, reject: false, ...options });
}

/**
 * The runner run to its end. `output`: straight to ours (`inherit`), stdout kept and
 * stderr ours (`stdout`: a JSON answer), or both kept (`keep`: the live page shows them).
 */
export async function runRunner<V extends LabVerb>(
  d: DeployedLab,
  verb: V,
  call: RunnerCall<V> = {},
  output: "inherit" | "stdout" | "keep" = "inherit",
): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdio =
    output === "inherit"
      ? (["inherit", "inherit", "inherit"] as const)
      : output === "stdout"
        ? (["ignore", "pipe", "inherit"] as const)
        : (["ignore", "pipe", "pipe"] as const);
  const r = await startRunner(d, verb, call, { stdio: [...stdio] });
  if (r.exitCode === undefined)
    throw new CliError(`the runner of stack ${d.stack} did not run: ${r.shortMessage}`, undefined, {
      cause: r,
      exitCode: 1,
    });
  const text = (v: unknown) => (typeof v === "string" ? v : "");
  return { code: r.exitCode, stdout: text(r.stdout), stderr: text(r.stderr) };
}

/** The runner's JSON answer to `verb`, or a CliError saying it answered something else. */
export function answerOf<T>(d: DeployedLab, verb: LabVerb, stdout: string): T {
  try {
    return JSON.parse(stdout) as T;
  } catch (err) {
    throw new CliError(`the runner of stack ${d.stack} answered ${verb} with something else than JSON`, undefined, {
      cause: err,
      exitCode: 1,
    });
  }
}

/** `impair`'s change as the runner takes it: the user's Mbit/s as the spec's kbit/s. */
export function impairmentOf(given: { readonly loss?: number; readonly rate?: number }): Impairment {
  return {
    ...(given.loss !== undefined ? { lossPercent: given.loss } : {}),
    ...(given.rate !== undefined ? { rateKbit: Math.round(given.rate * 1000) } : {}),
  };
}
