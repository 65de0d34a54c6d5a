// The JSON the runner answers and the CLI reads (`nslab inspect --json`), typed once for both.
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
