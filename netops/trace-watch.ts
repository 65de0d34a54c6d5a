// The kernel's side of `nslab trace` on one machine: the trace table in each namespace to
// watch, `nft monitor trace` in each, their events read as they come, and all of it
// removed at the end (trace-table.ts notes it, in case the end never comes). On a Host it
// runs as the forwarded `trace` verb: ready once watching, and when its stdin ends, the
// events it saw, as JSON on stdout.
import { TraceMessage, readMessage } from "../model/messages";
import { attach, run, type Attached } from "./exec";
import { traceEvent, type TraceEvent } from "./trace-events";
import { clearTraceTables, inPlace, noteTables, traceTable, type Marked } from "./trace-table";

/** A namespace to watch: its name in the lab, and its own (null: the machine's host side). */
export interface Watch {
  readonly place: string;
  readonly netns: string | null;
}

/** How long the monitors get to start listening, and the last events after the probe to arrive. */
const SETTLE_MS = 150;

export interface Watching {
  /** After the last events have come: the monitors ended, the tables gone; what each namespace saw. */
  stop(): Promise<Map<string, TraceEvent[]>>;
}

type Lab = { readonly stack: string; readonly host?: string };

/** Start watching these namespaces of this machine for the probe's packets. */
export async function watchHere(lab: Lab, watches: readonly Watch[], probe: Marked): Promise<Watching> {
  const events = new Map(watches.map((w) => [w.place, [] as TraceEvent[]]));
  const monitors: Attached[] = [];
  const table = traceTable(probe, lab.stack);
  const note = () =>
    noteTables(
      lab,
      watches.map((w) => w.netns),
      monitors.flatMap((m) => (m.pid ? [m.pid] : [])),
    );
  const stop = async () => {
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    await clearTraceTables(lab); // the note names the monitors: ended there, by pid and start time
    await Promise.all(monitors.map((m) => m.done.catch(() => 0)));
    return events;
  };
  try {
    await clearTraceTables(lab); // what a trace that was killed left
    note();
    for (const w of watches) {
      const r = await run(inPlace(lab, w.netns, ["nft", "-f", "-"]), table);
      if (!r.ok) throw new Error(`the trace table in ${w.place}: ${r.stderr.trim()}`);
      const m = attach(inPlace(lab, w.netns, ["nft", "monitor", "trace"]), ["ignore", "pipe", "ignore"]);
      monitors.push(m);
      note();
      let rest = "";
      m.stdout?.on("data", (chunk: Buffer) => {
        const lines = (rest + chunk.toString()).split("\n");
        rest = lines.pop() ?? "";
        for (const l of lines) {
          const e = traceEvent(l);
          if (e) events.get(w.place)!.push(e);
        }
      });
    }
    await new Promise((r) => setTimeout(r, SETTLE_MS));
  } catch (err) {
    await stop();
    throw err;
  }
  return { stop };
}

/** A Host's part: watch its namespaces until stdin ends, then print what they saw. */
export async function traceForwarded([message]: readonly string[]): Promise<number> {
  const m = readMessage("trace", TraceMessage, message);
  const lab = { stack: m.stack, ...(m.sandboxHost ? { host: m.sandboxHost } : {}) };
  const watching = await watchHere(lab, m.watch, m);
  process.stdout.write("ready\n");
  await new Promise((r) => process.stdin.on("end", r).on("close", r).resume());
  const events = await watching.stop();
  process.stdout.write(`${JSON.stringify(Object.fromEntries(events))}\n`);
  return 0;
}
