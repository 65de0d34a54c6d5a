// The nslab CLI: deploy, destroy and diff what the code says (its synth); every other verb
// acts on what is deployed: the lab's record on this machine, written by the deploy that
// built it, with the runner that built it (deployed.ts), whatever cdktf.out says now.
//   nslab deploy|destroy [stack...] [--parallelism N] [--json]
//   nslab diff [stack...] [--json]    synth, then Terraform directly (deploy.ts)
//   nslab verify  <stack>           compare the kernel with the deployed lab; exit 1 on drift
//   nslab repair  <stack>           put it right on every machine of the lab, in place: the converge that ends every deploy
//   nslab boot enable|disable <stack> | boot status [stack]   rebuilt at every boot, or not (boot.ts)
//   nslab inspect <stack> [--json]  every object as the kernel shows it
//   nslab graph   <stack> [--format svg|dot|mermaid]
//                                    the declared topology (the last synth) as a picture, on stdout
//   nslab impair  <stack> <target> [--loss PERCENT] [--rate MBIT] | reset
//                                    loss and rate on an endpoint's veth or a link, now
//   nslab link    <stack> <target> up|down
//   nslab exec    <stack> <target> -- <command>...   nslab shell <stack> <target>
//   nslab capture <stack> <target> [--write FILE] [--count N] [--seconds S] [-- <filter>...]
//                                    a command, a shell or tcpdump at a place of the lab (attached.ts)
//   nslab ui      <stack> [--port P]   the live page: topology, state, traffic, actions (ui/)
//   nslab test    <stack> [--all-pairs] [--json] [--junit FILE]   (--all-pairs: the reachability matrix, judged as the lab says)
//                                    the stack's Expectations with real traffic; exit 1 if one fails
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { readLab } from "../model/lab-file";
import { topologyOf, toDot, toMermaid, toSvg } from "./graph";
import { renderInspect, type InspectReport } from "./inspect";
import { parseTfArgs, TF_USAGE, TF_VERBS, tfVerb, type TfVerb } from "./deploy";
import { CliError, loadStack } from "./manifest";
import { loadDeployed, placeWords, requireSandbox, runner, type DeployedLab } from "./deployed";
import { boot, BOOT_USAGE } from "./boot";
import { serveUi } from "./ui/server";
import { ATTACHED_USAGE, ATTACHED_VERBS, parseAttached, runAttached, type AttachedVerb } from "./attached";

const USAGE =
  "usage: nslab verify|repair|inspect|test|graph <stack> [--json (inspect, test)] [--all-pairs] [--junit FILE] (test) " +
  "[--format svg|dot|mermaid (graph)] [--out DIR (default cdktf.out)]\n" +
  "       nslab impair <stack> <target> [--loss PERCENT] [--rate MBIT] | reset\n" +
  "       nslab link <stack> <target> up|down\n" +
  ATTACHED_USAGE +
  "       nslab ui <stack> [--port P]                      a live page of the lab, on 127.0.0.1\n" +
  BOOT_USAGE +
  TF_USAGE;
const VERBS = ["verify", "repair", "inspect", "test", "graph", "impair", "link"] as const;
const FORMATS = ["svg", "dot", "mermaid"] as const;

interface Args {
  readonly verb: (typeof VERBS)[number];
  readonly stack: string;
  readonly out: string;
  readonly json: boolean;
  readonly allPairs: boolean;
  /** test: where the JUnit XML goes (absolute: the runner runs in the stack's folder). */
  readonly junit?: string;
  readonly format: (typeof FORMATS)[number];
  /** impair and link: the endpoint (namespace, or namespace:interface) or link end, and what to do. */
  readonly target?: string;
  readonly action?: string;
}

function parseArgs(argv: readonly string[]): Args {
  const [verb, stack, ...more] = argv;
  if (!VERBS.includes(verb as Args["verb"]) || !stack || stack.startsWith("-")) throw new CliError(USAGE);
  if (verb === "impair" || verb === "link") return runtimeArgs(verb, stack, more);
  const rest = more;
  let out = "cdktf.out";
  let json = false;
  let allPairs = false;
  let junit: string | undefined;
  let format: Args["format"] = "svg";
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] === "--out" && rest[i + 1]) out = rest[++i];
    else if (rest[i] === "--json" && (verb === "inspect" || verb === "test")) json = true;
    else if (rest[i] === "--all-pairs" && verb === "test") allPairs = true;
    else if (rest[i] === "--junit" && verb === "test" && rest[i + 1]) junit = resolve(rest[++i]);
    else if (rest[i] === "--format" && verb === "graph" && FORMATS.includes(rest[i + 1] as Args["format"]))
      format = rest[++i] as Args["format"];
    else throw new CliError(`unknown argument ${rest[i]}`, USAGE);
  }
  return { verb: verb as Args["verb"], stack, out, json, allPairs, format, ...(junit ? { junit } : {}) };
}

/** `impair <stack> <target> reset | --loss P --rate M` and `link <stack> <target> up|down`. */
function runtimeArgs(verb: "impair" | "link", stack: string, [target, ...rest]: readonly string[]): Args {
  const base = { verb, stack, out: "cdktf.out", json: false, allPairs: false, format: "svg" as const, target };
  if (!target || target.startsWith("-")) throw new CliError(`${verb}: which endpoint or link?`, USAGE);
  let out = base.out;
  const num = (flag: string, v: string | undefined) => {
    const n = Number(v);
    if (v === undefined || !Number.isFinite(n)) throw new CliError(`${flag} needs a number`, USAGE);
    return n;
  };
  const imp: { lossPercent?: number; rateKbit?: number } = {};
  let action: string | undefined;
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    if (a === "--out" && rest[i + 1]) out = rest[++i];
    else if (verb === "impair" && a === "--loss") imp.lossPercent = num(a, rest[++i]);
    else if (verb === "impair" && a === "--rate") imp.rateKbit = Math.round(num(a, rest[++i]) * 1000);
    else if (verb === "impair" && (a === "--delay" || a === "--jitter"))
      throw new CliError(
        `impair: ${a} is not a run-time change: a delay (and its jitter) is a delay line, a lab object of its own ` +
          "that the deploy builds (this kernel has no netem: docs/impairments.md), and only a deploy builds",
        "declare it on the endpoint or link, e.g. impairment: { delayMs: 100, jitterMs: 10 }, and deploy; " +
          "at run time, impair changes --loss and --rate",
      );
    else if (!action && (verb === "impair" ? a === "reset" : a === "up" || a === "down")) action = a;
    else throw new CliError(`unknown argument ${a}`, USAGE);
  }
  if (verb === "link" && !action) throw new CliError("link: say up or down", USAGE);
  if (verb === "impair" && !action && Object.keys(imp).length === 0)
    throw new CliError("impair: give --loss and/or --rate, or reset", USAGE);
  if (verb === "impair" && action && Object.keys(imp).length)
    throw new CliError("impair: reset takes no --loss or --rate", USAGE);
  return { ...base, out, action: action ?? JSON.stringify(imp) };
}

/** One line per verb (`nslab --help`); each verb's own usage is what a wrong call prints. */
const VERB_LINES: readonly (readonly [string, string])[] = [
  ["deploy [stack...]", "synthesize, then build the lab (terraform apply)"],
  ["destroy [stack...]", "remove the lab, its record and boot unit"],
  ["diff [stack...]", "what a deploy would change (exit 2 when something would)"],
  ["verify <stack>", "compare the kernel with the deployed lab; exit 1 on drift"],
  ["repair <stack>", "put the deployed lab right, in its place"],
  ["inspect <stack>", "every object as the kernel shows it"],
  ["test <stack>", "the stack's expectations, with real traffic"],
  ["graph <stack>", "the declared topology as SVG, DOT or Mermaid"],
  ["impair <stack> <target>", "loss and rate on an endpoint's veth or a link, now"],
  ["link <stack> <target> up|down", "a link's state, now"],
  ["exec <stack> <target> -- <command>", "a command in a namespace of the lab"],
  ["shell <stack> <target>", "a shell there"],
  ["capture <stack> <target>", "tcpdump on an interface of the lab"],
  ["ui <stack>", "a live page of the lab, on 127.0.0.1"],
  ["boot enable|disable|status", "rebuild a deployed lab at every boot, or not"],
];

function help(): string {
  const width = Math.max(...VERB_LINES.map(([v]) => v.length));
  return [
    "usage: nslab <verb> ...   (a verb's options: call it without them, or see docs/cli.md)",
    ...VERB_LINES.map(([v, what]) => `  nslab ${v.padEnd(width)}  ${what}`),
    "",
  ].join("\n");
}

/** The version of this nslab (its package.json, one folder up from the bundle and from cli/). */
function version(): string {
  return (JSON.parse(readFileSync(join(__dirname, "..", "package.json"), "utf8")) as { version: string }).version;
}

async function main(argv: readonly string[]): Promise<number> {
  if (argv[0] === "--help" || argv[0] === "-h" || argv[0] === "help") return (process.stdout.write(help()), 0);
  if (argv[0] === "--version" || argv[0] === "-V" || argv[0] === "version")
    return (process.stdout.write(`${version()}\n`), 0);
  if (TF_VERBS.includes(argv[0] as TfVerb)) return tfVerb(parseTfArgs(argv[0] as TfVerb, argv.slice(1)));
  if (argv[0] === "ui") return ui(argv.slice(1));
  if (argv[0] === "boot") return boot(argv.slice(1));
  if (ATTACHED_VERBS.includes(argv[0] as AttachedVerb)) {
    const a = parseAttached(argv[0] as AttachedVerb, argv.slice(1), USAGE);
    return runAttached(onKernel(a.stack, a.out), a);
  }
  const args = parseArgs(argv);
  if (args.verb === "graph") {
    // what the code says (the synth), deployed or not
    const s = loadStack(args.out, args.stack);
    const { lab, specs } = readLab(join(s.dir, s.manifest.lab));
    const topology = topologyOf(specs, lab.host ?? null);
    const dot = toDot(topology, lab.stack);
    process.stdout.write(
      args.format === "dot" ? dot : args.format === "mermaid" ? toMermaid(topology) : await toSvg(dot),
    );
    return 0;
  }
  const s = onKernel(args.stack, args.out);
  if (args.verb === "repair") return (await runner(s, "repair")).code;
  if (args.verb === "impair" || args.verb === "link")
    return (await runner(s, args.verb, false, [args.target!, args.action!])).code;
  if (args.verb === "test") {
    const flags = [
      ...(args.allPairs ? ["--all-pairs"] : []),
      ...(args.json ? ["--json"] : []),
      ...(args.junit ? ["--junit", args.junit] : []),
    ];
    return (await runner(s, "test", false, flags)).code;
  }
  if (args.verb === "inspect") {
    const r = await runner(s, "inspect", true);
    if (r.code !== 0) return r.code;
    let report: InspectReport;
    try {
      report = JSON.parse(r.stdout) as InspectReport;
    } catch (err) {
      throw new CliError(
        `the runner of stack ${args.stack} answered inspect with something else than JSON`,
        undefined,
        {
          cause: err,
          exitCode: 1,
        },
      );
    }
    process.stdout.write(args.json ? `${JSON.stringify(report, null, 2)}\n` : renderInspect(report));
    return 0;
  }
  const { code } = await runner(s, "verify");
  if (code === 0) {
    const n = (JSON.parse(readFileSync(join(s.dir, s.lab), "utf8")) as { specs: unknown[] }).specs.length;
    process.stdout.write(`nslab: ${s.stack}: ${n} objects match the kernel on ${placeWords(s.record.host)}\n`);
  }
  return code;
}

/** The deployed lab, for a verb that acts on its kernel objects: its sandbox host must be there. */
function onKernel(stack: string, out: string): DeployedLab {
  const d = loadDeployed(stack, out);
  requireSandbox(d);
  return d;
}

/** `ui <stack> [--port P] [--out DIR]`: the live page, until Ctrl-C (ui/server.ts). */
function ui([stack, ...rest]: readonly string[]): Promise<number> {
  if (!stack || stack.startsWith("-")) throw new CliError("ui: which stack?", USAGE);
  let port = 0;
  let out = "cdktf.out";
  for (let i = 0; i < rest.length; i++) {
    const [o, v] = [rest[i], rest[i + 1]];
    if (o === "--port" && v !== undefined && Number.isInteger(Number(v)) && Number(v) >= 0 && Number(v) < 65536)
      port = Number(rest[++i]);
    else if (o === "--out" && v) out = rest[++i];
    else throw new CliError(`unknown argument ${o}`, USAGE);
  }
  return serveUi(onKernel(stack, out), port);
}

/** The message, its hint, then each cause in turn: what failed underneath stays visible. */
function explain(err: unknown): string {
  const lines: string[] = [];
  for (let e: unknown = err, first = true; e !== undefined; first = false) {
    const m = e instanceof Error ? e.message : String(e);
    lines.push(first ? `nslab: ${m}` : `  cause: ${m}`);
    if (first && e instanceof CliError && e.hint) lines.push(`  ${e.hint}`);
    e = e instanceof Error ? e.cause : undefined;
  }
  return lines.join("\n") + "\n";
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    // an empty message: what failed has said so itself (the app's synth error)
    if (!(err instanceof CliError && err.message === "")) process.stderr.write(explain(err));
    process.exit(err instanceof CliError ? err.exitCode : 1);
  },
);
