// The verbs a user runs on a deployed lab through the CLI, written once over every machine
// of the lab (machines.ts): test (with its JUnit report), the run-time link and impair,
// exec and capture at a place of the lab, and the live page's watch. main.ts dispatches.
import { sandboxHostOf } from "../model/schema";
import { writeFileSync } from "node:fs";
import { readLab } from "../model/lab-file";
import { Impairment, type ExpectSpec, type ObjectSpec } from "../model/schema";
import { captureAt, type CaptureHow } from "./capture";
import { execAt } from "./enter";
import { holds, judged, pairChecks, parseExpectations, report as testReport, unanswered, type Outcome } from "./expect";
import { junit } from "./junit";
import type { TestReport } from "../model/reports";
import { machinesOf, type Machine } from "./machines";
import { INTERFACES, interfaces, NAMESPACES, namespaces, pick } from "./places";
import { matrixOf, pairsOf, renderMatrix } from "./reach";
import { impairNow, linkNow } from "./runtime";

/**
 * `impair <lab> <target> reset|<impairment json>` and `link <lab> <target> up|down`: run-time
 * changes to a deployed lab (runtime.ts).
 */
export function runtime(cmd: "impair" | "link", labPath: string, target: string, what: string): Promise<number> {
  return runtimeOn(cmd, readLab(labPath).specs, target, what);
}

export async function runtimeOn(cmd: "impair" | "link", specs: readonly ObjectSpec[], target: string, what: string) {
  if (cmd === "link") {
    if (what !== "up" && what !== "down") throw new Error(`link ${target}: say up or down, not ${what}`);
    await linkNow(specs, target, what === "up");
  } else await impairNow(specs, target, what === "reset" ? null : Impairment.parse(JSON.parse(what)));
  return 0;
}

/**
 * `exec <lab> <target> [--tty] [-- <command>...]` (no command: a shell) and `capture <lab>
 * <target> [--count N] [--seconds S] [--text] [-- <filter>...]`: at a place of the lab
 * (places.ts), on whichever machine it is.
 */
export async function attached(
  cmd: "exec" | "capture",
  labPath: string,
  target: string,
  flags: { readonly tty?: boolean; readonly text?: boolean; readonly count?: number; readonly seconds?: number },
  rest: readonly string[],
): Promise<number> {
  const { lab, specs } = readLab(labPath);
  if (cmd === "exec") return execAt(pick(namespaces(specs, sandboxHostOf(lab)), target, NAMESPACES), rest, !!flags.tty);
  const how: CaptureHow = {
    text: !!flags.text,
    filter: [...rest],
    ...(flags.count !== undefined ? { count: Math.trunc(flags.count) } : {}),
    ...(flags.seconds !== undefined ? { seconds: flags.seconds } : {}),
  };
  return captureAt(pick(interfaces(specs), target, INTERFACES), how);
}

/**
 * `watch <lab> [--every MS]`: every machine's inspect and counters, one JSON line each
 * period (a look takes what it takes: the next starts MS after the last began, or at once),
 * until stdin ends. The live page's source (cli/ui).
 */
export async function watch(labPath: string, every: number): Promise<number> {
  const { lab, specs } = readLab(labPath);
  const machines = machinesOf(lab, specs);
  let watching = true;
  process.stdin.on("end", () => (watching = false)).resume();
  while (watching) {
    const began = Date.now();
    const parts = await Promise.all(
      machines.map(async (m) => ({ ...(await m.inspect()), counters: await m.counters() })),
    );
    const look = {
      at: began,
      objects: parts.flatMap((p) => p.objects),
      extra: parts.flatMap((p) => p.extra),
      counters: parts.flatMap((p) => p.counters),
    };
    process.stdout.write(`${JSON.stringify(look)}\n`);
    await new Promise((r) => setTimeout(r, Math.max(0, every - (Date.now() - began))));
  }
  return 0;
}

/** Expectations (and with --all-pairs every endpoint pair) checked with real traffic; exit 1 if any fails. */
export async function test(
  labPath: string,
  flags: { readonly allPairs: boolean; readonly json: boolean; readonly junit?: string },
): Promise<number> {
  const started = Date.now();
  const { lab, specs } = readLab(labPath);
  const expects = parseExpectations(lab);
  // --all-pairs: the reachability matrix, each pair judged as the lab says (reach.ts)
  const pairs = flags.allPairs ? pairsOf(specs) : [];
  const all = await checkOnMachines(machinesOf(lab, specs), [...expects, ...pairChecks(pairs)]);
  const pinged = all.slice(expects.length).map((o, i) => judged(o, pairs[i]));
  const outcomes = [...all.slice(0, expects.length), ...pinged];
  const matrix = pairs.length
    ? matrixOf(pinged.map((o) => ({ from: o.from.split(" ")[0], to: o.to.split(" ")[0], want: o.want, got: o.got })))
    : undefined;
  if (flags.junit) writeFileSync(flags.junit, junit(lab.stack, outcomes, (Date.now() - started) / 1000));
  if (flags.json)
    process.stdout.write(
      `${JSON.stringify({ v: 1, stack: lab.stack, outcomes, ...(matrix ? { matrix } : {}) } satisfies TestReport, null, 1)}\n`,
    );
  else if (outcomes.length === 0)
    process.stdout.write(`stack ${lab.stack} declares no expectations (try --all-pairs)\n`);
  else process.stdout.write(testReport(outcomes) + (matrix ? `\n${renderMatrix(matrix)}` : ""));
  return outcomes.every(holds) ? 0 : 1;
}

/** Each check on the machine it starts on, the machines at once; the outcomes in the checks' order. */
async function checkOnMachines(machines: readonly Machine[], checks: readonly ExpectSpec[]): Promise<Outcome[]> {
  const on = (e: ExpectSpec) => (e.from.kind === "netns" ? e.from.remote?.name : undefined);
  const out = new Map<ExpectSpec, Outcome>();
  await Promise.all(
    machines.map(async (m) => {
      const mine = checks.filter((e) => on(e) === m.name);
      if (mine.length) (await m.check(mine)).forEach((o, i) => out.set(mine[i], o));
    }),
  );
  return checks.map((e) => out.get(e) ?? unanswered([e], `no machine ${on(e)} in the lab`)[0]);
}
