// A port mapping: DNAT from a host port to an endpoint port in the network's own nat
// chain, plus the accept it needs in the network's IN chain (which ends in DROP).
import type { PortMappingSpec } from "../model/schema";
import { ensureStep, hasRule, marked, parseSave, removeStep, type Rule, type Ruleset } from "./iptables";
import { dnatChain, inChain } from "./network";
import type { Ops } from "./resource";
import type { Step } from "./step";

export function portMappingRules(s: PortMappingSpec): Rule[] {
  if (s.firewall === "nftables") return []; // the stack's nftables table holds it (nftables.ts)
  const p = s.protocol;
  const dst = s.hostIp ? ["-d", `${s.hostIp}/32`] : [];
  // a range keeps each connection's port: DNAT to the address alone
  const [hostPorts, to, ports] = s.hostPortEnd
    ? [`${s.hostPort}:${s.hostPortEnd}`, s.address, `${s.port}:${s.hostPortEnd}`]
    : [String(s.hostPort), `${s.address}:${s.port}`, String(s.port)];
  return [
    marked(s.stack, "nat", dnatChain(s.bridge), [
      ...dst,
      "-p",
      p,
      "-m",
      p,
      "--dport",
      hostPorts,
      "-j",
      "DNAT",
      "--to-destination",
      to,
    ]),
    // only connections that came through the DNAT: the endpoint's own address stays closed
    // to other networks and to the outside (the network's IN chain ends in DROP)
    {
      ...marked(s.stack, "filter", inChain(s.bridge), [
        "-d",
        `${s.address}/32`,
        "-p",
        p,
        "-m",
        p,
        "--dport",
        ports,
        "-m",
        "conntrack",
        "--ctstate",
        "DNAT",
        "-j",
        "ACCEPT",
      ]),
      insert: true,
    },
  ];
}

const label = (s: PortMappingSpec) =>
  s.hostPortEnd
    ? `ports ${s.hostIp ?? "*"}:${s.hostPort}-${s.hostPortEnd}/${s.protocol} -> ${s.address}`
    : `port ${s.hostIp ?? "*"}:${s.hostPort}/${s.protocol} -> ${s.address}:${s.port}`;

export const portMappingOps: Ops<PortMappingSpec, Ruleset> = {
  describe(s, rules) {
    const want = portMappingRules(s);
    return {
      protocol: s.protocol,
      hostIp: s.hostIp ?? null,
      hostPort: s.hostPortEnd ? `${s.hostPort}-${s.hostPortEnd}` : String(s.hostPort),
      target: s.hostPortEnd ? `${s.address}:${s.port}-${s.hostPortEnd}` : `${s.address}:${s.port}`,
      network: s.bridge,
      // with nftables the stack's table holds the rules: its own row says whether it is there
      state:
        s.firewall === "nftables" ? "in nftables table" : want.every((r) => hasRule(rules, r)) ? "present" : "absent",
    };
  },
  label,
  observe: async (_s, view) => parseSave(await view.iptables()),
  drift: (s, rules) =>
    portMappingRules(s)
      .filter((r) => !hasRule(rules, r))
      .map((r) => `missing: iptables -t ${r.table} -A ${r.chain} ${r.args.join(" ")}`),
  converge: (s, rules) =>
    [ensureStep(s, `publish ${label(s)}`, rules, [], portMappingRules(s))].filter((x): x is Step => !!x),
  remove: (s, rules) =>
    [removeStep(s, `unpublish ${label(s)}`, rules, [], portMappingRules(s))].filter((x): x is Step => !!x),
};
