// A port mapping: DNAT from a host port to an endpoint port in the network's own nat
// chain, plus the accept it needs in the network's IN chain (which ends in DROP).
import { labelOf, portTargets } from "../model/kinds";
import type { PortMappingSpec } from "../model/schema";
import {
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
import { dnatChain, inChain } from "./network";
import type { Ops } from "./resource";

export function portMappingRules(s: PortMappingSpec): Rule[] {
  if (s.firewall === "nftables") return []; // the stack's nftables table holds it (nftables.ts)
  return [
    ...(s.address ? familyRules(s, 4, s.address) : []),
    ...(s.address6 ? inFamily6(familyRules(s, 6, s.address6)) : []),
  ];
}

/** The DNAT and its accept, for the endpoint's address of one family. */
function familyRules(s: PortMappingSpec, family: 4 | 6, address: string): Rule[] {
  const p = s.protocol;
  const host = family === 4 ? 32 : 128;
  const dst = s.hostIp ? ["-d", `${s.hostIp}/${host}`] : [];
  // ip6tables writes a DNAT target with a port as [address]:port
  const withPort = family === 4 ? `${address}:${s.port}` : `[${address}]:${s.port}`;
  // a range keeps each connection's port: DNAT to the address alone
  const [hostPorts, to, ports] = s.hostPortEnd
    ? [`${s.hostPort}:${s.hostPortEnd}`, address, `${s.port}:${s.hostPortEnd}`]
    : [String(s.hostPort), withPort, String(s.port)];
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
        `${address}/${host}`,
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

export const portMappingOps: Ops<PortMappingSpec, Ruleset> = {
  describe(s, rules) {
    const want = portMappingRules(s);
    return {
      protocol: s.protocol,
      hostIp: s.hostIp ?? null,
      hostPort: s.hostPortEnd ? `${s.hostPort}-${s.hostPortEnd}` : String(s.hostPort),
      target: `${portTargets(s)}:${s.hostPortEnd ? `${s.port}-${s.hostPortEnd}` : s.port}`,
      network: s.bridge,
      // with nftables the stack's table holds the rules: its own row says whether it is there
      state:
        s.firewall === "nftables" ? "in nftables table" : want.every((r) => hasRule(rules, r)) ? "present" : "absent",
    };
  },
  observe: async (s, view) => parseSave(await view.iptables(), s.address6 ? await view.ip6tables() : ""),
  drift: (s, rules) => [
    ...portMappingRules(s)
      .filter((r) => !hasRule(rules, r))
      .map((r) => `missing: ${ruleText(r)}`),
    ...formerDrift(rules, [], portMappingRules(s)),
  ],
  converge: (s, rules) => ensureStep(s, `publish ${labelOf(s)}`, rules, [], portMappingRules(s)),
  remove: (s, rules) => removeStep(s, `unpublish ${labelOf(s)}`, rules, [], portMappingRules(s)),
};
