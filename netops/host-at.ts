// Every call to a Host that is not a lab's whole-lab verb (machines.ts has those): a lab
// object's verb, a run-time change, a user's command or a capture, through its copy of the
// runner (remote.ts), with what travels typed (model/messages.ts).
import { localLine } from "../model/line";
import type { CaptureMessage, ExecMessage, RuntimeMessage, SeriesMessage, TraceMessage } from "../model/messages";
import type { ObjectSpec, RemoteSpec, Spec } from "../model/schema";
import type { Attached } from "./exec";
import { forward, forwardAttached } from "./remote";

/** A Host, as these verbs reach it. */
export interface HostAt {
  /** A lab object verb on these objects there (each line as that machine reads it). */
  lines(verb: "create" | "destroy" | "apply" | "verify" | "inspect", specs: readonly Spec[]): Promise<number>;
  /** A run-time change there: what to do to the target, and the objects it needs. */
  change(verb: "impair" | "link", message: RuntimeMessage, specs: readonly ObjectSpec[]): Promise<number>;
  /** A user's command there, attached to `stdio` (a terminal there when `tty`). */
  exec(message: ExecMessage, tty: boolean): Promise<Attached>;
  /** A command of nslab's own there (a trace's probe): its exit code, its output dropped. */
  run(message: ExecMessage): Promise<number>;
  /** A capture there: its pcap (or lines) on stdout; closing its stdin stops it. */
  capture(message: CaptureMessage): Promise<Attached>;
  /** A trace's watch there: `ready` on stdout once watching; closing its stdin ends it, and what it saw follows. */
  trace(message: TraceMessage): Promise<Attached>;
  /** A scenario probe's series there: its lines on stdout; closing its stdin stops it early. */
  series(message: SeriesMessage): Promise<Attached>;
}

export function hostAt(remote: RemoteSpec): HostAt {
  return {
    lines: (verb, specs) => forward(remote, verb, specs.map(localLine)),
    change: (verb, message, specs) => forward(remote, verb, [JSON.stringify(message), ...specs.map(localLine)]),
    exec: (message, tty) =>
      forwardAttached(remote, "exec", [JSON.stringify(message)], ["inherit", "inherit", "inherit"], { tty }),
    // ssh in a group of its own: a Ctrl-C here must not cut the connection before the
    // packets in flight arrive (stopping closes its stdin; the runner there stops tcpdump)
    capture: (message) =>
      forwardAttached(remote, "capture", [JSON.stringify(message)], ["pipe", "inherit", "inherit"], {
        detached: true,
      }),
    run: async (message) =>
      (await forwardAttached(remote, "exec", [JSON.stringify(message)], ["ignore", "ignore", "inherit"])).done,
    trace: (message) =>
      forwardAttached(remote, "trace", [JSON.stringify(message)], ["pipe", "pipe", "inherit"], { detached: true }),
    // in a group of its own, as a capture: a Ctrl-C here must not cut the lines still coming
    series: (message) =>
      forwardAttached(remote, "probe", [JSON.stringify(message)], ["pipe", "pipe", "inherit"], { detached: true }),
  };
}
