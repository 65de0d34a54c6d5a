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
