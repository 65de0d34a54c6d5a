// `nslab trace`: one probe of its own through the running lab, traced by the kernel. Every
// namespace the probe could cross (the lab's on this machine and on each Host, the
// sandbox host, the outside vantage when it is one end) gets a small nftables table of
// nslab's own, `inet nslab-trace`, whose first chains set `meta nftrace` on the probe's
// packets alone (its ICMP echo id, or its TCP or UDP source port, both ways) and whose
// last chains note where each packet went; `nft monitor trace` in each namespace reports
// every hook, chain and rule they meet, the lab's own rules (iptables-nft's and nslab's
// nftables table) among them (trace-watch.ts: on a Host, its runner watches). The tables
// go when the trace ends, on Ctrl-C too; a trace killed outright leaves them to the next
// trace or deploy (trace-table.ts). trace-path.ts reads the events.
import { randomInt } from "node:crypto";
import { readLab, type LabFile } from "../model/lab-file";
import type { TraceReport } from "../model/reports";
import { sandboxHostOf, type ObjectSpec, type RemoteSpec } from "../model/schema";
import { run } from "./exec";
import { addOutside, outsideOf, removeOutside } from "./expect";
import { hostAt } from "./host-at";
import { isLegacy, movedSteps, savedCounters, withCounters } from "./trace-legacy";
import { fullName, NAMESPACES, namespaces, pick, type Place } from "./places";
import type { TraceEvent } from "./trace-events";
import { pathOf, type Answer, type Probe, type Watched } from "./trace-path";
import { inPlace, type Marked } from "./trace-table";
import { watchHere, type Watch, type Watching } from "./trace-watch";

export interface TraceHow {
  readonly proto: "icmp" | "tcp" | "udp";
  readonly port?: number;
}

/** The namespaces to watch: this machine's (and the outside probe's), and each Host's. */
function watchesOf(lab: LabFile, specs: readonly ObjectSpec[], outsideNs?: string) {
  const all = namespaces(specs, sandboxHostOf(lab));
  const local: Watch[] = all.filter((p) => !p.remote).map((p) => ({ place: p.name, netns: p.netns ?? null }));
  if (outsideNs) local.push({ place: "outside", netns: outsideNs });
  const hosts = new Map<string, { remote: RemoteSpec; sandboxHost?: string; watch: Watch[] }>();
  for (const p of all.filter((x) => x.remote)) {
    const h = hosts.get(p.remote!.name) ?? { remote: p.remote!, sandboxHost: p.sandboxHost, watch: [] };
    h.watch.push({ place: fullName(p), netns: p.netns ?? null });
    hosts.set(p.remote!.name, h);
  }
  return { local, hosts: [...hosts.values()] };
}

/** A Host's watch (trace-watch.ts traceForwarded, over ssh): started, and stopped with what it saw. */
async function watchThere(
  lab: LabFile,
  h: ReturnType<typeof watchesOf>["hosts"][number],
  probe: Marked,
): Promise<Watching> {
  const message = {
    stack: lab.stack,
    ...(h.sandboxHost ? { sandboxHost: h.sandboxHost } : {}),
    proto: probe.proto,
    id: probe.id,
    watch: h.watch,
  };
  const child = await hostAt(h.remote).trace(message);
  let out = "";
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout!.on("data", (c: Buffer) => {
      out += c.toString();
      if (out.startsWith("ready\n")) resolve();
    });
    void child.done.then((code) => reject(new Error(`host ${h.remote.name}: its watch ended (exit ${code})`)));
  });
  await ready;
  return {
    stop: async () => {
      child.stdin!.end();
      await child.done;
      const seen = JSON.parse(out.slice("ready\n".length)) as Record<string, TraceEvent[]>;
      return new Map(Object.entries(seen));
    },
  };
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
    if (!own?.gateway) throw new Error("this lab has no network with an IPv4 gateway for `host`");
    return { address: own.gateway, place: "host" };
  }
  // the namespace's name in the trace: with its machine when it is a Host's
  const placeOf = (e: (typeof endpoints)[number]) => (e.remote ? `${e.netns}@${e.remote.name}` : e.netns);
  if (/^[\d.]+$|:/.test(to)) {
    const e = endpoints.find((x) => x.address === to || x.address6 === to);
    return { address: to, ...(e ? { place: placeOf(e) } : {}) };
  }
  const [netns, machine] = to.split("@");
  const candidates = endpoints.filter((e) => e.netns === netns && (!machine || e.remote?.name === machine));
  if (!candidates.length) {
    const names = [...new Set(endpoints.map((e) => e.netns))].join(", ");
    throw new Error(`no endpoint or sandbox ${to} in this lab (its namespaces with addresses: ${names})`);
  }
  // on a network `from` is on too, when it shares one
  const mine = new Set(endpoints.filter((e) => from !== "outside" && e.netns === from.netns).map((e) => e.bridge));
  const e = candidates.find((c) => mine.has(c.bridge)) ?? candidates[0];
  if (!e.address) throw new Error(`${to} has no IPv4 address; trace an IPv6 one by its address`);
  return { address: e.address, place: placeOf(e) };
}

/** Every machine's watch around `send`: what each namespace saw, and whether an answer came. */
async function traced(
  lab: LabFile,
  watches: ReturnType<typeof watchesOf>,
  probe: Marked,
  send: () => Promise<Answer>,
): Promise<{ watched: Watched[]; answered: Answer }> {
  const watching: { machine: string; w: Watching }[] = [];
  const stopAll = () => Promise.all(watching.map(async ({ machine, w }) => ({ machine, seen: await w.stop() })));
  const onSignal = () => void stopAll().then(() => process.exit(130));
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    watching.push({ machine: "this machine", w: await watchHere(lab, watches.local, probe) });
    for (const h of watches.hosts) watching.push({ machine: h.remote.name, w: await watchThere(lab, h, probe) });
    const answered = await send();
    const seen = await stopAll();
    watching.length = 0;
    const watched = seen.flatMap(({ machine, seen: m }) =>
      [...m].map(([place, events]) => ({ place, machine, events })),
    );
    return { watched, answered };
  } finally {
    await stopAll();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

/** Trace one probe from `from` to `to` in the lab of `labPath`, on this machine. */
export async function trace(labPath: string, from: string, to: string, how: TraceHow): Promise<TraceReport> {
  const { lab, specs } = readLab(labPath);
  const outside = from === "outside" || to === "outside" ? outsideOf(lab) : undefined;
  const origin = from === "outside" ? "outside" : pick(namespaces(specs, sandboxHostOf(lab)), from, NAMESPACES);
  if (origin !== "outside" && origin.remote && how.proto !== "icmp")
    throw new Error(
      `${from} is on host ${origin.remote.name}: from a Host, a trace sends an ICMP echo (leave out --${how.proto})`,
    );
  const { address, place } = addressOf(specs, origin, to, outside?.hostAddr ?? "", outside?.addr ?? "");
  // a source port (or echo id) of its own, away from the ports a lab publishes
  const probe: Probe = {
    proto: how.proto,
    id: randomInt(42000, 60000),
    from: origin === "outside" ? "outside" : fullName(origin),
    ...(place ? { toPlace: place } : {}),
  };
  const watches = watchesOf(lab, specs, outside?.ns);
  const send = async () => {
    const argv =
      how.proto === "icmp"
        ? ["ping", "-n", "-q", "-c", "1", "-W", "1", "-e", String(probe.id), address]
        : [process.execPath, process.argv[1], "probe", how.proto, address, String(how.port), String(probe.id)];
    if (origin !== "outside" && origin.remote) {
      const there = { ...(origin.netns ? { netns: origin.netns } : {}), sandboxHost: origin.sandboxHost, argv };
      return (await hostAt(origin.remote).run(there)) === 0 ? "answered" : null;
    }
    const start = watches.local.find((w) => w.place === probe.from)!;
    const r = await run(inPlace(lab, start.netns, argv));
    // the probe client says `refused` for a TCP reset or an ICMP port unreachable: an answer too
    return r.ok ? "answered" : r.stdout.trim() === "refused" ? "refused" : null;
  };
  // iptables-legacy's rules are not traced: their counters, before and after, stand in
  const legacy =
    specs.some((s) => s.kind === "network" && !s.remote && s.firewall !== "nftables") && (await isLegacy(lab));
  const saves: string[] = [];
  const counted = async () => {
    if (legacy) saves.push(await savedCounters(lab));
    const answer = await send();
    if (legacy) saves.push(await savedCounters(lab));
    return answer;
  };
  if (outside) await addOutside(lab, outside, false);
  try {
    const { watched, answered } = await traced(lab, watches, probe, counted);
    const wiring = outside ? { hostIf: outside.hostIf } : undefined;
    const path = pathOf(watched, probe, specs, answered, wiring, lab.paths);
    const report: TraceReport = {
      v: 1,
      stack: lab.stack,
      from,
      to,
      probe: how.proto === "icmp" ? "icmp" : `${how.proto}/${how.port}`,
      address,
      ...path,
    };
    return legacy ? withCounters(report, movedSteps(saves[0] ?? "", saves[1] ?? "", specs, lab.paths)) : report;
  } finally {
    if (outside) await removeOutside(lab, outside);
  }
}
