// The runner's verbs: for each one model/verbs.ts describes, what it does in each form it
// takes (a lab file, object lines, a call forwarded from another machine, its own
// arguments). Typed over the description: a verb or a form missing here fails
// `npm run typecheck`, and main.ts has nothing to dispatch but this table.
import { sandboxHostOf } from "../model/schema";
import { parseVerb } from "../model/argv";
import type { InspectReport } from "../model/reports";
import { CaptureMessage, ExecMessage, readMessage, RuntimeMessage } from "../model/messages";
import { isObjectSpec } from "../model/schema";
import { RUNNER_VERBS, type FormsOf, type RunnerVerb } from "../model/verbs";
import { restore } from "./boot";
import { captureHere } from "./capture";
import { countersHere } from "./counters";
import {
  bootForwarded,
  bootLab,
  convergeForwarded,
  convergeLab,
  labAt,
  recordedForwarded,
  retire,
  sweepForwarded,
  sweepLab,
} from "./deploy-verbs";
import { execHere } from "./enter";
import { checkForwarded } from "./expect";
import { attached, runtime, runtimeOn, test, watch } from "./lab-verbs";
import { onLines, readSpec } from "./object-verbs";
import { probe } from "./probe";
import { series, seriesForwarded } from "./probe-series";
import { runScenario } from "./scenario";
import { relay } from "./relay";
import { trace, type TraceHow } from "./trace";
import { traceForwarded } from "./trace-watch";
import { send, sink } from "./throughput";

/** A form's work: its arguments (a forwarded call's decoded), its exit code. */
type Run = (args: string[]) => Promise<number>;

type Table = { readonly [V in RunnerVerb]: { readonly [F in FormsOf<V>]: Run } };

/** The lab file's path and flags of a verb called on one. */
const onLab = <V extends RunnerVerb>(verb: V, args: readonly string[]) => {
  const a = parseVerb(RUNNER_VERBS[verb], args);
  return { ...a, labPath: (a.pos as Record<string, string>)["lab file"] };
};

const lines =
  (verb: "create" | "destroy" | "apply" | "verify" | "inspect"): Run =>
  (args) =>
    onLines(verb, args, false);
const forwardedLines =
  (verb: "create" | "destroy" | "apply" | "verify" | "inspect"): Run =>
  (args) =>
    onLines(verb, args, true);
/** One line of JSON on stdout. */
const answer = async (value: Promise<unknown>) => (process.stdout.write(`${JSON.stringify(await value)}\n`), 0);

export const VERBS: Table = {
  create: { lines: lines("create"), forwarded: forwardedLines("create") },
  destroy: { lines: lines("destroy"), forwarded: forwardedLines("destroy") },
  apply: { lines: lines("apply"), forwarded: forwardedLines("apply") },
  sweep: { lab: (args) => sweepLab(onLab("sweep", args).labPath), forwarded: sweepForwarded },
  converge: {
    lab: (args) => {
      const { labPath, flags } = onLab("converge", args);
      // --apply: the batched mode's apply, which reports only what it changed
      return convergeLab(labPath, { quiet: !!(flags.quiet || flags.apply), apply: !!flags.apply, by: "deploy" });
    },
    forwarded: convergeForwarded,
  },
  repair: { lab: (args) => convergeLab(onLab("repair", args).labPath, { quiet: false, apply: false, by: "repair" }) },
  boot: {
    lab: (args) => {
      const { labPath, flags } = onLab("boot", args);
      if (!flags.enable === !flags.disable) throw new Error("boot takes --enable or --disable");
      return bootLab(labPath, !!flags.enable);
    },
    forwarded: bootForwarded,
  },
  restore: { args: ([dir]) => restore(dir) },
  verify: {
    lab: async (args) => {
      let code = 0;
      for (const m of labAt(onLab("verify", args).labPath).machines) code = Math.max(code, await m.verify());
      return code;
    },
    lines: lines("verify"),
    forwarded: forwardedLines("verify"),
  },
  inspect: {
    lab: async (args) => {
      const { lab, machines } = labAt(onLab("inspect", args).labPath);
      const parts = [];
      for (const m of machines) parts.push(await m.inspect());
      const report: InspectReport = {
        v: 1,
        stack: lab.stack,
        hostNetns: sandboxHostOf(lab) ?? null,
        objects: parts.flatMap((p) => p.objects),
        extra: parts.flatMap((p) => p.extra),
      };
      process.stdout.write(`${JSON.stringify(report, null, 1)}\n`);
      return 0;
    },
    lines: lines("inspect"),
    forwarded: forwardedLines("inspect"),
  },
  recorded: { forwarded: recordedForwarded },
  counters: {
    // the live page's counters of this machine's objects, asked by the machine it runs on
    forwarded: (args) => {
      const specs = args.map(readSpec).filter(isObjectSpec);
      return answer(countersHere({ host: specs.map(sandboxHostOf).find((h) => h !== undefined) }, specs));
    },
  },
  test: {
    lab: (args) => {
      const { labPath, flags } = onLab("test", args);
      return test(labPath, { allPairs: !!flags["all-pairs"], json: !!flags.json, junit: flags.junit });
    },
  },
  // expectations forwarded from the machine `nslab test` runs on (machines.ts checkOn)
  check: { forwarded: ([message]) => answer(checkForwarded(message)) },
  impair: {
    lab: (args) => {
      const { labPath, pos } = onLab("impair", args);
      return runtime("impair", labPath, pos.target, pos.what);
    },
    forwarded: ([message, ...rest]) => {
      const { target, what } = readMessage("impair", RuntimeMessage, message);
      return runtimeOn("impair", rest.map(readSpec).filter(isObjectSpec), target, what);
    },
  },
  link: {
    lab: (args) => {
      const { labPath, pos } = onLab("link", args);
      return runtime("link", labPath, pos.target, pos.state);
    },
    forwarded: ([message, ...rest]) => {
      const { target, what } = readMessage("link", RuntimeMessage, message);
      return runtimeOn("link", rest.map(readSpec).filter(isObjectSpec), target, what);
    },
  },
  exec: {
    lab: (args) => {
      const { labPath, pos, flags, rest } = onLab("exec", args);
      return attached("exec", labPath, pos.target, { tty: !!flags.tty }, rest);
    },
    forwarded: ([message]) => {
      const m = readMessage("exec", ExecMessage, message);
      return execHere(m, m.argv);
    },
  },
  capture: {
    lab: (args) => {
      const { labPath, pos, flags, rest } = onLab("capture", args);
      return attached("capture", labPath, pos.target, flags, rest);
    },
    forwarded: ([message]) => captureHere(readMessage("capture", CaptureMessage, message), true),
  },
  trace: {
    lab: (args) => {
      const { labPath, pos, flags } = onLab("trace", args);
      const how: TraceHow =
        flags.tcp !== undefined
          ? { proto: "tcp", port: flags.tcp }
          : flags.udp !== undefined
            ? { proto: "udp", port: flags.udp }
            : { proto: "icmp" };
      return answer(trace(labPath, pos.from, pos.to, how));
    },
    forwarded: traceForwarded,
  },
  run: {
    lab: (args) => {
      const { labPath, pos, flags } = onLab("run", args);
      return runScenario(labPath, pos.scenario, flags);
    },
  },
  watch: {
    lab: (args) => {
      const { labPath, flags } = onLab("watch", args);
      return watch(labPath, flags.every ?? 1000);
    },
  },
  retire: { args: ([labPath, address, hosts]) => retire(labPath, address, hosts) },
  probe: {
    forwarded: seriesForwarded,
    args: ([how, ...rest]) =>
      how === "throughput"
        ? send(rest[0], Number(rest[1]), Number(rest[2]))
        : how === "sink"
          ? sink()
          : how === "series"
            ? series(rest[0])
            : probe(how, rest[0], Number(rest[1]), rest[2] ? Number(rest[2]) : undefined),
  },
  relay: { args: (args) => relay(args) },
};
