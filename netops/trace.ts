// `nslab trace`: one probe of its own through the running lab, traced by the kernel. Every
// namespace the probe could cross (the lab's on this machine, the sandbox host, the
// outside vantage when it starts there) gets a small nftables table of nslab's own,
// `inet nslab-trace`, whose first chains set `meta nftrace` on the probe's packets alone
// (its ICMP echo id, or its TCP or UDP source port, both ways) and whose last chains
// note where each packet went; `nft monitor trace` in each namespace reports every hook,
// chain and rule they meet, the lab's own rules (iptables-nft's and nslab's nftables
// table) among them. The tables go when the trace ends, on Ctrl-C too; a trace killed
// outright leaves them to the next trace or deploy (trace-table.ts). trace-path.ts reads
// the events.
import { randomInt } from "node:crypto";
import { readLab, type LabFile } from "../model/lab-file";
import type { TraceReport } from "../model/reports";
import { sandboxHostOf, type ObjectSpec } from "../model/schema";
import { attach, run } from "./exec";
import { addOutside, outsideOf, removeOutside } from "./expect";
import { NAMESPACES, namespaces, pick, type Place } from "./places";
import { traceEvent, type TraceEvent } from "./trace-events";
import { pathOf, type Probe } from "./trace-path";
import { clearTraceTables, inPlace, noteTables, traceTable } from "./trace-table";

export interface TraceHow {
  readonly proto: "icmp" | "tcp" | "udp";
  readonly port?: number;
}

/** How long the monitors get to start listening, and the last events after the probe to arrive. */
const SETTLE_MS = 250;

/** A namespace the probe may cross: its name in the lab, and its own (null: the sandbox host). */
interface Watch {
  readonly place: string;
  readonly netns: string | null;
}

/** Every namespace of the lab on this machine, and the sandbox host. */
function watchesOf(lab: LabFile, specs: readonly ObjectSpec[], outsideNs?: string): Watch[] {
  const here = namespaces(specs, sandboxHostOf(lab)).filter((p) => !p.remote);
  const watches: Watch[] = here.map((p) => ({ place: p.name, netns: p.netns ?? null }));
  if (outsideNs) watches.push({ place: "outside", netns: outsideNs });
  return watches;
}

/** The address a probe to `to` goes to, from `from`, and the lab's namespace that has it. */
function addressOf(
  specs: readonly ObjectSpec[],
  from: Place | "outside",
  to: string,
  outsideHost: string,
  outsideAddr: string,
): { address: string; place?: string } {
  const endpoints = specs.filter((s) => s.kind === "endpoint");
  if (to === "outside") return { address: outsideAddr, place: "outside" };
  if (to === "host") {
    if (from === "outside") return { address: outsideHost, place: "host" };
    // the host's address on the network of `from` (its gateway): a published port answers there too
    const own = endpoints.find((e) => e.netns === from.netns) ?? endpoints[0];
    if (!own?.gateway) throw new Error("trace: this lab has no network with an IPv4 gateway for `host`");
    return { address: own.gateway, place: "host" };
  }
  if (/^[\d.]+$|:/.test(to)) {
    const e = endpoints.find((x) => x.address === to || x.address6 === to);
    return { address: to, ...(e ? { place: e.netns } : {}) };
  }
  const candidates = endpoints.filter((e) => e.netns === to);
  if (!candidates.length) {
    const names = [...new Set(endpoints.map((e) => e.netns))].join(", ");
    throw new Error(`trace: no endpoint or sandbox ${to} in this lab (its namespaces with addresses: ${names})`);
  }
  // on a network `from` is on too, when it shares one
  const mine = new Set(endpoints.filter((e) => from !== "outside" && e.netns === from.netns).map((e) => e.bridge));
  const e = candidates.find((c) => mine.has(c.bridge)) ?? candidates[0];
  if (!e.address) throw new Error(`trace: ${to} has no IPv4 address; trace an IPv6 one by its address`);
  return { address: e.address, place: e.netns };
}

/** Runs the monitors around `send`: the events each namespace reported. */
async function traced(
  lab: LabFile,
  watches: readonly Watch[],
  probe: Probe,
  send: () => Promise<boolean>,
): Promise<{ events: Map<string, TraceEvent[]>; answered: boolean }> {
  const events = new Map(watches.map((w) => [w.place, [] as TraceEvent[]]));
  const monitors: ReturnType<typeof attach>[] = [];
  const at = (w: Watch, cmd: readonly string[]) => inPlace(lab, w.netns, cmd);
  const table = traceTable(probe, lab.stack);
  // the note names the monitors: ended there, by pid and start time
  const cleanup = () => clearTraceTables(lab);
  const onSignal = () => void cleanup().then(() => process.exit(130));
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    await clearTraceTables(lab); // what a trace that was killed left
    noteTables(
      lab,
      watches.map((w) => w.netns),
    );
    for (const w of watches) {
      const r = await run(at(w, ["nft", "-f", "-"]), table);
      if (!r.ok) throw new Error(`trace: the trace table in ${w.place}: ${r.stderr.trim()}`);
      const m = attach(at(w, ["nft", "monitor", "trace"]), ["ignore", "pipe", "ignore"]);
      monitors.push(m);
      noteTables(
        lab,
        watches.map((x) => x.netns),
        monitors.flatMap((x) => (x.pid ? [x.pid] : [])),
      );
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
    const answered = await send();
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    return { events, answered };
  } finally {
    await cleanup();
    await Promise.all(monitors.map((m) => m.done.catch(() => 0)));
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

/** Trace one probe from `from` to `to` in the lab of `labPath`, on this machine. */
export async function trace(labPath: string, from: string, to: string, how: TraceHow): Promise<TraceReport> {
  const { lab, specs } = readLab(labPath);
  const outside = from === "outside" || to === "outside" ? outsideOf(lab) : undefined;
  const origin = from === "outside" ? "outside" : pick(namespaces(specs, sandboxHostOf(lab)), from, NAMESPACES);
  if (origin !== "outside" && origin.remote)
    throw new Error(`trace: ${from} is on host ${origin.remote.name}; a trace starts on this machine for now`);
  const { address, place } = addressOf(specs, origin, to, outside?.hostAddr ?? "", outside?.addr ?? "");
  // a source port (or echo id) of its own, away from the ports a lab publishes
  const probe: Probe = {
    proto: how.proto,
    id: randomInt(42000, 60000),
    from: origin === "outside" ? "outside" : origin.name,
    ...(place ? { toPlace: place } : {}),
  };
  const watches = watchesOf(lab, specs, outside?.ns);
  const start = watches.find((w) => w.place === probe.from)!;
  const send = async () => {
    const argv =
      how.proto === "icmp"
        ? ["ping", "-n", "-q", "-c", "1", "-W", "1", "-e", String(probe.id), address]
        : [process.execPath, process.argv[1], "probe", how.proto, address, String(how.port), String(probe.id)];
    return (await run(inPlace(lab, start.netns, argv))).ok;
  };
  if (outside) await addOutside(lab, outside, false);
  try {
    const { events, answered } = await traced(lab, watches, probe, send);
    const watched = watches.map((w) => ({ place: w.place, machine: "this machine", events: events.get(w.place)! }));
    const path = pathOf(watched, probe, specs, answered, outside ? { hostIf: outside.hostIf } : undefined);
    return {
      v: 1,
      stack: lab.stack,
      from,
      to,
      probe: how.proto === "icmp" ? "icmp" : `${how.proto}/${how.port}`,
      address,
      ...path,
    };
  } finally {
    if (outside) await removeOutside(lab, outside);
  }
}
