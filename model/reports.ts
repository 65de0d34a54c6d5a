// The JSON the runner answers and the CLI reads (`nslab inspect --json`, `nslab test --json`), typed once for both.
type Value = string | number | boolean | null | readonly string[] | { readonly [k: string]: Value };
export type Observed = { readonly [field: string]: Value };
export type { Value };

/** An object as the kernel shows it. */
export interface InspectedObject {
  readonly kind: string;
  readonly key: string;
  readonly name: string;
  readonly status: "ok" | "drift" | "foreign";
  readonly drift: readonly string[];
  readonly observed: Observed;
  /** The Host it is on, when it is on another machine. */
  readonly machine?: string;
}

/** What a stack has on a machine and no longer declares. */
export interface ExtraObject {
  readonly kind: string;
  readonly key: string;
  readonly name: string;
  readonly machine?: string;
}

export interface InspectReport {
  readonly v: 1;
  readonly stack: string;
  /** The sandbox host; null: the machine's own namespace. */
  readonly hostNetns: string | null;
  readonly objects: readonly InspectedObject[];
  readonly extra: readonly ExtraObject[];
}

/** One check of `nslab test`, as it came out. */
export interface Outcome {
  readonly name: string;
  readonly from: string;
  readonly to: string;
  readonly check: string;
  /** null: the lab does not say (an --all-pairs pair joined only by the user's links and routes). */
  readonly want: boolean | null;
  readonly got: boolean;
  /** What the probe saw: "answered", "refused", "no answer", ping's summary, a rate... */
  readonly detail: string;
  /** A throughput check's bounds and the rate measured (Mbit/s; absent when none could be). */
  readonly rate?: { readonly atLeastMbit?: number; readonly atMostMbit?: number; readonly mbit?: number };
}

/** `nslab test --json`: every outcome, and with --all-pairs the reachability matrix (netops/reach.ts). */
export interface TestReport {
  readonly v: 1;
  readonly stack: string;
  readonly outcomes: readonly Outcome[];
  readonly matrix?: unknown;
}

/** One chain's say on a packet in a namespace: a rule that decided (accept, drop, jump) or a policy. */
export interface TraceStep {
  /** prerouting, input, forward, output or postrouting. */
  readonly hook: string;
  readonly table: string;
  readonly chain: string;
  /** The rule as nftables prints it; absent: the chain's policy. */
  readonly rule?: string;
  readonly verdict: string;
  /** The lab object whose firewall it is and what it is for, when the lab made it. */
  readonly madeBy?: { readonly object: string; readonly what: string };
}

/** A packet's pass through one namespace of the lab. */
export interface TraceHop {
  /** The namespace as the lab names it (`ns01`, `host`, `outside`). */
  readonly place: string;
  /** The machine: this one, or a Host's name. */
  readonly machine: string;
  /** The interface it came in and went out by, when it did. */
  readonly in?: string;
  readonly out?: string;
  /** The packet as it came in: source and destination (address, with the port for TCP and UDP). */
  readonly src: string;
  readonly dst: string;
  /** Address translation here, in words: `DNAT to 192.168.88.11:80 (endpoint ns01)`, `MASQUERADE to 198.18.0.1`. */
  readonly nat: readonly string[];
  readonly steps: readonly TraceStep[];
  /** delivered: the namespace took it in (input); forwarded, sent; dropped; lost: seen, and then no more. */
  readonly fate: "delivered" | "forwarded" | "sent" | "dropped" | "lost";
}

/** `nslab trace`: where one probe went through the lab, and its answer. */
export interface TraceReport {
  readonly v: 1;
  readonly stack: string;
  readonly from: string;
  readonly to: string;
  /** What was sent: `icmp`, `tcp/8080`, `udp/53`, to this address. */
  readonly probe: string;
  readonly address: string;
  readonly verdict: "delivered" | "dropped" | "lost";
  /** Delivered: an answer came back (a reply, or a TCP reset counts as one). */
  readonly answered: boolean;
  /** The verdict in the lab's words. */
  readonly why: string;
  readonly hops: readonly TraceHop[];
  readonly reply: readonly TraceHop[];
  /** The kernel could not trace here (iptables-legacy): what was observed instead. */
  readonly note?: string;
}

/** One probe of a scenario run: when it was sent (ms from the run's start), whether it was answered, and how fast. */
export interface ScenarioSample {
  readonly at: number;
  readonly ok: boolean;
  readonly ms?: number;
}

/** A stretch of lost probes: from the first lost one's sending to the next answered one's (null: still down at the end). */
export interface Outage {
  readonly start: number;
  readonly end: number | null;
  readonly ms: number;
}

/** A scenario's step as it was applied: `appliedMs` from the run's start, what it took. */
export interface ScenarioStepReport {
  readonly at: number;
  readonly label: string;
  readonly appliedMs: number | null;
  readonly tookMs?: number;
  readonly error?: string;
}

/** One probe's measure over a run (`nslab run`). */
export interface ScenarioProbeReport {
  readonly name: string;
  readonly from: string;
  readonly to: string;
  readonly check: string;
  readonly sent: number;
  readonly lost: number;
  readonly outages: readonly Outage[];
  readonly longestMs: number;
  /** For each step (in order): ms from when it was done to the first answered probe sent after that (null: none was). */
  readonly recovery: readonly (number | null)[];
  /** Probes sent and lost from one step's end to the next's beginning (the first stretch: before any step). */
  readonly stretches: readonly {
    readonly from: number;
    readonly to: number;
    readonly sent: number;
    readonly lost: number;
  }[];
  readonly pass: boolean;
  /** Why it failed: its longest outage against maxOutageMs. */
  readonly why?: string;
  readonly samples: readonly ScenarioSample[];
}

/** `nslab run --json`: a scenario run, measured. */
export interface ScenarioReport {
  readonly v: 1;
  readonly stack: string;
  readonly scenario: string;
  readonly path: string;
  readonly startedAt: string;
  readonly seconds: number;
  readonly everyMs: number;
  readonly timeoutMs: number;
  readonly maxOutageMs?: number;
  readonly steps: readonly ScenarioStepReport[];
  readonly probes: readonly ScenarioProbeReport[];
  /** What the run put back as deployed at its end. */
  readonly undone: readonly string[];
  /** Every bound held, every step applied, and the run was not cut short. */
  readonly pass: boolean;
  /** Cut short (Ctrl-C), or what failed. */
  readonly interrupted?: boolean;
  readonly error?: string;
}
