// A scenario's probe (`ip netns exec <ns> node netops.cjs probe series '<json>'`): one
// process in the namespace the probe starts from sends a probe every `everyMs` from an
// agreed start (each on its own clock tick, not after the last one's answer, so a lost
// probe never delays the next), and prints one JSON line per probe as it is answered or
// times out: when it was sent, whether it was answered, and how long that took. A probe
// that starts on a Host is run there by its runner (seriesForwarded), its lines passed on.
import { execa } from "execa";
import { readMessage, SeriesMessage, type SeriesOrder } from "../model/messages";
import { attach } from "./exec";
import { answered, type Result } from "./probe";

/** One probe, as the series prints it. */
export interface Sample {
  readonly i: number;
  /** When it was sent (ms since the epoch). */
  readonly at: number;
  readonly ok: boolean;
  /** How long the answer took (ms); absent when none came. */
  readonly ms?: number;
  readonly what: string;
}

/** One ICMP echo by the system's ping (node has no raw sockets): answered within the timeout or not. */
async function ping(target: string, timeoutMs: number): Promise<Result> {
  const began = Date.now();
  const r = await execa("ping", ["-n", "-q", "-c", "1", "-W", String(timeoutMs / 1000), target], { reject: false });
  return r.exitCode === 0
    ? { answered: true, what: "echo reply", ms: Date.now() - began }
    : { answered: false, what: r.exitCode === 1 ? "no answer" : String(r.stderr).trim() || "no answer" };
}

async function once(o: SeriesOrder, i: number): Promise<Sample> {
  const at = Date.now();
  const each = await Promise.all(
    o.targets.map((t) => (o.check === "ping" ? ping(t, o.timeoutMs) : answered(o.check, t, o.port!, o.timeoutMs))),
  );
  const missed = each.find((r) => !r.answered);
  return missed
    ? { i, at, ok: false, what: missed.what }
    : { i, at, ok: true, ms: Math.max(...each.map((r) => r.ms ?? 0)), what: each[0].what };
}

/**
 * `probe series '<json>'`: the probes, a line each; exit 0 once the last is answered or
 * timed out. Its stdin ending stops it early (the run was cut short, or its runner died).
 */
export async function series(order: string): Promise<number> {
  const o = JSON.parse(order) as SeriesOrder;
  const pending: Promise<void>[] = [];
  let wake = () => {};
  let stopped = false;
  process.stdin.on("end", () => ((stopped = true), wake())).resume();
  for (let i = 0; i < o.count && !stopped; i++) {
    const wait = o.t0 + i * o.everyMs - Date.now();
    if (wait > 0) await new Promise<void>((r) => ((wake = r), setTimeout(r, wait)));
    if (stopped) break;
    pending.push(once(o, i).then((s) => void process.stdout.write(`${JSON.stringify(s)}\n`)));
  }
  await Promise.all(pending);
  return 0;
}

/**
 * `probe --b64 <message>` from another machine's run: the series in the namespace here,
 * its lines on stdout; the caller's closing our stdin (over ssh) stops it early.
 */
export async function seriesForwarded([message]: readonly string[]): Promise<number> {
  const { netns, order } = readMessage("probe", SeriesMessage, message);
  const argv = [
    "ip",
    "netns",
    "exec",
    netns,
    process.execPath,
    process.argv[1],
    "probe",
    "series",
    JSON.stringify(order),
  ];
  const child = attach(argv, ["pipe", "inherit", "inherit"]);
  const stop = () => child.stdin?.end();
  process.stdin.on("end", stop).on("close", stop).resume();
  return child.done;
}
