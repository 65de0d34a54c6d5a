// `run <lab> <scenario> [--junit FILE]`: a declared scenario (model/scenario-spec.ts) on
// the deployed lab. Every probe is a series in the namespace it starts from
// (probe-series.ts), all counting from one start; each step is applied at its time on the
// machine of its target, by the run-time verbs (runtime.ts) or as a workload's own
// destroy and apply. Whatever happens (the end, Ctrl-C, a step that fails), what the run
// left faulted is put back as deployed before it reports. The report is written beside
// the lab's record (the live page shows the last one), and as JUnit when asked.
import { writeFileSync } from "node:fs";
import { specKey } from "../model/kinds";
import { readLab, type LabFile } from "../model/lab-file";
import type { ScenarioReport, ScenarioSample, ScenarioStepReport } from "../model/reports";
import { ScenarioSpec, type FaultSpec } from "../model/scenario-spec";
import { sandboxHostOf, type ExpectSpec, type ObjectSpec } from "../model/schema";
import { applySpecs, log, removeSpecs } from "./engine";
import { attach, type Attached } from "./exec";
import { addOutside, origin, outsideOf, outsideSix, removeOutside, targetsFrom } from "./expect";
import { hostAt } from "./host-at";
import { scenarioJunit } from "./junit";
import { netnsExists } from "./observe";
import { measure } from "./outages";
import type { SeriesOrder } from "../model/messages";
import type { Sample } from "./probe-series";
import { writeLastRun } from "./record";
import { impairNow, linkNow } from "./runtime";

/** Time for every probe's process to start before the first probe is due (on a Host: over ssh, its runner copied first). */
const LEAD_MS = 600;
const LEAD_THERE_MS = 2500;

const say = log("run");

export function scenarioOf(lab: LabFile, name: string): ScenarioSpec {
  const all = (lab.scenarios ?? []).map((s) => ScenarioSpec.parse(s));
  const found = all.find((s) => s.name === name);
  if (found) return found;
  throw new Error(
    all.length
      ? `stack ${lab.stack} has no scenario ${name} deployed; it has: ${all.map((s) => s.name).join(", ")}`
      : `stack ${lab.stack} has no scenario deployed (declare a Scenario in the stack, then deploy)`,
  );
}

/** What puts a fault's target back as deployed, by the target it acts on. */
function undoOf(f: FaultSpec): [string, FaultSpec] {
  if (f.kind === "link") return [`link ${f.target}`, { ...f, up: true }];
  if (f.kind === "impair") return [`impair ${f.target}`, { ...f, impair: null }];
  return [`workload ${f.key.replace(/^workload-/, "")}`, { ...f, running: true }];
}

/** Whether `f` leaves its target as deployed (nothing to undo after it). */
const asDeployed = (f: FaultSpec) => (f.kind === "link" ? f.up : f.kind === "impair" ? f.impair === null : f.running);

async function apply(f: FaultSpec, specs: readonly ObjectSpec[]): Promise<void> {
  if (f.kind === "link") return linkNow(specs, f.target, f.up);
  if (f.kind === "impair") return impairNow(specs, f.target, f.impair);
  const spec = specs.find((s) => specKey(s) === f.key);
  if (!spec) throw new Error(`${f.key} is not in the deployed lab`);
  if (spec.remote) {
    const code = await hostAt(spec.remote).lines(f.running ? "apply" : "destroy", [spec]);
    if (code !== 0) throw new Error(`${f.key}: failed on host ${spec.remote.name}`);
  } else if (f.running) await applySpecs([spec], { quiet: true });
  else await removeSpecs([spec]);
}

/** A probe's series: its process, and its samples as they come (ms from the run's start). */
interface Series {
  readonly probe: ExpectSpec;
  readonly child: Attached;
  readonly samples: ScenarioSample[];
}

/**
 * The probes' series, started in their namespaces: here, or by the runner of the Host a
 * probe starts on (its samples count from the same start: the machines' clocks must agree).
 */
async function startSeries(
  lab: LabFile,
  sc: ScenarioSpec,
  outside: ReturnType<typeof outsideOf>,
  t0: number,
): Promise<Series[]> {
  const count = Math.max(1, Math.ceil((sc.seconds * 1000) / sc.everyMs));
  return Promise.all(
    sc.probes.map(async (p: ExpectSpec) => {
      const order: SeriesOrder = {
        check: p.check as SeriesOrder["check"],
        targets: targetsFrom(p, outside),
        ...(p.port !== undefined ? { port: p.port } : {}),
        everyMs: sc.everyMs,
        timeoutMs: sc.timeoutMs,
        count,
        t0,
      };
      const series = ["probe", "series", JSON.stringify(order)];
      // its stdin held open: closing it stops the series early (and so does this runner's death)
      const child: Attached =
        p.from.kind === "netns" && p.from.remote
          ? await hostAt(p.from.remote).series({ netns: p.from.netns, order })
          : attach(
              [...origin(lab, p.from, outside.ns), process.execPath, process.argv[1], ...series],
              ["pipe", "pipe", "inherit"],
            );
      const samples: ScenarioSample[] = [];
      let rest = "";
      child.stdout!.on("data", (chunk: Buffer) => {
        const lines = (rest + chunk.toString()).split("\n");
        rest = lines.pop()!;
        for (const l of lines.filter(Boolean)) {
          const s = JSON.parse(l) as Sample;
          samples.push({ at: s.at - t0, ok: s.ok, ...(s.ms !== undefined ? { ms: s.ms } : {}) });
        }
      });
      return { probe: p, child, samples };
    }),
  );
}

/** A run in progress: what was applied, what is left faulted, and whether it was cut short. */
interface Run {
  readonly t0: number;
  readonly steps: ScenarioStepReport[];
  /** What is faulted now, by target: the fault that puts it back as deployed. */
  readonly left: Map<string, FaultSpec>;
  interrupted: boolean;
  /** When it was cut short (ms from its start). */
  cutAt?: number;
  error?: string;
  /** Ends the wait for the next step at once (Ctrl-C). */
  wake: () => void;
}

/** Each step at its time, in order; the first that fails ends them (the run is then undone). */
async function applySteps(sc: ScenarioSpec, specs: readonly ObjectSpec[], run: Run): Promise<void> {
  for (const [k, step] of sc.steps.entries()) {
    const wait = run.t0 + step.at * 1000 - Date.now();
    if (wait > 0 && !run.interrupted) await new Promise<void>((r) => ((run.wake = r), setTimeout(r, wait)));
    if (run.interrupted) return;
    const began = Date.now();
    const [target, undo] = undoOf(step.fault);
    run.left.set(target, undo); // a step that fails half-way is undone too
    try {
      await apply(step.fault, specs);
      if (asDeployed(step.fault)) run.left.delete(target);
      run.steps[k] = { ...run.steps[k], appliedMs: began - run.t0, tookMs: Date.now() - began };
      say(`${step.at.toFixed(2)} s: ${step.label} (took ${Date.now() - began} ms)`);
    } catch (err) {
      run.error = `${step.label}: ${(err as Error).message}`;
      run.steps[k] = {
        ...run.steps[k],
        appliedMs: began - run.t0,
        tookMs: Date.now() - began,
        error: (err as Error).message,
      };
      return;
    }
  }
}

/** Every target the run left faulted, put back as deployed. */
async function undoAll(specs: readonly ObjectSpec[], run: Run): Promise<void> {
  for (const [target, undo] of run.left) {
    try {
      await apply(undo, specs);
      say(`put back as deployed: ${target}`);
    } catch (err) {
      run.error ??= `putting back ${target}: ${(err as Error).message}`;
    }
  }
}

function reportOf(lab: LabFile, sc: ScenarioSpec, startedAt: Date, series: Series[], run: Run): ScenarioReport {
  const probes = series.map(({ probe: p, samples }) =>
    measure(
      {
        name: p.name,
        from: p.from.kind === "netns" ? p.from.netns : p.from.kind,
        to: p.label,
        check: p.port !== undefined ? `${p.check}/${p.port}` : p.check,
        samples,
      },
      run.steps,
      Math.min(run.cutAt ?? Infinity, sc.seconds * 1000),
      sc.maxOutageMs,
    ),
  );
  return {
    v: 1,
    stack: lab.stack,
    scenario: sc.name,
    path: sc.path,
    startedAt: startedAt.toISOString(),
    seconds: sc.seconds,
    everyMs: sc.everyMs,
    timeoutMs: sc.timeoutMs,
    ...(sc.maxOutageMs !== undefined ? { maxOutageMs: sc.maxOutageMs } : {}),
    steps: run.steps,
    probes,
    undone: [...run.left.keys()],
    pass: !run.interrupted && !run.error && probes.every((p) => p.pass),
    ...(run.interrupted ? { interrupted: true } : {}),
    ...(run.error ? { error: run.error } : {}),
  };
}

/** Run scenario `name` of the lab at `labPath`; exit 0 when every bound held, 1 when not, 130 when cut short. */
export async function runScenario(labPath: string, name: string, flags: { readonly junit?: string }): Promise<number> {
  const { lab, specs } = readLab(labPath);
  const sc = scenarioOf(lab, name);
  const sandboxHost = sandboxHostOf(lab);
  if (sandboxHost && !netnsExists(sandboxHost)) throw new Error(`sandbox host namespace ${sandboxHost} does not exist`);
  const outside = outsideOf(lab);
  const needsOutside = sc.probes.some((p) => p.from.kind === "outside");
  if (needsOutside) await addOutside(lab, outside, outsideSix(sc.probes));
  const startedAt = new Date();
  const run: Run = {
    t0: Date.now() + (sc.probes.some((p) => p.from.kind === "netns" && p.from.remote) ? LEAD_THERE_MS : LEAD_MS),
    steps: sc.steps.map((s) => ({ at: s.at, label: s.label, appliedMs: null })),
    left: new Map(),
    interrupted: false,
    wake: () => {},
  };
  let cutShort = () => {};
  const cut = new Promise<void>((r) => (cutShort = r));
  const stop = () => {
    run.cutAt ??= Date.now() - run.t0;
    run.interrupted = true;
    run.wake();
    cutShort();
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  const series = await startSeries(lab, sc, outside, run.t0);
  try {
    say(`${sc.path}: ${sc.seconds} s, ${sc.probes.length} probe(s) every ${sc.everyMs} ms, ${sc.steps.length} step(s)`);
    await applySteps(sc, specs, run);
    // the probes run to the end unless the run is cut short or a step failed
    if (!run.interrupted && !run.error) await Promise.race([Promise.all(series.map((s) => s.child.done)), cut]);
    for (const s of series) s.child.stdin?.end();
    await Promise.all(series.map((s) => s.child.done));
  } finally {
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
    await undoAll(specs, run);
    if (needsOutside) await removeOutside(lab, outside);
  }
  const report = reportOf(lab, sc, startedAt, series, run);
  writeLastRun(lab, report);
  if (flags.junit) writeFileSync(flags.junit, scenarioJunit(report));
  return run.interrupted ? 130 : report.pass ? 0 : 1;
}
