// A delay line (model/schema.ts DelayLineSpec): delay and jitter between an endpoint and its
// network without netem. The endpoint's host end joins a private bridge; a VXLAN device
// there (A) carries its frames as UDP to a relay process (relay.ts) in the line's own
// namespace, which holds each one and sends it to a second VXLAN device (B) on the
// network's bridge; and back. Names, addresses and ports derive from the private bridge's
// name, itself a hash of the stack and the endpoint (constructs/endpoint.ts).
import { sandboxHostOf } from "../model/schema";
import { join } from "node:path";
import { delayLineNames } from "../model/kernel-names";
import type { DelayLineSpec } from "../model/schema";
import { runningPid } from "./daemon";
import { ownTable, tableCommentBy } from "./nftables";
import { hostDir } from "./ledger";
import { ensureStep, hasRule, marked, parseSave, removeStep, ruleText, type Rule, type Ruleset } from "./iptables";
import { netnsAddLines, netnsExists, stateOf, type Link } from "./observe";
import type { Ops } from "./resource";
import { deleteNamespaces, hostBatch, inSandboxHost, ownerMark, type Daemon, type Step } from "./step";

export interface DelayLineObs {
  readonly port: Link | null;
  /** A link's far bridge (`ownsBridge`), else null. */
  readonly far: Link | null;
  readonly a: Link | null;
  readonly b: Link | null;
  readonly under: Link | null;
  readonly nsExists: boolean;
  readonly pid: number | null;
  readonly rules: Ruleset;
  /** The comment of the line's nftables table, null when it is not there. */
  readonly untracked: string | null;
}

/** The bridges the line makes: its endpoint's (a link's near half's), and a link's far half's. */
const privateBridges = (s: DelayLineSpec) => [s.port, ...(s.ownsBridge ? [s.bridge] : [])];

/**
 * Frames crossing the private bridge go through the host's FORWARD chain when bridged
 * traffic is filtered (br_netfilter), whose policy may be DROP: let them through. At the
 * top of FORWARD, so it takes the firewall lock as networks do (engine.ts). (Not the raw
 * table: once used, iptables-nft leaves its empty chains behind, and destroy must leave
 * the host's rules as they were.)
 */
const wireRules = (s: DelayLineSpec): Rule[] =>
  privateBridges(s).map((b) => ({
    ...marked(s.stack, "filter", "FORWARD", ["-i", b, "-o", b, "-j", "ACCEPT"]),
    insert: true,
  }));

/**
 * Frames crossing the private bridge are not tracked. Conntrack would see each connection
 * a second time there (br_netfilter) after the host had NAT'd it on the network's bridge:
 * a DNAT'd one as a new connection clashing with the first (its source port rewritten),
 * and one the host masqueraded (from 127.0.0.1, or hairpin) masqueraded again, out a
 * bridge with no address: dropped. An nftables table of the line's own, at the raw
 * priority, which destroy deletes whole (an iptables raw rule would leave the raw table's
 * empty chains behind under iptables-nft).
 */
const untrackTable = (s: DelayLineSpec) => `nslab-line-${s.port.slice(3)}`;
const untrackComment = (s: DelayLineSpec) => `${ownerMark(s.stack)} untracked ${s.port}`;
function untrackStep(s: DelayLineSpec, on: boolean): Step {
  const chains = [
    `  chain pre { type filter hook prerouting priority raw; iifname { ${privateBridges(s).join(", ")} } notrack; }`,
  ];
  return {
    what: `${on ? "untrack" : "stop untracking"} frames on ${s.port}`,
    argv: inSandboxHost(s, ["nft", "-f", "-"]),
    input: ownTable("inet", untrackTable(s), untrackComment(s), on ? chains : undefined),
  };
}

/** Room for a VXLAN-wrapped 1500-byte frame (50 bytes more) on the line's own veth. */
const UNDERLAY_MTU = 1600;

export function partsOf(s: DelayLineSpec) {
  const { hash: h, ...names } = delayLineNames(s.port);
  const n = parseInt(h.slice(0, 4), 16);
  // a /30 of 169.254.0.0/16 (link-local: never routed) and a port pair, from the hash
  const net = [169, 254, (n >> 6) & 0xff, (n & 0x3f) * 4];
  const addr = (k: number) => [...net.slice(0, 3), net[3] + k].join(".");
  const portA = 30_000 + (parseInt(h.slice(4), 16) % 15_000) * 2;
  return {
    ...names,
    hostAddr: addr(1),
    relayAddr: addr(2),
    portA,
    portB: portA + 1,
  };
}

function daemonOf(s: DelayLineSpec): Daemon {
  const base = join(hostDir(sandboxHostOf(s)), s.stack, `delayline-${s.netns}-${s.ifname}`);
  return { pidFile: `${base}.pid`, logFile: `${base}.log` };
}

/** Remove what exists of the line; `keepRules` for a rebuild, which keeps (or adds) its accept. */
function teardown(s: DelayLineSpec, o: DelayLineObs, keepRules = false): Step[] {
  const p = partsOf(s);
  const links = [
    [o.b, p.b],
    [o.a, p.a],
    [o.port, s.port],
    [o.far, s.bridge],
    [o.under, p.under],
  ].flatMap(([l, name]) => (l ? [`link del dev ${name as string}`] : []));
  const unaccept = keepRules ? [] : removeStep(s, `remove firewall rules of ${s.port}`, o.rules, [], wireRules(s));
  return [
    { what: `stop relay ${p.ns}`, argv: [], stop: daemonOf(s) },
    ...unaccept,
    ...(links.length ? [hostBatch(s, `delete delay line ${s.port}`, links, undefined, true)] : []),
    ...(o.nsExists ? [deleteNamespaces(`delete namespace ${p.ns}`, [p.ns])] : []),
    // whether or not it is there: it may be there under nslab's former name (untrackStep)
    ...(!keepRules ? [untrackStep(s, false)] : []),
  ];
}

export const delayLineOps: Ops<DelayLineSpec, DelayLineObs> = {
  describe: (s, o) => ({
    netns: s.netns,
    interface: s.ifname,
    delayMs: s.delayMs,
    jitterMs: s.jitterMs,
    relay: o.pid,
    state: o.pid !== null && stateOf(o.a) === "up" && stateOf(o.b) === "up" ? "up" : "down",
  }),
  async observe(s, view) {
    const p = partsOf(s);
    const [port, a, b, under, far] = await Promise.all(
      [s.port, p.a, p.b, p.under, ...(s.ownsBridge ? [s.bridge] : [])].map((n) => view.link(n)),
    );
    const rules = parseSave(await view.iptables());
    const untracked = await tableCommentBy(inSandboxHost(s, ["nft", "list", "table", "inet", untrackTable(s)]));
    return {
      port,
      far: far ?? null,
      a,
      b,
      under,
      nsExists: netnsExists(p.ns),
      pid: runningPid(daemonOf(s)),
      rules,
      untracked,
    };
  },
  drift(s, o) {
    const p = partsOf(s);
    const out: string[] = [];
    for (const [l, name] of [
      [o.port, s.port],
      ...(s.ownsBridge ? ([[o.far, s.bridge]] as const) : []),
      [o.a, p.a],
      [o.b, p.b],
      [o.under, p.under],
    ] as const)
      if (!l) out.push(`missing: ${name}`);
    if (o.b && o.b.master !== s.bridge)
      out.push(`different: ${p.b} attached to ${o.b.master ?? "nothing"}, want ${s.bridge}`);
    for (const [l, name] of [[o.a, p.a], ...(s.ownsBridge ? ([[o.b, p.b]] as const) : [])] as const)
      if (l?.linkinfo?.info_slave_data?.learning) out.push(`different: ${name} learns addresses, want learning off`);
    if (!o.nsExists) out.push(`missing: namespace ${p.ns}`);
    if (o.untracked !== untrackComment(s)) out.push(`missing: nftables table inet ${untrackTable(s)}`);
    if (o.pid === null) out.push(`missing: relay process in ${p.ns} is not running`);
    for (const r of wireRules(s)) if (!hasRule(o.rules, r)) out.push(`missing: ${ruleText(r)}`);
    return out;
  },
  converge(s, o) {
    const p = partsOf(s);
    const mark = ownerMark(s.stack);
    // one frame per datagram: a bridge takes the smallest GSO limit of its ports, so the
    // stack hands the line no super-packet that the relay would pass on whole and the
    // endpoint's veth would drop as too big
    const vxlan = (name: string, port: number) =>
      `link add name ${name} mtu 1500 gso_max_size 1500 gso_max_segs 1 type vxlan id 1 local ${p.hostAddr} ` +
      `remote ${p.relayAddr} dstport ${port} nolearning`;
    const d = daemonOf(s);
    const bridge = (name: string) => [
      `link add name ${name} type bridge`,
      // no ARP: the host would answer its endpoint's ARP for the gateway here, at once,
      // and the endpoint would then reach the gateway around the line
      `link set dev ${name} alias ${mark} addrgenmode none arp off up`,
    ];
    return [
      ...teardown(s, o, true), // one path: whatever is left of it goes, then all of it is made
      ...ensureStep(s, `let ${s.port} through FORWARD`, o.rules, [], wireRules(s)),
      untrackStep(s, true),
      hostBatch(s, `create delay line ${s.port} (${s.delayMs} ms +- ${s.jitterMs} ms) to ${s.bridge}`, [
        ...netnsAddLines(p.ns),
        ...privateBridges(s).flatMap(bridge),
        `link add name ${p.under} mtu ${UNDERLAY_MTU} type veth peer name eth0 netns ${p.ns} mtu ${UNDERLAY_MTU}`,
        `addr add ${p.hostAddr}/30 dev ${p.under}`,
        `link set dev ${p.under} alias ${mark} addrgenmode none up`,
        vxlan(p.a, p.portA),
        `link set dev ${p.a} alias ${mark} master ${s.port} addrgenmode none up`,
        // no learning on A: the network's bridge sends the endpoint's own broadcasts back
        // (hairpin, B's port), the private bridge would then place the endpoint's MAC behind
        // A and drop what comes back to it there, the gateway's ARP answer first of all
        `link set dev ${p.a} type bridge_slave learning off`,
        vxlan(p.b, p.portB),
        `link set dev ${p.b} alias ${mark} master ${s.bridge} addrgenmode none up`,
        s.ownsBridge
          ? `link set dev ${p.b} type bridge_slave learning off`
          : `link set dev ${p.b} type bridge_slave isolated ${s.isolated ? "on" : "off"} hairpin on`,
      ]),
      {
        what: `configure ${p.ns}`,
        argv: ["ip", "-n", p.ns, "-batch", "-"],
        input: `link set dev lo up\naddr add ${p.relayAddr}/30 dev eth0\nlink set dev eth0 up\n`,
      },
      {
        what: `start relay in ${p.ns} (log ${d.logFile})`,
        argv: [
          "ip",
          "netns",
          "exec",
          p.ns,
          process.execPath,
          process.argv[1],
          "relay",
          ...[p.portA, p.portB, p.hostAddr, s.delayMs, s.jitterMs].map(String),
        ],
        daemon: d,
        undo: { what: `stop relay ${p.ns}`, argv: [], stop: d },
      },
    ];
  },
  remove: (s, o) => teardown(s, o),
  gone: async (s, view) => !(await view.link(partsOf(s).under)),
};
