// A kernel step is data: what it does (one line for the user), the argv to run, and
// optional stdin. Plans are pure functions returning steps, so tests can compare argv
// exactly and the executor is the only place that touches the kernel.
import { sandboxHostOf } from "../model/schema";
import { formerOf } from "../model/former-name";
import { NAME } from "../model/name";

export interface Step {
  /** One concise line for the log, naming the object. */
  readonly what: string;
  readonly argv: readonly string[];
  readonly input?: string;
  /** Run if this step succeeded and a later step of the same apply failed. */
  readonly undo?: Step;
  /** Start argv as a long-lived process in its own session (see exec.ts) instead of waiting for it. */
  readonly daemon?: Daemon;
  /** Stop the process a daemon step started (argv is unused). */
  readonly stop?: Daemon;
  /** Write a file (content), or delete it (null) and its folder once empty (argv is unused). */
  readonly file?: { readonly path: string; readonly content: string | null };
}

/** Where a long-lived process keeps its pid (with its start time, so a reused pid is never ours) and its output. */
export interface Daemon {
  readonly pidFile: string;
  readonly logFile: string;
}

/** Where host-side commands run: the real host, or a sandbox namespace entered with nsenter. */
export interface Target {
  readonly host?: string;
}

export const NETNS_DIR = "/run/netns";

/**
 * Wrap a host-side argv so it runs in the sandbox host namespace, if there is one.
 * nsenter --net keeps the mount namespace, so /run/netns stays shared and namespaces
 * created from inside are usable from outside (`ip netns exec` would not be).
 */
export function inSandboxHost(t: Target, argv: readonly string[]): string[] {
  return sandboxHostOf(t) ? ["nsenter", `--net=${NETNS_DIR}/${sandboxHostOf(t)}`, "--", ...argv] : [...argv];
}

/** Run argv in named namespace `netns` (entered as the host is, with nsenter), or on the host when absent. */
export function inNetns(t: Target, netns: string | undefined, argv: readonly string[]): string[] {
  return netns ? ["nsenter", `--net=${NETNS_DIR}/${netns}`, "--", ...argv] : inSandboxHost(t, argv);
}

/**
 * Host-side `ip -batch`: mergeable with every other host batch of the same phase (exec.ts).
 * `force` goes on past a line that fails (a removal; the exit status still says so).
 */
export function hostBatch(t: Target, what: string, lines: readonly string[], undo?: Step, force = false): Step {
  return {
    what,
    argv: inSandboxHost(t, ["ip", ...(force ? ["-force"] : []), "-batch", "-"]),
    input: [...lines, ""].join("\n"),
    undo,
  };
}

/**
 * Delete named namespaces. Named namespaces are files under /run/netns, outside any
 * network namespace: this runs from where the runner is, so it works when the sandbox
 * host is gone too. A batch: many deletions merge into one process (exec.ts).
 */
export function deleteNamespaces(what: string, names: readonly string[]): Step {
  return { what, argv: ["ip", "-force", "-batch", "-"], input: names.map((n) => `netns del ${n}\n`).join("") };
}

/** The mark every object nslab makes carries: link alias, lo alias, rule comment. */
export function ownerMark(stack: string): string {
  return `${NAME}:${stack}`;
}

/** The stack's mark as the former version wrote it (model/former-name.ts). */
export const formerMark = (stack: string) => formerOf(ownerMark(stack));

/** Does this mark say the stack owns the object, under its name or the former one? */
export const isOwnerMark = (mark: string | null | undefined, stack: string) =>
  mark === ownerMark(stack) || mark === formerMark(stack);
