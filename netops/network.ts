// A bridge network: bridge + gateway addresses (IPv4, IPv6 or both), forwarding of each
// family, and the firewall pieces all its endpoints and port mappings hang off (nslab's
// own DNAT and FORWARD chains, hooks from the built-in chains, MASQUERADE for the subnet),
// in iptables and, for IPv6, ip6tables.
import { createHash } from "node:crypto";
import * as ipaddr from "ipaddr.js";
import type { NetworkSpec } from "../model/schema";
import {
  type Chain,
  ensureStep,
  formerDrift,
  hasRule,
  inFamily6,
  marked,
  parseSave,
  removeStep,
  ruleText,
  type Rule,
  type Ruleset,
} from "./iptables";
import { hasAddress, inetOf, stateOf, type Link } from "./observe";
import { ForeignObjectError, type Ops } from "./resource";
import { isOwnerMark, inSandboxHost, ownerMark, type Step } from "./step";

/**
 * The bridge's own MAC, fixed and derived from the stack and bridge names. Left alone, a
 * bridge takes the lowest MAC of its ports, so removing an endpoint can change the
 * gateway's MAC under the others, and their ARP caches point at nothing for a while.
 * Locally administered, unicast.
 */
export function bridgeMac(s: Pick<NetworkSpec, "stack" | "bridge">): string {
  const h = createHash("sha256").update(`${s.stack}/${s.bridge}`).digest();
  return ["02", ...[...h.subarray(0, 5)].map((b) => b.toString(16).padStart(2, "0"))].join(":");
}

export const dnatChain = (bridge: string) => `NSLAB-DNAT-${bridge}`;
/** Everything forwarded into the bridge: decided here, before any network's way out. */
export const inChain = (bridge: string) => `NSLAB-IN-${bridge}`;
/** Everything forwarded out of the bridge to elsewhere. */
const outChain = (bridge: string) => `NSLAB-OUT-${bridge}`;
/**
 * The single forward chain before networks were isolated: still removed if found. Only
 * the former version made it, so it is found by its former name (iptables.ts).
 */
const legacyFwdChain = (bridge: string) => `NSLAB-FWD-${bridge}`;

export function networkChains(s: NetworkSpec): Chain[] {
  if (s.firewall === "nftables") return []; // the stack's nftables table holds it (nftables.ts)
  const chains: Chain[] = [
    { table: "nat", name: dnatChain(s.bridge) },
    { table: "filter", name: inChain(s.bridge) },
    { table: "filter", name: outChain(s.bridge) },
  ];
  return [...(s.subnet ? chains : []), ...(s.subnet6 ? inFamily6(chains) : [])];
}

/** IPv4 forwarding, and IPv6's, held while a network of that family exists. */
const FORWARD4 = "net.ipv4.ip_forward";
const FORWARD6 = "net.ipv6.conf.all.forwarding";
const forwardKeys = (s: NetworkSpec) => [...(s.subnet ? [FORWARD4] : []), ...(s.subnet6 ? [FORWARD6] : [])];

/**
 * Forwarding, as Docker's bridge driver does it: into a network only replies, traffic
 * between its own endpoints (ICC), traffic from networks it is connected to, and
 * published ports (port mappings insert their accepts at the top of the IN chain);
 * everything else into it is dropped, other networks included. Out of it: anything,
 * unless it is internal. Every network's IN hook sits above every OUT hook in FORWARD,
 * so one network's way out never lets traffic into another.
 */
export function networkRules(s: NetworkSpec): Rule[] {
  if (s.firewall === "nftables") return [];
  return [
    ...(s.subnet ? familyRules(s, 4, `${s.subnet}/${s.prefix}`, s.masquerade) : []),
    ...(s.subnet6 ? inFamily6(familyRules(s, 6, `${s.subnet6}/${s.prefix6}`, s.masquerade6 ?? s.masquerade)) : []),
  ];
}

/** One family's rules: the same shape for both, but for what only IPv4 has (route_localnet). */
function familyRules(s: NetworkSpec, family: 4 | 6, sub: string, masquerade: boolean): Rule[] {
  const br = s.bridge;
  const loopback = family === 4 ? "127.0.0.0/8" : "::1/128";
  const r = (
    table: "nat" | "filter",
    chain: string,
    args: string[],
    where: Partial<Pick<Rule, "insert" | "insertAfter">> = {},
  ) => ({ ...marked(s.stack, table, chain, args), ...where });
  const internal = s.internal === true;
  const rules: Rule[] = [
    // published ports: any local destination address, from outside and from the host
    // itself. Loopback only from the host itself: a neighbour sending to 127.0.0.1 must
    // not be let in (moby#45610), so PREROUTING leaves 127.0.0.0/8 alone.
    r("nat", "PREROUTING", ["!", "-d", loopback, "-m", "addrtype", "--dst-type", "LOCAL", "-j", dnatChain(br)]),
    // (::1 left alone: IPv6 loopback never leaves lo, so it is refused rather than DNAT'd)
    r("nat", "OUTPUT", [
      ...(family === 6 ? ["!", "-d", loopback] : []),
      "-m",
      "addrtype",
      "--dst-type",
      "LOCAL",
      "-j",
      dnatChain(br),
    ]),
    // hairpin: an endpoint reaching a published port of its own network through the host
    // sees the answer come back the same way (the server sees the gateway as the client)
    r("nat", "POSTROUTING", [
      "-s",
      sub,
      "-d",
      sub,
      "-o",
      br,
      "-m",
      "conntrack",
      "--ctstate",
      "DNAT",
      "-j",
      "MASQUERADE",
    ]),
    // the host's own 127.0.0.1 to a published port: leaves through the bridge as the gateway
    // (IPv6 has no route_localnet: ::1 never leaves lo, and a port is not published on it)
    ...(family === 4 ? [r("nat", "POSTROUTING", ["-s", "127.0.0.0/8", "-o", br, "-j", "MASQUERADE"])] : []),
    // first in FORWARD, so a host whose FORWARD ends in DROP/REJECT still passes our traffic
    r("filter", "FORWARD", ["-o", br, "-j", inChain(br)], { insert: true }),
    r("filter", "FORWARD", ["-i", br, "-j", outChain(br)], { insertAfter: "-j NSLAB-IN-" }),
    r("filter", inChain(br), ["-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", "ACCEPT"]),
    ...(s.icc === false ? [] : [r("filter", inChain(br), ["-i", br, "-j", "ACCEPT"])]),
    ...(s.connect ?? []).map((other) => r("filter", inChain(br), ["-i", other, "-j", "ACCEPT"])),
    r("filter", inChain(br), ["-j", "DROP"]),
    r("filter", outChain(br), ["-j", internal ? "DROP" : "ACCEPT"]),
  ];
  if (masquerade && !internal) {
    // connected networks see each other's real addresses: no NAT on the way there
    for (const other of s.connect ?? [])
      rules.push(r("nat", "POSTROUTING", ["-s", sub, "-o", other, "-j", "RETURN"], { insert: true }));
    rules.push(r("nat", "POSTROUTING", ["-s", sub, "!", "-o", br, "-j", "MASQUERADE"]));
  }
  return rules;
}

/** What an older version made for this network, so a removal after an upgrade leaves nothing. */
function legacy(s: NetworkSpec): { chains: Chain[]; rules: Rule[] } {
  return {
    chains: [{ table: "filter", name: legacyFwdChain(s.bridge) }],
    rules: [marked(s.stack, "filter", "FORWARD", ["-j", legacyFwdChain(s.bridge)])],
  };
}

export interface NetworkObs {
  readonly link: Link | null;
  readonly rules: Ruleset;
  /** Forwarding sysctls of the families the network has, by key. */
  readonly forwarding: Readonly<Record<string, string>>;
  /** route_localnet of the bridge: the host's 127.0.0.1 may leave through it to a published port. */
  readonly localnet?: string;
}

/** Slash form: a bridge name may hold dots, which the dotted form would split. */
const localnetKey = (s: NetworkSpec) => `net/ipv4/conf/${s.bridge}/route_localnet`;

const isUp = (l: Link) => l.flags.includes("UP");

/**
 * The bridge's IPv6 link-local address, from its fixed MAC (EUI-64). A router needs one:
 * the kernel asks for a neighbour on behalf of a forwarded packet from its link-local
 * address, and without one it never asks (a published port from outside went unanswered
 * until the host had talked to the endpoint itself).
 */
export function linkLocalOf(mac: string): string {
  const b = mac.split(":").map((x) => parseInt(x, 16));
  const eui = [b[0] ^ 0x02, b[1], b[2], 0xff, 0xfe, b[3], b[4], b[5]];
  return ipaddr.fromByteArray([0xfe, 0x80, 0, 0, 0, 0, 0, 0, ...eui]).toString();
}

/** The addresses the bridge carries, as [address, prefix]: the gateways, and IPv6's link-local. */
const gateways = (s: NetworkSpec): [string, number][] => [
  ...(s.gateway !== undefined && s.prefix !== undefined ? [[s.gateway, s.prefix] as [string, number]] : []),
  ...(s.gateway6 !== undefined && s.prefix6 !== undefined
    ? [[s.gateway6, s.prefix6] as [string, number], [linkLocalOf(bridgeMac(s)), 64] as [string, number]]
    : []),
];
const subnets = (s: NetworkSpec) =>
  [s.subnet && `${s.subnet}/${s.prefix}`, s.subnet6 && `${s.subnet6}/${s.prefix6}`].filter(Boolean).join(" ");

export const networkOps: Ops<NetworkSpec, NetworkObs> = {
  describe: (s, o) => ({
    bridge: s.bridge,
    subnet: subnets(s),
    addresses: inetOf(o.link),
    mac: o.link?.address ?? null,
    mtu: o.link?.mtu ?? null,
    state: stateOf(o.link),
  }),

  // routing between the bridge and the outside; held, and restored by the last network
  sysctls: (s) => Object.fromEntries(forwardKeys(s).map((k) => [k, "1"])),

  async observe(s, view) {
    const [link, save, save6, ...values] = await Promise.all([
      view.link(s.bridge),
      view.iptables(),
      s.subnet6 ? view.ip6tables() : "",
      ...forwardKeys(s).map((k) => view.sysctl(k)),
    ]);
    const forwarding = Object.fromEntries(forwardKeys(s).map((k, i) => [k, values[i]]));
    const localnet = link && s.subnet ? await view.sysctl(localnetKey(s)) : "1";
    return { link, rules: parseSave(save, save6), forwarding, localnet };
  },

  drift(s, o, claimed) {
    const out: string[] = [];
    const l = o.link;
    if (!l) out.push(`missing: bridge ${s.bridge}`);
    else {
      if (!isOwnerMark(l.ifalias, s.stack) && !claimed) {
        throw new ForeignObjectError(
          `link ${s.bridge} exists and is not nslab's (alias ${JSON.stringify(l.ifalias ?? "")}); rename the network (bridgeName) or remove the link`,
        );
      }
      if (l.linkinfo?.info_kind !== "bridge") {
        throw new ForeignObjectError(
          `link ${s.bridge} exists and is a ${l.linkinfo?.info_kind ?? "plain"} link, not a bridge; remove it or choose another bridgeName`,
        );
      }
      for (const [a, p] of gateways(s)) if (!hasAddress(l, a, p)) out.push(`missing: address ${a}/${p} on ${s.bridge}`);
      if (l.address !== bridgeMac(s)) out.push(`different: ${s.bridge} mac ${l.address}, want ${bridgeMac(s)}`);
      if (l.mtu !== s.mtu) out.push(`different: ${s.bridge} mtu ${l.mtu}, want ${s.mtu}`);
      if (!isUp(l)) out.push(`different: ${s.bridge} is down`);
      if (l.ifalias !== ownerMark(s.stack)) out.push(`missing: owner mark on ${s.bridge}`);
    }
    for (const [k, v] of Object.entries(o.forwarding)) if (v !== "1") out.push(`different: ${k}=${v}, want 1`);
    if (l && o.localnet !== "1") out.push(`different: ${localnetKey(s)}=${o.localnet}, want 1`);
    for (const r of networkRules(s)) if (!hasRule(o.rules, r)) out.push(`missing: ${ruleText(r)}`);
    out.push(...formerDrift(o.rules, networkChains(s), networkRules(s)));
    return out;
  },

  converge(s, o) {
    const steps: Step[] = [];
    if (!o.link) {
      steps.push({
        what: `create bridge ${s.bridge}`,
        argv: inSandboxHost(s, ["ip", "link", "add", "name", s.bridge, "type", "bridge"]),
        undo: { what: `delete bridge ${s.bridge}`, argv: inSandboxHost(s, ["ip", "link", "del", "dev", s.bridge]) },
      });
    }
    const l = o.link;
    if (
      !l ||
      !gateways(s).every(([a, p]) => hasAddress(l, a, p)) ||
      l.mtu !== s.mtu ||
      !isUp(l) ||
      l.ifalias !== ownerMark(s.stack) ||
      l.address !== bridgeMac(s)
    ) {
      steps.push({
        what: `configure bridge ${s.bridge}: ${gateways(s)
          .map(([a, p]) => `${a}/${p}`)
          .join(", ")}, mtu ${s.mtu}, mac ${bridgeMac(s)}, up`,
        argv: inSandboxHost(s, ["ip", "-batch", "-"]),
        // no link-local addresses: they would only add DAD and router solicitation floods;
        // an IPv6 gateway is up at once (nodad), and its neighbours find it by its own address
        input: [
          `link set dev ${s.bridge} alias ${ownerMark(s.stack)} mtu ${s.mtu} address ${bridgeMac(s)} addrgenmode none`,
          ...gateways(s).map(([a, p]) => `addr replace ${a}/${p} dev ${s.bridge}${a.includes(":") ? " nodad" : ""}`),
          `link set dev ${s.bridge} up`,
          "",
        ].join("\n"),
      });
    }
    if (s.subnet && (!l || o.localnet !== "1")) {
      // the bridge's own setting: it goes with the bridge, nothing to restore
      steps.push({
        what: `route_localnet on ${s.bridge}`,
        argv: inSandboxHost(s, ["sysctl", "-qw", `${localnetKey(s)}=1`]),
      });
    }
    const what = [
      `chains ${dnatChain(s.bridge)}, ${inChain(s.bridge)}, ${outChain(s.bridge)}`,
      s.icc === false ? "no ICC" : "",
      s.internal ? "internal" : "",
      s.connect?.length ? `open to ${s.connect.join(", ")}` : "",
      s.masquerade && !s.internal ? "MASQUERADE" : "",
    ];
    const fw = ensureStep(
      s,
      `firewall for ${s.bridge}: ${what.filter(Boolean).join(", ")}`,
      o.rules,
      networkChains(s),
      networkRules(s),
    );
    steps.push(...fw);
    return steps;
  },

  remove(s, o, claimed) {
    const steps: Step[] = [];
    const old = legacy(s);
    const fw = removeStep(
      s,
      `remove firewall for ${s.bridge}`,
      o.rules,
      [...networkChains(s), ...old.chains],
      [...networkRules(s), ...old.rules],
    );
    steps.push(...fw);
    if (o.link && (isOwnerMark(o.link.ifalias, s.stack) || claimed)) {
      steps.push({ what: `delete bridge ${s.bridge}`, argv: inSandboxHost(s, ["ip", "link", "del", "dev", s.bridge]) });
    }
    return steps;
  },
};
