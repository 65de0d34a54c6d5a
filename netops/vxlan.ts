// A network's tunnel to its other hosts (model/schema.ts VxlanSpec): a VXLAN device on
// the bridge, one flood entry per peer host, learning on (remote MACs are learned from
// the traffic, as the bridge learns them: there is no control plane to tell them).
//
// The gateway is distributed: every host of the network has the same gateway address
// and the same bridge MAC (network.ts derives it from the stack and bridge names), so an
// endpoint routes through its own host wherever it is. Frames from that MAC must never
// cross the tunnel: a host would see its own MAC come in from a peer, and answer its
// endpoints' ARP for the gateway twice. A bridge-family nftables table of the tunnel's own
// drops them both ways, before the bridge learns from them; destroy deletes it whole.
import type { VxlanSpec } from "../model/schema";
import { run } from "./exec";
import { bridgeMac } from "./network";
import { ownTable, tableCommentBy } from "./nftables";
import { stateOf, type Link } from "./observe";
import { ForeignObjectError, type Ops } from "./resource";
import { hostBatch, isOwnerMark, inSandboxHost, ownerMark, type Step } from "./step";

export interface VxlanObs {
  readonly link: Link | null;
  /** Flood destinations (the all-zero MAC's entries). */
  readonly peers: readonly string[];
  /** The comment of the gateway filter's table, null when it is not there. */
  readonly filter: string | null;
}

interface VxlanInfo {
  id?: number;
  port?: number;
  local?: string;
  local6?: string;
}

const info = (l: Link | null) => ((l?.linkinfo as { info_data?: VxlanInfo } | undefined)?.info_data ?? {}) as VxlanInfo;
const filterTable = (s: VxlanSpec) => `nslab-gw-${s.dev}`;
const filterComment = (s: VxlanSpec) => `${ownerMark(s.stack)} gateway ${s.bridge}`;
const FLOOD = "00:00:00:00:00:00";

function filterStep(s: VxlanSpec, on: boolean): Step {
  const mac = bridgeMac(s);
  const chains = [
    `  chain out { type filter hook postrouting priority 0; oifname "${s.dev}" ether saddr ${mac} drop; }`,
    `  chain in { type filter hook prerouting priority 0; iifname "${s.dev}" ether saddr ${mac} drop; }`,
  ];
  return {
    what: `${on ? "keep" : "stop keeping"} the gateway's frames (${mac}) off ${s.dev}`,
    argv: inSandboxHost(s, ["nft", "-f", "-"]),
    input: ownTable("bridge", filterTable(s), filterComment(s), on ? chains : undefined),
  };
}

export const vxlanOps: Ops<VxlanSpec, VxlanObs> = {
  describe: (s, o) => ({
    device: s.dev,
    bridge: o.link?.master ?? null,
    vni: info(o.link).id ?? null,
    port: info(o.link).port ?? null,
    local: info(o.link).local ?? info(o.link).local6 ?? null,
    peers: [...o.peers].sort(),
    mtu: o.link?.mtu ?? null,
    state: stateOf(o.link),
  }),
  async observe(s, view) {
    const link = await view.link(s.dev);
    let peers: string[] = [];
    if (link) {
      const fdb = await run(inSandboxHost(s, ["bridge", "-j", "fdb", "show", "dev", s.dev]));
      if (fdb.ok)
        peers = (JSON.parse(fdb.stdout || "[]") as { mac: string; dst?: string }[])
          .filter((e) => e.mac === FLOOD && e.dst)
          .map((e) => e.dst!);
    }
    const filter = await tableCommentBy(inSandboxHost(s, ["nft", "list", "table", "bridge", filterTable(s)]));
    return { link, peers, filter };
  },
  drift(s, o, claimed) {
    const out: string[] = [];
    const l = o.link;
    if (l && !isOwnerMark(l.ifalias, s.stack) && !claimed)
      throw new ForeignObjectError(
        `link ${s.dev} exists and is not nslab's (alias ${JSON.stringify(l.ifalias ?? "")}); remove it, or give the network another bridgeName`,
      );
    if (!l) out.push(`missing: vxlan ${s.dev}`);
    else {
      const i = info(l);
      if (l.linkinfo?.info_kind !== "vxlan") out.push(`different: ${s.dev} is not a vxlan device`);
      if (i.id !== s.vni) out.push(`different: ${s.dev} vni ${i.id}, want ${s.vni}`);
      if (i.port !== s.port) out.push(`different: ${s.dev} port ${i.port}, want ${s.port}`);
      if ((i.local ?? i.local6) !== s.local)
        out.push(`different: ${s.dev} local ${i.local ?? i.local6}, want ${s.local}`);
      if (l.master !== s.bridge) out.push(`different: ${s.dev} attached to ${l.master ?? "nothing"}, want ${s.bridge}`);
      if (l.mtu !== s.mtu) out.push(`different: ${s.dev} mtu ${l.mtu}, want ${s.mtu}`);
      if (stateOf(l) !== "up") out.push(`different: ${s.dev} is down`);
      if (l.ifalias !== ownerMark(s.stack)) out.push(`missing: owner mark on ${s.dev}`);
      if ((l.linkinfo?.info_slave_data?.isolated ?? false) !== (s.isolated ?? false))
        out.push(`different: ${s.dev} isolated ${!s.isolated ? "on" : "off"}, want ${s.isolated ? "on" : "off"}`);
      for (const p of s.peers) if (!o.peers.includes(p)) out.push(`missing: ${s.dev} flood entry to ${p}`);
      for (const p of o.peers) if (!s.peers.includes(p)) out.push(`different: ${s.dev} floods to ${p}, not a peer`);
    }
    if (o.filter !== filterComment(s)) out.push(`missing: nftables table bridge ${filterTable(s)}`);
    return out;
  },
  converge(s, o) {
    const mark = ownerMark(s.stack);
    // one path: whatever is left of it goes, then all of it is made (a tunnel holds no state)
    return [
      ...(o.link ? [hostBatch(s, `delete vxlan ${s.dev}`, [`link del dev ${s.dev}`])] : []),
      { ...filterStep(s, true), undo: filterStep(s, false) },
      hostBatch(
        s,
        `create vxlan ${s.dev} (vni ${s.vni}, udp ${s.port}) on ${s.bridge}`,
        [
          `link add name ${s.dev} mtu ${s.mtu} type vxlan id ${s.vni} dstport ${s.port} local ${s.local}`,
          `link set dev ${s.dev} alias ${mark} master ${s.bridge} addrgenmode none up`,
          `link set dev ${s.dev} type bridge_slave isolated ${s.isolated ? "on" : "off"}`,
        ],
        { what: `delete vxlan ${s.dev}`, argv: inSandboxHost(s, ["ip", "link", "del", "dev", s.dev]) },
      ),
      {
        what: `flood ${s.dev} to ${s.peers.join(", ")}`,
        argv: inSandboxHost(s, ["bridge", "-batch", "-"]),
        input: s.peers.map((p) => `fdb append ${FLOOD} dev ${s.dev} dst ${p}\n`).join(""),
      },
    ];
  },
  remove: (s, o, claimed) => [
    ...(o.link && (isOwnerMark(o.link.ifalias, s.stack) || claimed)
      ? [hostBatch(s, `delete vxlan ${s.dev}`, [`link del dev ${s.dev}`])]
      : []),
    // whether or not it is there: it may be there under nslab's former name (filterStep)
    filterStep(s, false),
  ],
};
