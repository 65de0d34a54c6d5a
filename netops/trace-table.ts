// The table `nslab trace` puts in every namespace its probe may cross, and the note of
// where it put them and the monitors it started: written before the first table, removed
// after the last one is gone. A trace killed outright (SIGKILL) leaves the note, and the
// next trace or deploy of the stack deletes the tables it names and ends those monitors
// (each by its pid and start time, so a pid the kernel has since given to another process
// is never touched).
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { LabFile } from "../model/lab-file";
import { sandboxHostOf } from "../model/schema";
import { run } from "./exec";
import { startTime } from "./proc";
import { hostDir } from "./ledger";
import { inNetns } from "./step";

export const TRACE_TABLE = "nslab-trace";

/** The probe's packets, both ways, as nftables matches them. */
export interface Marked {
  readonly proto: "icmp" | "tcp" | "udp";
  readonly id: number;
}

/** The trace table's marking chains, by hook: the flag is set again at every hook, as a frame the bridge hands up to be routed has lost it (br_netfilter). */
const MARK_HOOKS = {
  mark_pre: "prerouting",
  mark_out: "output",
  mark_in: "input",
  mark_fwd: "forward",
  mark_post: "postrouting",
};

/** The chains' hooks, for the path (trace-path.ts): the marking ones and the noting ones. */
export const TRACE_HOOKS: Readonly<Record<string, string>> = {
  ...MARK_HOOKS,
  seen_in: "input",
  seen_fwd: "forward",
  seen_post: "postrouting",
};

/** The table: marks the probe's packets first at every hook, notes where they went last. */
export function traceTable(probe: Marked, stack: string): string {
  // TCP: the connection's first packet each way (SYN; SYN-ACK or RST), not the rest of it
  const marks =
    probe.proto === "icmp"
      ? [`icmp id ${probe.id}`, `icmpv6 id ${probe.id}`]
      : probe.proto === "tcp"
        ? [`tcp sport ${probe.id} tcp flags & (syn | ack) == syn`, `tcp dport ${probe.id} tcp flags & (syn | rst) != 0`]
        : [`udp sport ${probe.id}`, `udp dport ${probe.id}`];
  const mark = marks.map((m) => `    ${m} meta nftrace set 1`).join("\n");
  const chain = (name: string, hook: string, priority: number, body = "") =>
    `  chain ${name} {\n    type filter hook ${hook} priority ${priority};\n${body}  }`;
  return [
    // a table left by a trace that was killed goes first
    `table inet ${TRACE_TABLE} {}`,
    `delete table inet ${TRACE_TABLE}`,
    `table inet ${TRACE_TABLE} {`,
    `  comment "nslab trace of ${stack}"`,
    ...Object.entries(MARK_HOOKS).map(([name, hook]) => chain(name, hook, -500, `${mark}\n`)),
    chain("seen_in", "input", 500),
    chain("seen_fwd", "forward", 500),
    chain("seen_post", "postrouting", 500),
    "}",
    "",
  ].join("\n");
}

/** Where a trace notes its tables: the namespaces (null: the sandbox host) of this machine. */
const noteOf = (lab: Pick<LabFile, "stack" | "host">) =>
  join(hostDir(sandboxHostOf(lab)), lab.stack, "trace-tables.json");

/**
 * Run `cmd` in a namespace the note names. nsenter execs it in place, so its pid is the
 * command's own (`ip netns exec` forks, and ending it would leave the command running).
 */
export const inPlace = (lab: Pick<LabFile, "stack" | "host">, netns: string | null, cmd: readonly string[]) =>
  inNetns(lab, netns ?? undefined, cmd);

interface Note {
  readonly places: readonly (string | null)[];
  readonly monitors: readonly { readonly pid: number; readonly start: string }[];
}

/** Note the namespaces (null: the sandbox host) and the monitors' pids, before either exists and as each starts. */
export function noteTables(
  lab: Pick<LabFile, "stack" | "host">,
  places: readonly (string | null)[],
  pids: readonly number[] = [],
): void {
  const monitors = pids.flatMap((pid) => {
    const start = startTime(pid);
    return start ? [{ pid, start }] : [];
  });
  mkdirSync(dirname(noteOf(lab)), { recursive: true });
  writeFileSync(noteOf(lab), JSON.stringify({ places, monitors } satisfies Note));
}

/** End the monitors and delete the tables the note names (gone already is fine), then the note. */
export async function clearTraceTables(lab: Pick<LabFile, "stack" | "host">): Promise<void> {
  let note: Note;
  try {
    note = JSON.parse(readFileSync(noteOf(lab), "utf8")) as Note;
  } catch {
    return; // no note: no trace left anything
  }
  for (const m of note.monitors) if (startTime(m.pid) === m.start) process.kill(m.pid, "SIGTERM");
  await Promise.all(note.places.map((p) => run(inPlace(lab, p, ["nft", "delete", "table", "inet", TRACE_TABLE]))));
  rmSync(noteOf(lab), { force: true });
}
