// Every verb, described once (as model/kinds.ts describes every kind): the user's verbs of
// the nslab CLI and the runner's verbs, each with its line, its arguments (positionals,
// flags with their types and limits, what comes after `--`) and where it runs. The CLI's
// table (cli/verbs/index.ts) and the runner's (netops/verbs.ts) are typed over these
// names: a verb missing from either fails `npm run typecheck`. Usage, `nslab help`,
// `--help` and shell completion are generated from here (cli/help.ts), and arguments are
// parsed once, from here (model/argv.ts).

/** A flag (`--name` or `--name VALUE`). */
export interface Flag {
  readonly type: "boolean" | "string" | "number";
  /** The value's name in usage (FILE, N, MBIT). */
  readonly value?: string;
  /** For a number: a whole one, within these bounds. */
  readonly int?: boolean;
  readonly min?: number;
  readonly max?: number;
  /** For a string: one of these. */
  readonly choices?: readonly string[];
  readonly describe: string;
}

/** A positional argument; `many`: any number of them (the last one only). */
export interface Positional {
  readonly name: string;
  readonly optional?: boolean;
  readonly many?: boolean;
  readonly choices?: readonly string[];
  /** What shell completion offers: a stack's name, or the choices. */
  readonly complete?: "stack";
}

export interface VerbSpec {
  /** One line: what it does (`nslab help`). */
  readonly line: string;
  readonly positionals: readonly Positional[];
  readonly flags: Readonly<Record<string, Flag>>;
  /** What comes after `--`, by its name in usage; absent: nothing may. */
  readonly rest?: { readonly name: string; readonly required?: boolean };
  /** More to say under its usage (`nslab help <verb>`). */
  readonly notes?: readonly string[];
  /** Flags a user may reach for that the verb does not take: why not, and what to do instead. */
  readonly refuses?: Readonly<Record<string, { readonly problem: string; readonly fix: string }>>;
}

/** A user's verb: `runner` names the runner verb that does its work on the deployed lab. */
export interface CliVerbSpec extends VerbSpec {
  readonly runner?: RunnerVerb;
}

const stack = { name: "stack", complete: "stack" } as const;
const target = { name: "target" } as const;
/** The project's synth output, read only to say when the code's last synth differs from what is deployed. */
const out = {
  out: { type: "string", value: "DIR", describe: "the project's synth output (default cdktf.out)" },
} as const;
const json = { json: { type: "boolean", describe: "the same, as JSON, for scripts" } } as const;

const port = (proto: string) =>
  ({
    type: "number",
    value: "PORT",
    int: true,
    min: 1,
    max: 65535,
    describe: `a ${proto} probe to this port`,
  }) as const;
const TRACE_FLAGS = {
  tcp: port("TCP"),
  udp: port("UDP"),
  icmp: { type: "boolean", describe: "an ICMP echo (the default)" },
} as const;

const TEST_FLAGS = {
  "all-pairs": {
    type: "boolean",
    describe: "and the reachability matrix: every endpoint pings every other, judged as the lab says",
  },
  ...json,
  junit: { type: "string", value: "FILE", describe: "and JUnit XML for CI, a testcase per check" },
} as const;

const CAPTURE_FLAGS = {
  count: { type: "number", value: "N", int: true, min: 1, max: 1e9, describe: "stop after N packets" },
  seconds: { type: "number", value: "S", min: 0.001, max: 86400, describe: "stop after S seconds" },
} as const;

const DELAY = {
  problem:
    "is not a run-time change: a delay (and its jitter) is a delay line, a lab object of its own " +
    "that the deploy builds (this kernel has no netem: docs/impairments.md), and only a deploy builds",
  fix:
    "declare it on the endpoint or link, e.g. impairment: { delayMs: 100, jitterMs: 10 }, and deploy; " +
    "at run time, impair changes --loss and --rate",
};

const WHERE_RUNNER =
  "runs on the deployed lab, wherever it is (its record: docs/deployed.md), on every machine of the lab";

/** The nslab CLI's verbs, in the order `nslab help` lists them. */
export const CLI_VERBS = {
  deploy: {
    line: "synthesize, then build the lab (terraform apply)",
    positionals: [{ ...stack, optional: true, many: true }],
    flags: {
      parallelism: { type: "number", value: "N", int: true, min: 1, max: 1000, describe: "objects built at once" },
      ...json,
      "auto-approve": { type: "boolean", describe: "accepted, as cdktf takes it: nslab never asks" },
    },
    notes: ["no stack: the project's only one (several: name them)"],
  },
  destroy: {
    line: "remove the lab, its record and boot unit",
    positionals: [{ ...stack, optional: true, many: true }],
    flags: {
      parallelism: { type: "number", value: "N", int: true, min: 1, max: 1000, describe: "objects removed at once" },
      ...json,
      "auto-approve": { type: "boolean", describe: "accepted, as cdktf takes it: nslab never asks" },
    },
  },
  diff: {
    line: "what a deploy would change (exit 2 when something would)",
    positionals: [{ ...stack, optional: true, many: true }],
    flags: json,
    notes: ["exit 0: no change to the lab, 2: changes, 1: an error"],
  },
  verify: {
    line: "compare the kernel with the deployed lab; exit 1 on drift",
    positionals: [stack],
    flags: out,
    runner: "verify",
    notes: [WHERE_RUNNER],
  },
  repair: {
    line: "put the deployed lab right, in its place",
    positionals: [stack],
    flags: out,
    runner: "repair",
    notes: [WHERE_RUNNER, "never makes the sandbox host: only a deploy (or boot restore) does"],
  },
  inspect: {
    line: "every object as the kernel shows it",
    positionals: [stack],
    flags: { ...json, ...out },
    runner: "inspect",
    notes: [WHERE_RUNNER],
  },
  test: {
    line: "the stack's expectations, with real traffic",
    positionals: [stack],
    flags: { ...TEST_FLAGS, ...out },
    runner: "test",
    notes: ["exit 1 when a check fails"],
  },
  graph: {
    line: "the declared topology as SVG, DOT or Mermaid",
    positionals: [stack],
    flags: {
      format: { type: "string", value: "FORMAT", choices: ["svg", "dot", "mermaid"], describe: "default svg" },
      ...out,
    },
    notes: ["what the code says (the last synth), deployed or not; on stdout"],
  },
  impair: {
    line: "loss and rate on an endpoint's veth or a link, now",
    positionals: [stack, target, { name: "reset", optional: true, choices: ["reset"] }],
    flags: {
      loss: { type: "number", value: "PERCENT", min: 0, max: 100, describe: "packets dropped" },
      rate: { type: "number", value: "MBIT", min: 0.001, max: 100000, describe: "a rate limit, in Mbit/s" },
      ...out,
    },
    runner: "impair",
    refuses: { delay: DELAY, jitter: DELAY },
    notes: [
      "target: an endpoint (ns01, ns01:eth1) or a link's end; reset takes them off",
      "a delay is a delay line the deploy builds: declare impairment: { delayMs } and deploy",
    ],
  },
  link: {
    line: "a link's state, now",
    positionals: [stack, target, { name: "state", choices: ["up", "down"] }],
    flags: out,
    runner: "link",
  },
  exec: {
    line: "a command in a namespace of the lab",
    positionals: [stack, target],
    flags: out,
    rest: { name: "command", required: true },
    runner: "exec",
    notes: ["target: an endpoint's or sandbox's namespace, or host; the command's exit code is nslab's"],
  },
  shell: {
    line: "a shell there",
    positionals: [stack, target],
    flags: out,
    runner: "exec",
  },
  capture: {
    line: "tcpdump on an interface of the lab",
    positionals: [stack, target],
    flags: {
      write: { type: "string", value: "FILE", describe: "the pcap to a file (default: stdout when a pipe)" },
      ...CAPTURE_FLAGS,
      ...out,
    },
    rest: { name: "tcpdump filter" },
    runner: "capture",
    notes: ["target: ns01 (its one interface), ns01:eth1, host:veth-ns01, a bridge, ...@<Host>"],
  },
  trace: {
    line: "where a probe goes through the lab, and where it dies",
    positionals: [stack, { name: "from" }, { name: "to" }],
    flags: { ...TRACE_FLAGS, ...json, ...out },
    runner: "trace",
    notes: [
      "from: an endpoint's or sandbox's namespace, host, or outside (a client on the host's LAN)",
      "to: an endpoint or sandbox, an address, host (a published port: --tcp 8080) or outside; ICMP echo by default",
      "exit 0: delivered; 1: dropped or lost",
    ],
  },
  run: {
    line: "a scenario: faults on a timeline, probes all along, outages measured",
    positionals: [stack, { name: "scenario" }],
    flags: {
      ...json,
      junit: { type: "string", value: "FILE", describe: "and JUnit XML for CI, a testcase per probe" },
      svg: { type: "string", value: "FILE", describe: "and the timeline as SVG: a row per probe, outages in red" },
      ...out,
    },
    runner: "run",
    notes: [
      WHERE_RUNNER,
      "the scenario as deployed (declare it in the stack, then deploy); its faults are undone at the end and on Ctrl-C",
      "exit 0: every probe within maxOutageMs; 1: a bound broken or a step failed; 130: cut short",
    ],
  },
  ui: {
    line: "a live page of the lab, on 127.0.0.1",
    positionals: [stack],
    flags: {
      port: { type: "number", value: "P", int: true, min: 0, max: 65535, describe: "default: any free one" },
      ...out,
    },
    runner: "watch",
  },
  boot: {
    line: "rebuild a deployed lab at every boot, or not",
    positionals: [
      { name: "action", choices: ["enable", "disable", "status"] },
      { ...stack, optional: true },
    ],
    flags: json,
    runner: "boot",
    notes: [
      "enable|disable <stack>: its systemd unit on every machine; status [stack] [--json]: what is deployed here",
    ],
  },
  completion: {
    line: "a shell's completion of nslab's verbs and stacks",
    positionals: [{ name: "shell", choices: ["bash", "zsh"] }],
    flags: {},
    notes: ['e.g. in ~/.bashrc: eval "$(npx nslab completion bash)"'],
  },
  help: {
    line: "every verb, or one verb's usage",
    positionals: [{ name: "verb", optional: true }],
    flags: {},
  },
  version: { line: "nslab's version", positionals: [], flags: {} },
} as const satisfies Record<string, CliVerbSpec>;

export type CliVerb = keyof typeof CLI_VERBS;

/**
 * How a runner verb is called. `lines`: object lines (a provisioner's key, its line in
 * NSLAB_LINE); `lab`: a lab file (the deployed one, or a deploy's); `forwarded`: from the
 * runner on another machine (`--b64`, a message first: model/messages.ts); `args`: its own.
 */
export type Form = "lines" | "lab" | "forwarded" | "args";

export interface RunnerVerbSpec extends VerbSpec {
  readonly forms: readonly Form[];
  /** Run by Terraform's provisioners (its output is bounded: netops/engine.ts underTerraform). */
  readonly underTerraform?: boolean;
}

const lab = { name: "lab file" } as const;

/** The runner's verbs (dist/netops.cjs), in the order its usage lists them. */
export const RUNNER_VERBS = {
  create: {
    line: "a lab object's create provisioner: ensure it",
    forms: ["lines", "forwarded"],
    underTerraform: true,
    positionals: [{ name: "line" }],
    flags: {},
  },
  destroy: {
    line: "its destroy provisioner: remove it (already gone is success); the owner removes all the stack recorded",
    forms: ["lines", "forwarded"],
    underTerraform: true,
    positionals: [{ name: "line", many: true }],
    flags: {},
  },
  apply: {
    line: "ensure these objects",
    forms: ["lines", "forwarded"],
    positionals: [{ name: "line", many: true }],
    flags: {},
  },
  sweep: {
    line: "remove what the stack recorded and no longer declares, on every machine",
    forms: ["lab", "forwarded"],
    underTerraform: true,
    positionals: [lab],
    flags: {},
  },
  converge: {
    line: "make every machine match the lab file: the converge that ends every deploy",
    forms: ["lab", "forwarded"],
    underTerraform: true,
    positionals: [lab],
    flags: {
      quiet: { type: "boolean", describe: "only what it changed" },
      apply: { type: "boolean", describe: "the batched apply: quiet, and what was never made is made" },
    },
  },
  repair: {
    line: "the same converge, in place: never makes the sandbox host",
    forms: ["lab"],
    positionals: [lab],
    flags: {},
  },
  boot: {
    line: "each machine's systemd unit that restores the record at boot",
    forms: ["lab", "forwarded"],
    positionals: [lab],
    flags: {
      enable: { type: "boolean", describe: "written and enabled" },
      disable: { type: "boolean", describe: "removed" },
    },
  },
  restore: {
    line: "the boot unit's ExecStart: this machine's part of the recorded lab, made again",
    forms: ["args"],
    positionals: [{ name: "record folder" }],
    flags: {},
  },
  verify: {
    line: "list missing, extra and different objects; exit 1 if any",
    forms: ["lab", "lines", "forwarded"],
    positionals: [lab],
    flags: {},
  },
  inspect: {
    line: "every object as the kernel shows it, as JSON",
    forms: ["lab", "lines", "forwarded"],
    positionals: [lab],
    flags: {},
  },
  recorded: {
    line: "what the stack has on this machine and no longer declares, as JSON",
    forms: ["forwarded"],
    positionals: [{ name: "message" }],
    flags: {},
  },
  counters: {
    line: "what has crossed these objects' interfaces, as JSON",
    forms: ["forwarded"],
    positionals: [{ name: "line", many: true }],
    flags: {},
  },
  test: {
    line: "the stack's Expectations, with real traffic, on every machine",
    forms: ["lab"],
    positionals: [lab],
    flags: TEST_FLAGS,
  },
  check: {
    line: "expectations that start on this machine, as JSON outcomes",
    forms: ["forwarded"],
    positionals: [{ name: "message" }],
    flags: {},
  },
  impair: {
    line: "run-time loss and rate on an endpoint's veth or a link",
    forms: ["lab", "forwarded"],
    positionals: [lab, target, { name: "what" }],
    flags: {},
    notes: ["what: reset, or the impairment as JSON"],
  },
  link: {
    line: "run-time link state",
    forms: ["lab", "forwarded"],
    positionals: [lab, target, { name: "state", choices: ["up", "down"] }],
    flags: {},
  },
  exec: {
    line: "a user's command (none: a shell) in a namespace of the lab",
    forms: ["lab", "forwarded"],
    positionals: [lab, target],
    flags: { tty: { type: "boolean", describe: "a terminal on the other machine too" } },
    rest: { name: "command" },
  },
  capture: {
    line: "tcpdump on an interface: a pcap (or lines) on stdout",
    forms: ["lab", "forwarded"],
    positionals: [lab, target],
    flags: { ...CAPTURE_FLAGS, text: { type: "boolean", describe: "tcpdump's lines, not a pcap" } },
    rest: { name: "filter" },
  },
  trace: {
    line: "one probe through the lab, traced by the kernel: the path as JSON (forwarded: a Host's watch)",
    forms: ["lab", "forwarded"],
    positionals: [lab, { name: "from" }, { name: "to" }],
    flags: TRACE_FLAGS,
  },
  run: {
    line: "a scenario's steps at their times and its probes all along; the report beside the record",
    forms: ["lab"],
    positionals: [lab, { name: "scenario" }],
    flags: { junit: TEST_FLAGS.junit },
  },
  watch: {
    line: "every machine's inspect and counters, a JSON line per period, until stdin ends",
    forms: ["lab"],
    positionals: [lab],
    flags: { every: { type: "number", value: "MS", int: true, min: 50, max: 3600000, describe: "default 1000" } },
  },
  retire: {
    line: "the gate's destroy: clear the Hosts deleted from the code",
    forms: ["args"],
    underTerraform: true,
    positionals: [lab, { name: "address" }, { name: "owner lines" }],
    flags: {},
  },
  probe: {
    line: "a check's client inside a namespace, or a throughput check's sender and receiver (forwarded: a scenario's series on a Host)",
    forms: ["args", "forwarded"],
    positionals: [
      { name: "how", choices: ["tcp", "udp", "throughput", "sink", "series"] },
      { name: "arg", many: true },
    ],
    flags: {},
    notes: [
      "probe tcp|udp <host> <port> [<source port>] | probe throughput <host> <port> <seconds> | probe sink",
      "probe series '<json>': a scenario's probes, a JSON line each (netops/probe-series.ts)",
    ],
  },
  relay: {
    line: "a delay line's relay",
    forms: ["args"],
    positionals: [
      { name: "port A" },
      { name: "port B" },
      { name: "address" },
      { name: "delay ms" },
      { name: "jitter ms" },
    ],
    flags: {},
  },
} as const satisfies Record<string, RunnerVerbSpec>;

export type RunnerVerb = keyof typeof RUNNER_VERBS;

/** The forms a runner verb takes. */
export type FormsOf<V extends RunnerVerb> = (typeof RUNNER_VERBS)[V]["forms"][number];
