// A bridge network: bridge + gateway address, ip_forward, and the firewall pieces all its
// endpoints and port mappings hang off (netlab's own DNAT and FORWARD chains, hooks from
// the built-in chains, MASQUERADE for the subnet).
import { createHash } from "node:crypto";
import type { NetworkSpec } from "../spec/schema";
import { type Chain, ensureStep, hasRule, marked, parseSave, removeStep, type Rule, type Ruleset } from "./iptables";
import type { Link } from "./observe";
import { ForeignObjectError, type Ops } from "./resource";
import { onHost, ownerMark, type Step } from "./step";

/**
 * The bridge's own MAC, fixed and derived from the stack and bridge names. Left alone, a
 * bridge takes the lowest MAC of its ports, so removing an endpoint can change the
 * gateway's MAC under the others, and their ARP caches point at nothing for a while.
 * Locally administered, unicast.
 */
export function bridgeMac(s: NetworkSpec): string {
  const h = createHash("sha256").update(`${s.stack}/${s.bridge}`).digest();
  return ["02", ...[...h.subarray(0, 5)].map((b) => b.toString(16).padStart(2, "0"))].join(":");
}

export const dnatChain = (bridge: string) => `NETLAB-DNAT-${bridge}`;
export const fwdChain = (bridge: string) => `NETLAB-FWD-${bridge}`;

export function networkChains(s: NetworkSpec): Chain[] {
  return [
    { table: "nat", name: dnatChain(s.bridge) },
    { table: "filter", name: fwdChain(s.bridge) },
  ];
}

export function networkRules(s: NetworkSpec): Rule[] {
  const dnat = dnatChain(s.bridge);
  const fwd = fwdChain(s.bridge);
  const r = (table: "nat" | "filter", chain: string, args: string[], insert = false) => marked(s.stack, table, chain, args, insert);
  const rules = [
    // published ports: any local destination address, from outside and from the host itself
    r("nat", "PREROUTING", ["-m", "addrtype", "--dst-type", "LOCAL", "-j", dnat]),
    r("nat", "OUTPUT", ["-m", "addrtype", "--dst-type", "LOCAL", "-j", dnat]),
    // inserted first so a host whose FORWARD ends in DROP/REJECT still passes our traffic
    r("filter", "FORWARD", ["-j", fwd], true),
    r("filter", fwd, ["-o", s.bridge, "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", "ACCEPT"]),
    r("filter", fwd, ["-i", s.bridge, "!", "-o", s.bridge, "-j", "ACCEPT"]),
    r("filter", fwd, ["-i", s.bridge, "-o", s.bridge, "-j", "ACCEPT"]),
  ];
  if (s.masquerade) {
    rules.push(r("nat", "POSTROUTING", ["-s", `${s.subnet}/${s.prefix}`, "!", "-o", s.bridge, "-j", "MASQUERADE"]));
  }
  return rules;
}

export interface NetworkObs {
  readonly link: Link | null;
  readonly rules: Ruleset;
  readonly ipForward: string;
}

const isUp = (l: Link) => l.flags.includes("UP");
const hasAddr = (l: Link, a: string, p: number) => (l.addr_info ?? []).some((i) => i.family === "inet" && i.local === a && i.prefixlen === p);

export const networkOps: Ops<NetworkSpec, NetworkObs> = {
  label: (s) => `bridge ${s.bridge}`,

  // routing between the bridge and the outside; held, and restored by the last network
  sysctls: () => ({ "net.ipv4.ip_forward": "1" }),

  async observe(s, view) {
    const [link, save, ipForward] = await Promise.all([view.link(s.bridge), view.iptables(), view.sysctl("net.ipv4.ip_forward")]);
    return { link, rules: parseSave(save), ipForward };
  },

  drift(s, o, claimed) {
    const out: string[] = [];
    const l = o.link;
    if (!l) out.push(`missing: bridge ${s.bridge}`);
    else {
      if (l.ifalias !== ownerMark(s.stack) && !claimed) {
        throw new ForeignObjectError(`link ${s.bridge} exists and is not netlab's (alias ${JSON.stringify(l.ifalias ?? "")}); rename the network (bridgeName) or remove the link`);
      }
      if (l.linkinfo?.info_kind !== "bridge") {
        throw new ForeignObjectError(`link ${s.bridge} exists and is a ${l.linkinfo?.info_kind ?? "plain"} link, not a bridge; remove it or choose another bridgeName`);
      }
      if (!hasAddr(l, s.gateway, s.prefix)) out.push(`missing: address ${s.gateway}/${s.prefix} on ${s.bridge}`);
      if (l.address !== bridgeMac(s)) out.push(`different: ${s.bridge} mac ${l.address}, want ${bridgeMac(s)}`);
      if (l.mtu !== s.mtu) out.push(`different: ${s.bridge} mtu ${l.mtu}, want ${s.mtu}`);
      if (!isUp(l)) out.push(`different: ${s.bridge} is down`);
      if (l.ifalias !== ownerMark(s.stack)) out.push(`missing: owner mark on ${s.bridge}`);
    }
    if (o.ipForward !== "1") out.push(`different: net.ipv4.ip_forward=${o.ipForward}, want 1`);
    for (const r of networkRules(s)) if (!hasRule(o.rules, r)) out.push(`missing: iptables -t ${r.table} -A ${r.chain} ${r.args.join(" ")}`);
    return out;
  },

  converge(s, o) {
    const steps: Step[] = [];
    if (!o.link) {
      steps.push({
        what: `create bridge ${s.bridge}`,
        argv: onHost(s, ["ip", "link", "add", "name", s.bridge, "type", "bridge"]),
        undo: { what: `delete bridge ${s.bridge}`, argv: onHost(s, ["ip", "link", "del", "dev", s.bridge]) },
      });
    }
    const l = o.link;
    if (!l || !hasAddr(l, s.gateway, s.prefix) || l.mtu !== s.mtu || !isUp(l) || l.ifalias !== ownerMark(s.stack) || l.address !== bridgeMac(s)) {
      steps.push({
        what: `configure bridge ${s.bridge}: ${s.gateway}/${s.prefix}, mtu ${s.mtu}, mac ${bridgeMac(s)}, up`,
        argv: onHost(s, ["ip", "-batch", "-"]),
        // no IPv6 on netlab networks yet: link-local addresses would only add DAD and RS floods
        input: [
          `link set dev ${s.bridge} alias ${ownerMark(s.stack)} mtu ${s.mtu} address ${bridgeMac(s)} addrgenmode none`,
          `addr replace ${s.gateway}/${s.prefix} dev ${s.bridge}`,
          `link set dev ${s.bridge} up`,
          "",
        ].join("\n"),
      });
    }
    const fw = ensureStep(s, `firewall for ${s.bridge}: chains ${dnatChain(s.bridge)}, ${fwdChain(s.bridge)}${s.masquerade ? ", MASQUERADE" : ""}`, o.rules, networkChains(s), networkRules(s));
    if (fw) steps.push(fw);
    return steps;
  },

  remove(s, o, claimed) {
    const steps: Step[] = [];
    const fw = removeStep(s, `remove firewall for ${s.bridge}`, o.rules, networkChains(s), networkRules(s));
    if (fw) steps.push(fw);
    if (o.link && (o.link.ifalias === ownerMark(s.stack) || claimed)) {
      steps.push({ what: `delete bridge ${s.bridge}`, argv: onHost(s, ["ip", "link", "del", "dev", s.bridge]) });
    }
    return steps;
  },
};
