// A probe's path through the lab, read from the trace events of every namespace it could
// cross (trace-events.ts): its passes put in the order the packet made them (each next
// pass came in by the peer of the interface the last one left by), each pass's hooks,
// rules and address translation, what the lab's firewall rules are for and which lab
// object made them, and the verdict in the lab's words. Pure: netops/trace.ts runs the
// probe and hands the events here.
import { labelOf, specKey } from "../model/kinds";
import type { TraceHop, TraceReport, TraceStep } from "../model/reports";
import type { ObjectSpec } from "../model/schema";
import type { PacketFields, TraceEvent } from "./trace-events";
import { TRACE_HOOKS, TRACE_TABLE } from "./trace-table";

export interface Watched {
  /** The namespace as the lab names it: `ns01`, `host`, `outside`. */
  readonly place: string;
  readonly machine: string;
  readonly events: readonly TraceEvent[];
}

/** What came back to the probe: an answer, a refusal (a TCP reset, an ICMP port unreachable), or nothing. */
export type Answer = "answered" | "refused" | null;

export interface Probe {
  readonly proto: "icmp" | "tcp" | "udp";
  /** The ICMP echo id, or the TCP or UDP source port: what marks the probe's packets. */
  readonly id: number;
  readonly from: string;
  /** The namespace the probe is addressed to, when the lab has it. */
  readonly toPlace?: string;
}

/** The outside vantage's wiring: its veth's host end. */
export interface Outside {
  readonly hostIf: string;
}

/** A packet's pass through one namespace: one trace id there. */
interface Pass {
  readonly place: string;
  readonly machine: string;
  readonly events: readonly TraceEvent[];
}

/** Which hook a chain is, for base chains; any other chain is in the hook that jumped to it. */
const HOOKS: Record<string, string> = {
  ...TRACE_HOOKS,
  prerouting: "prerouting",
  input: "input",
  forward: "forward",
  output: "output",
  postrouting: "postrouting",
};
export const hookOf = (chain: string): string | undefined => HOOKS[chain] ?? HOOKS[chain.toLowerCase()];

const packets = (p: Pass) => p.events.filter((e) => e.kind === "packet").map((e) => e.packet!);
/** The interface it last left by. */
const leftBy = (p: Pass) => [...packets(p)].reverse().find((f) => f.oif)?.oif;
const first = (p: Pass) => packets(p)[0] ?? {};
const ownSeen = (p: Pass, chain: string) => p.events.some((e) => e.table === TRACE_TABLE && e.chain === chain);

/** Whether a pass carries the probe (its request) or the answer. */
function isRequest(p: Pass, probe: Probe): boolean {
  const f = first(p);
  if (probe.proto === "icmp") return f.icmpType !== "echo-reply";
  return f.sport === probe.id;
}

/**
 * Every pass of every namespace: each starts where a packet enters it (the trace table's
 * first chains at prerouting and output) and takes what follows, until the next. Trace ids
 * do not tell passes apart: the kernel reuses them, and a packet the bridge hands up to be
 * routed is traced anew, under another (trace.ts marks it again). One probe's packets
 * cross a namespace one at a time.
 */
function passesOf(watched: readonly Watched[]): Pass[] {
  return watched.flatMap((w) => {
    const passes: TraceEvent[][] = [];
    for (const e of w.events) {
      const enters =
        e.table === TRACE_TABLE && e.kind === "packet" && (e.chain === "mark_pre" || e.chain === "mark_out");
      if (enters || !passes.length) passes.push([e]);
      else passes[passes.length - 1].push(e);
    }
    return passes.map((events) => ({ place: w.place, machine: w.machine, events }));
  });
}

/** Interface ends that face each other: `place|ifname` -> the ends a packet leaving by it arrives by. */
function peersOf(specs: readonly ObjectSpec[], outside?: Outside): Map<string, Set<string>> {
  const peers = new Map<string, Set<string>>();
  const join = (a: string, b: string) => {
    for (const [x, y] of [
      [a, b],
      [b, a],
    ]) {
      if (!peers.has(x)) peers.set(x, new Set());
      peers.get(x)!.add(y);
    }
  };
  // a place as the watches name it: with its machine when it is a Host's (places.ts fullName)
  const at = (s: ObjectSpec, netns: string | undefined, ifname: string) =>
    `${netns ?? "host"}${s.remote ? `@${s.remote.name}` : ""}|${ifname}`;
  const endpoints = specs.filter((s) => s.kind === "endpoint");
  for (const e of endpoints) {
    join(at(e, e.netns, e.ifname), at(e, undefined, e.hostIf));
    // routed by the host, a packet from the bridge comes in by the bridge itself
    join(at(e, e.netns, e.ifname), at(e, undefined, e.bridge));
    for (const o of endpoints)
      if (o !== e && o.bridge === e.bridge) join(at(e, e.netns, e.ifname), at(o, o.netns, o.ifname));
  }
  for (const s of specs) if (s.kind === "link") join(at(s, s.a.netns, s.a.ifname), at(s, s.b.netns, s.b.ifname));
  // a network across machines: what leaves one machine's tunnel comes in by the other's
  const tunnels = specs.filter((s) => s.kind === "vxlan");
  for (const t of tunnels)
    for (const u of tunnels)
      if (t !== u && t.bridge === u.bridge && t.remote?.name !== u.remote?.name) {
        join(at(t, undefined, t.dev), at(u, undefined, u.dev));
        // bridged through it, a frame is seen by each machine's hooks on the bridge itself
        join(at(t, undefined, t.bridge), at(u, undefined, u.bridge));
      }
  if (outside) join("outside|eth0", `host|${outside.hostIf}`);
  return peers;
}

/** The passes in the order the packet made them: from the origin, each next one in by the peer of the last one's way out. */
function ordered(passes: Pass[], origin: string, peers: Map<string, Set<string>>): Pass[] {
  const left = [...passes];
  const out: Pass[] = [];
  let at: Pass | undefined =
    left.find((p) => p.place === origin && !first(p).iif) ?? left.find((p) => p.place === origin) ?? left[0];
  while (at) {
    out.push(at);
    left.splice(left.indexOf(at), 1);
    const leaving = leftBy(at);
    const next: Set<string> | undefined = leaving ? peers.get(`${at.place}|${leaving}`) : undefined;
    at = left.find((p): boolean => !!next?.has(`${p.place}|${first(p).iif}`));
  }
  return [...out, ...left];
}

const endpointOf = (f: PacketFields, side: "s" | "d") => {
  const addr = side === "s" ? f.saddr : f.daddr;
  const port = side === "s" ? f.sport : f.dport;
  return port === undefined ? (addr ?? "?") : `${addr}:${port}`;
};

/** What a rule of the lab's firewall is for, and the lab object it belongs to. */
/** The objects' construct paths, by key (the lab file's `paths`). */
export type Paths = Readonly<Record<string, string>>;

/** What made an object, as the code says it: its construct's path, else the lab's label for it. */
const madeOf = (s: ObjectSpec, paths: Paths) => paths[specKey(s)] ?? labelOf(s);

export function madeBy(e: TraceEvent, specs: readonly ObjectSpec[], paths: Paths = {}): TraceStep["madeBy"] {
  const networks = specs.filter((s) => s.kind === "network");
  const network = (bridge: string) => {
    const n = networks.find((s) => s.bridge === bridge);
    return n ? madeOf(n, paths) : `network ${bridge}`;
  };
  const nft = specs.find((s) => s.kind === "nftables");
  const bridgeOfChain = (): string | undefined => {
    const iptables = /^NSLAB-(IN|OUT|DNAT)-(.+)$/.exec(e.chain)?.[2];
    if (iptables) return iptables;
    const i = /^(?:in|out)_(\d+)$/.exec(e.chain)?.[1];
    return i !== undefined && nft ? nft.networks[Number(i)]?.bridge : undefined;
  };
  const bridge = bridgeOfChain();
  const way = /^(NSLAB-IN-|in_)/.test(e.chain) ? "in" : /^(NSLAB-OUT-|out_)/.test(e.chain) ? "out" : undefined;
  const drop = e.verdict === "drop" || (e.kind === "policy" && e.verdict === "drop");
  if (bridge && way === "in" && drop)
    return { object: network(bridge), what: `isolation: only ${bridge}'s own and connected networks may enter it` };
  if (bridge && way === "out" && drop)
    return { object: network(bridge), what: `internal network: no way out of ${bridge} but to the host` };
  if (bridge && way) return { object: network(bridge), what: `the network's way ${way}` };
  if (bridge) return { object: network(bridge), what: "its published ports" };
  const masq = e.rule && /masquerade/i.test(e.rule) ? /\bip6? saddr (\S+)/.exec(e.rule)?.[1] : undefined;
  if (masq) {
    const n = networks.find((s) => masq === `${s.subnet}/${s.prefix}` || masq === `${s.subnet6}/${s.prefix6}`);
    if (n) return { object: madeOf(n, paths), what: "MASQUERADE of the network's traffic out" };
  }
  const jump = /(?:jump|goto) (NSLAB-\S+|in_\d+|out_\d+|published)/.exec(e.verdict ?? "")?.[1];
  if (jump) {
    const b = /^NSLAB-\w+-(.+)$/.exec(jump)?.[1];
    return { object: b ? network(b) : `stack ${specs[0]?.stack ?? ""}`, what: `to its chain ${jump}` };
  }
  return undefined;
}

/** The steps that decided something: a rule that did not just continue, and a dropping policy. */
function stepsOf(p: Pass, specs: readonly ObjectSpec[], paths: Paths): TraceStep[] {
  let hook = "";
  const steps: TraceStep[] = [];
  for (const e of p.events) {
    hook = hookOf(e.chain) ?? hook;
    if (e.table === TRACE_TABLE) continue;
    const decided = (e.kind === "rule" && e.verdict !== "continue") || (e.kind === "policy" && e.verdict === "drop");
    if (!decided) continue;
    const by = madeBy(e, specs, paths);
    steps.push({
      hook,
      table: `${e.family} ${e.table}`,
      chain: e.chain,
      ...(e.rule ? { rule: e.rule } : {}),
      verdict: e.verdict!,
      ...(by ? { madeBy: by } : {}),
    });
  }
  return steps;
}

/** The lab's name for an address: the endpoint or sandbox namespace that has it. */
function ownerOf(addr: string | undefined, specs: readonly ObjectSpec[]): string | undefined {
  const e = specs.find((s) => s.kind === "endpoint" && (s.address === addr || s.address6 === addr));
  return e && e.kind === "endpoint" ? `endpoint ${e.netns}${e.remote ? `@${e.remote.name}` : ""}` : undefined;
}

function hopOf(p: Pass, specs: readonly ObjectSpec[], paths: Paths, reply = false): TraceHop {
  const all = packets(p);
  const f = all[0] ?? {};
  const last = all[all.length - 1] ?? {};
  const nat: string[] = [];
  const steps = stepsOf(p, specs, paths);
  if (last.daddr !== f.daddr || last.dport !== f.dport) {
    const who = ownerOf(last.daddr, specs);
    nat.push(`${reply ? "NAT undone: destination" : "DNAT"} to ${endpointOf(last, "d")}${who ? ` (${who})` : ""}`);
  }
  if (last.saddr !== f.saddr) {
    const masq = steps.some((s) => s.hook === "postrouting" && /masquerade/i.test(s.rule ?? ""));
    nat.push(`${reply ? "NAT undone: source" : masq ? "MASQUERADE" : "SNAT"} to ${last.saddr}`);
  }
  const dropped = steps.some((s) => s.verdict === "drop");
  const fate: TraceHop["fate"] = dropped
    ? "dropped"
    : ownSeen(p, "seen_in")
      ? "delivered"
      : ownSeen(p, "seen_post")
        ? f.iif
          ? "forwarded"
          : "sent"
        : "lost";
  return {
    place: p.place,
    machine: p.machine,
    ...(f.iif ? { in: f.iif } : {}),
    ...(leftBy(p) ? { out: leftBy(p) } : {}),
    src: endpointOf(f, "s"),
    dst: endpointOf(f, "d"),
    nat,
    steps,
    fate,
  };
}

/** Words for a drop: where, by what, and what the rule is for. */
export function dropWords(h: TraceHop): string {
  const s = h.steps.find((x) => x.verdict === "drop")!;
  const by = s.madeBy ? `${s.madeBy.what} (made by ${s.madeBy.object})` : `${s.table} ${s.chain}`;
  return `dropped in ${h.place}, ${s.hook}: ${by}; rule: ${s.rule ?? `the chain's policy ${s.verdict}`}`;
}

/** Two isolated ports of one bridge (ICC off): the bridge drops their frames, which no hook sees. */
function iccOff(specs: readonly ObjectSpec[], paths: Paths, a: string, b: string | undefined): string | undefined {
  const ports = specs.filter((s) => s.kind === "endpoint");
  for (const x of ports.filter((s) => s.netns === a))
    for (const y of ports.filter((s) => s.netns === b))
      if (x.bridge === y.bridge && x.isolated && y.isolated) {
        const net = specs.find((s) => s.kind === "network" && s.bridge === x.bridge);
        return `dropped by the bridge ${x.bridge}: ICC off, its endpoints' ports are isolated from each other (made by ${net ? madeOf(net, paths) : `network ${x.bridge}`})`;
      }
  return undefined;
}

/** The path, the reply's path and the verdict in the lab's words. */
export function pathOf(
  watched: readonly Watched[],
  probe: Probe,
  specs: readonly ObjectSpec[],
  answer: Answer,
  outside?: Outside,
  paths: Paths = {},
): Pick<TraceReport, "verdict" | "answered" | "why" | "hops" | "reply"> {
  const peers = peersOf(specs, outside);
  const passes = passesOf(watched);
  const requests = ordered(
    passes.filter((p) => isRequest(p, probe)),
    probe.from,
    peers,
  ).map((p) => hopOf(p, specs, paths));
  const to = requests.find((h) => h.fate === "delivered")?.place;
  const reply = ordered(
    passes.filter((p) => !isRequest(p, probe)),
    to ?? probe.toPlace ?? "",
    peers,
  ).map((p) => hopOf(p, specs, paths, true));
  const base = { hops: requests, reply };
  const droppedAt = requests.find((h) => h.fate === "dropped");
  if (droppedAt) return { ...base, verdict: "dropped", answered: false, why: dropWords(droppedAt) };
  if (to) {
    const replyDropped = reply.find((h) => h.fate === "dropped");
    const answered = answer !== null;
    const why =
      answer === "answered"
        ? `delivered to ${to}, and answered`
        : answer === "refused"
          ? `delivered to ${to}, and refused: nothing listens on that port there`
          : replyDropped
            ? `delivered to ${to}; its answer ${dropWords(replyDropped)}`
            : `delivered to ${to}; no answer came back`;
    return { ...base, verdict: "delivered", answered, why };
  }
  const last = requests[requests.length - 1];
  const icc = iccOff(specs, paths, probe.from, probe.toPlace);
  if (icc) return { ...base, verdict: "dropped", answered: false, why: icc };
  if (!last) return { ...base, verdict: "lost", answered: false, why: `nothing left ${probe.from}` };
  const why =
    last.fate === "lost"
      ? `lost in ${last.place}: it came in${last.in ? ` by ${last.in}` : ""} and went nowhere (no route to ${last.dst}?)`
      : `lost after ${last.place}: it left by ${last.out ?? "?"} and no namespace of the lab saw it again`;
  return { ...base, verdict: "lost", answered: false, why };
}
