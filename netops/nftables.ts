// The native nftables firewall: one table per stack (`ip netlab-<stack>`), rendered from
// all of the stack's networks and port mappings and replaced in one `nft -f` transaction
// (add, delete, define: atomic, and idempotent). The same behaviour as the iptables
// backend (network.ts, portmap.ts): published ports, isolation between networks, ICC,
// internal networks, hairpin, the host's 127.0.0.1, MASQUERADE. The table's comment
// carries the owner mark and a hash of its content: that is how drift is seen.
// As with Docker's nftables backend, the host's own iptables FORWARD policy still applies.
import { createHash } from "node:crypto";
import type { NftablesSpec } from "../model/schema";
import { run } from "./exec";
import { ForeignObjectError, type Ops } from "./resource";
import { onHost, ownerMark, type Step } from "./step";

const tableName = (s: Pick<NftablesSpec, "stack">) => `netlab-${s.stack}`;

/** The table's body (chains and rules), without its comment. */
export function renderRules(s: NftablesSpec): string {
  const q = (name: string) => `"${name}"`; // interface names: validated, quoted for nft
  const nets = s.networks;
  const published = s.portmaps.map((p) => {
    const ports = p.hostPortEnd ? `${p.hostPort}-${p.hostPortEnd}` : String(p.hostPort);
    const to = p.hostPortEnd ? p.address : `${p.address}:${p.port}`;
    return `${p.hostIp ? `ip daddr ${p.hostIp} ` : ""}${p.protocol} dport ${ports} dnat to ${to}`;
  });
  const post = nets.flatMap((n) => {
    const sub = `${n.subnet}/${n.prefix}`;
    return [
      `ip saddr ${sub} ip daddr ${sub} oifname ${q(n.bridge)} ct status dnat masquerade`,
      `ip saddr 127.0.0.0/8 oifname ${q(n.bridge)} masquerade`,
      ...(n.masquerade && !n.internal
        ? [
            ...(n.connect ?? []).map((o) => `ip saddr ${sub} oifname ${q(o)} return`),
            `ip saddr ${sub} oifname != ${q(n.bridge)} masquerade`,
          ]
        : []),
    ];
  });
  // every network's way in before any network's way out: one's exit never opens another's door
  const forward = [
    ...nets.map((n, i) => `oifname ${q(n.bridge)} jump in_${i}`),
    ...nets.map((n, i) => `iifname ${q(n.bridge)} jump out_${i}`),
  ];
  const chains = nets.flatMap((n, i) => {
    const accepts = s.portmaps
      .filter((p) => p.bridge === n.bridge)
      .map(
        (p) =>
          `ip daddr ${p.address} ${p.protocol} dport ${p.hostPortEnd ? `${p.port}-${p.hostPortEnd}` : p.port} ct status dnat accept`,
      );
    const into = [
      "ct state established,related accept",
      ...(n.icc === false ? [] : [`iifname ${q(n.bridge)} accept`]),
      ...(n.connect ?? []).map((o) => `iifname ${q(o)} accept`),
      ...accepts,
      "drop",
    ];
    return [chain(`in_${i}`, null, into), chain(`out_${i}`, null, [n.internal ? "drop" : "accept"])];
  });
  return [
    chain("prerouting", "type nat hook prerouting priority dstnat; policy accept;", [
      "ip daddr != 127.0.0.0/8 fib daddr type local jump published",
    ]),
    chain("output", "type nat hook output priority -100; policy accept;", ["fib daddr type local jump published"]),
    chain("published", null, published),
    chain("postrouting", "type nat hook postrouting priority srcnat; policy accept;", post),
    chain("forward", "type filter hook forward priority filter; policy accept;", forward),
    ...chains,
  ].join("");
}

function chain(name: string, base: string | null, rules: string[]): string {
  return `  chain ${name} {\n${base ? `    ${base}\n` : ""}${rules.map((r) => `    ${r}\n`).join("")}  }\n`;
}

/** The comment: owner mark and a hash of the rules, so a changed table shows as drift. */
export const tableComment = (s: NftablesSpec) =>
  `${ownerMark(s.stack)} ${createHash("sha256").update(renderRules(s)).digest("hex").slice(0, 16)}`;

export function renderTable(s: NftablesSpec): string {
  const t = tableName(s);
  // "table ... {}" then "delete": the replace works whether or not the table exists
  return `table ip ${t} {}\ndelete table ip ${t}\ntable ip ${t} {\n  comment "${tableComment(s)}"\n${renderRules(s)}}\n`;
}

export interface NftablesObs {
  /** The table's comment, "" when it has none, null when there is no table. */
  readonly comment: string | null;
}

export const nftablesOps: Ops<NftablesSpec, NftablesObs> = {
  describe: (s, o) => ({ table: tableName(s), state: o.comment === null ? "absent" : "present" }),
  label: (s) => `nftables table ${tableName(s)}`,
  async observe(s) {
    // text, not -j: nft 1.0.6 leaves the table's comment out of its JSON
    const r = await run(onHost(s, ["nft", "list", "table", "ip", tableName(s)]));
    if (!r.ok) return { comment: null };
    return { comment: /^table ip \S+ \{\n\s*comment "([^"]*)"/m.exec(r.stdout)?.[1] ?? "" };
  },
  drift(s, o, claimed) {
    if (o.comment === null) return [`missing: nftables table ip ${tableName(s)}`];
    if (!o.comment.startsWith(`${ownerMark(s.stack)} `) && !claimed)
      throw new ForeignObjectError(
        `nftables table ip ${tableName(s)} exists and is not netlab's; remove it or rename the stack`,
      );
    return o.comment === tableComment(s) ? [] : [`different: nftables table ip ${tableName(s)} (its rules changed)`];
  },
  converge: (s, o): Step[] => [
    {
      what: `nftables table ip ${tableName(s)}: ${s.networks.length} networks, ${s.portmaps.length} port mappings`,
      argv: onHost(s, ["nft", "-f", "-"]),
      input: renderTable(s),
      undo:
        o.comment === null
          ? {
              what: `delete nftables table ip ${tableName(s)}`,
              argv: onHost(s, ["nft", "delete", "table", "ip", tableName(s)]),
            }
          : undefined,
    },
  ],
  remove: (s, o, claimed): Step[] =>
    o.comment !== null && (claimed || o.comment.startsWith(`${ownerMark(s.stack)} `))
      ? [
          {
            what: `delete nftables table ip ${tableName(s)}`,
            argv: onHost(s, ["nft", "delete", "table", "ip", tableName(s)]),
          },
        ]
      : [],
};
