// What every kind of resource tells the runner: how to look at the kernel, what is
// wrong there, and the steps that converge or remove it. The runner's apply/destroy/
// verify are the same for all kinds (see main.ts).
import type { ObjectSpec } from "../model/schema";
import type { HostView } from "./observe";
import type { Step } from "./step";

/** One object as `nslab inspect` shows it: field -> value, in a stable order. */
export interface Description {
  readonly [field: string]: string | number | boolean | null | readonly string[] | Description;
}

/** An object that exists under our name but is not ours: never touched, always reported. */
export class ForeignObjectError extends Error {}

export interface Ops<S extends ObjectSpec, O> {
  /**
   * Read the kernel state this resource cares about, through the phase's shared view.
   * `toRemove`: only what removal needs (a resource the ledger claims needs no owner
   * mark read from inside its namespace).
   */
  observe(spec: S, view: HostView, toRemove?: { claimed: boolean }): Promise<O>;
  /** Differences from the spec, one line each ("missing ...", "different ..."); [] = in sync. Throws ForeignObjectError. */
  drift(spec: S, obs: O, claimed: boolean): string[];
  /** Steps that make the kernel match the spec, starting from `obs`. */
  converge(spec: S, obs: O): Step[];
  /** Steps that remove what exists of this resource (only what is ours). */
  remove(spec: S, obs: O, claimed: boolean): Step[];
  /** Host-wide sysctls this resource needs while it exists (shared-sysctl.ts keeps their ledger). */
  sysctls?(spec: S): Readonly<Record<string, string>>;
  /** After removal: true once the kernel has finished (names free for reuse). */
  gone?(spec: S, view: HostView): Promise<boolean>;
  /** When `gone` stays false (a process holds what was removed): a step that finishes the job. */
  finish?(spec: S): Step;
  /**
   * What the kernel shows of this object, for `nslab inspect` (plain JSON, read from
   * `obs`, not from the spec wherever the kernel can say). Fields per kind: docs/cli.md.
   */
  describe(spec: S, obs: O): Description;
}
