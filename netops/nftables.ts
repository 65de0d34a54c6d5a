// The native nftables firewall: one table per stack (`inet nslab-<stack>`, both families),
// rendered from all of the stack's networks and port mappings and replaced in one `nft -f`
// transaction (add, delete, define: atomic, and idempotent). The same behaviour as the
// iptables backend (network.ts, portmap.ts): published ports, isolation between networks,
// ICC, internal networks, hairpin, the host's 127.0.0.1, MASQUERADE, for IPv4 and IPv6.
// The table's comment carries the owner mark and a hash of its content: that is how drift
// is seen. The former version's tables (`ip` before both families, then `inet`, named
// by its former name) are replaced, and removed.
// As with Docker's nftables backend, the host's own iptables FORWARD policy still applies.
import { createHash } from "node:crypto";
import type { NftablesSpec } from "../model/schema";
import { run } from "./exec";
import { ForeignObjectError, type Ops } from "./resource";
import { formerOf } from "../model/former-name";
import { nftTable } from "../model/kernel-names";
import { formerMark, inSandboxHost, ownerMark, type Step } from "./step";

const tableName = (s: Pick<NftablesSpec, "stack">) => nftTable(s.stack);
/** An interface name (validated) quoted for nft. */
const q = (name: string) => `"${name}"`;

/** The table's body (chains and rules), without its comment. */
export function renderRules(s: NftablesSpec): string {
  const nets = s.networks;
  const published = s.portmaps.flatMap((p) => {
    const ports = p.hostPortEnd ? `${p.hostPort}-${p.hostPortEnd}` : String(p.hostPort);
    const daddr = (fam: "ip" | "ip6") =>
      p.hostIp ? `${fam} daddr ${p.hostIp} ` : `meta nfproto ${fam === "ip" ? "ipv4" : "ipv6"} `;
    return [
      ...(p.address
        ? [
            `${daddr("ip")}${p.protocol} dport ${ports} dnat ip to ${p.hostPortEnd ? p.address : `${p.address}:${p.port}`}`,
          ]
        : []),
      ...(p.address6
        ? [
            `${daddr("ip6")}${p.protocol} dport ${ports} dnat ip6 to ${p.hostPortEnd ? p.address6 : `[${p.address6}]:${p.port}`}`,
          ]
        : []),
    ];
  });
  const post = nets.flatMap((n) => [
    ...(n.subnet ? familyPost(n, "ip", `${n.subnet}/${n.prefix}`, n.masquerade) : []),
    ...(n.subnet6 ? familyPost(n, "ip6", `${n.subnet6}/${n.prefix6}`, n.masquerade6 ?? n.masquerade) : []),
  ]);
  // every network's way in before any network's way out: one's exit never opens another's door
  const forward = [
    ...nets.map((n, i) => `oifname ${q(n.bridge)} jump in_${i}`),
    ...nets.map((n, i) => `iifname ${q(n.bridge)} jump out_${i}`),
  ];
  const chains = nets.flatMap((n, i) => {
    const accepts = s.portmaps
      .filter((p) => p.bridge === n.bridge)
      .flatMap((p) => {
        const ports = p.hostPortEnd ? `${p.port}-${p.hostPortEnd}` : p.port;
        return [
          ...(p.address ? [`ip daddr ${p.address} ${p.protocol} dport ${ports} ct status dnat accept`] : []),
          ...(p.address6 ? [`ip6 daddr ${p.address6} ${p.protocol} dport ${ports} ct status dnat accept`] : []),
        ];
      });
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
      "ip6 daddr != ::1 fib daddr type local jump published",
    ]),
    // ::1 is left alone: IPv6 loopback never leaves lo (no route_localnet), so it is refused, not DNAT'd
    chain("output", "type nat hook output priority -100; policy accept;", [
      "meta nfproto ipv4 fib daddr type local jump published",
      "ip6 daddr != ::1 fib daddr type local jump published",
    ]),
    chain("published", null, published),
    chain("postrouting", "type nat hook postrouting priority srcnat; policy accept;", post),
    chain("forward", "type filter hook forward priority filter; policy accept;", forward),
    ...chains,
  ].join("");
}

/** A network's source NAT in one family: hairpin, (IPv4) the host's 127.0.0.1, MASQUERADE out. */
function familyPost(
  n: NftablesSpec["networks"][number],
  fam: "ip" | "ip6",
  sub: string,
  masquerade: boolean,
): string[] {
  return [
    `${fam} saddr ${sub} ${fam} daddr ${sub} oifname ${q(n.bridge)} ct status dnat masquerade`,
    ...(fam === "ip" ? [`ip saddr 127.0.0.0/8 oifname ${q(n.bridge)} masquerade`] : []),
    ...(masquerade && !n.internal
      ? [
          ...(n.connect ?? []).map((o) => `${fam} saddr ${sub} oifname ${q(o)} return`),
          `${fam} saddr ${sub} oifname != ${q(n.bridge)} masquerade`,
        ]
      : []),
  ];
}

function chain(name: string, base: string | null, rules: string[]): string {
  return `  chain ${name} {\n${base ? `    ${base}\n` : ""}${rules.map((r) => `    ${r}\n`).join("")}  }\n`;
}

/** The comment: owner mark and a hash of the rules, so a changed table shows as drift. */
export const tableComment = (s: NftablesSpec) =>
  `${ownerMark(s.stack)} ${createHash("sha256").update(renderRules(s)).digest("hex").slice(0, 16)}`;

/** "table ... {}" then "delete": gone whether or not it was there (nft -f input). */
export const dropTable = (family: string, t: string) => `table ${family} ${t} {}\ndelete table ${family} ${t}`;
const dropLines = (family: string, t: string) => `${dropTable(family, t)}\n`;

/**
 * nft -f input for a small table of nslab's own (an impairment, a delay line, a tunnel's
 * filter): it is dropped whether or not it is there, then, with `chains`, made again
 * whole with its comment. One transaction either way.
 */
export function ownTable(family: string, t: string, comment: string, chains?: readonly string[]): string {
  const table = chains ? [`table ${family} ${t} {`, `  comment "${comment}"`, ...chains, "}"] : [];
  // and the same table under nslab's former name, which an upgraded lab may still have
  return [dropTable(family, formerOf(t)), dropTable(family, t), ...table].join("\n") + "\n";
}

/**
 * The comment of a table, read by `argv` (an `nft list table`, where the table is): null
 * when there is no such table, "" when it has none. Text, not -j: nft 1.0.6 leaves the
 * table's comment out of its JSON.
 */
export async function tableCommentBy(argv: string[]): Promise<string | null> {
  const r = await run(argv);
  if (!r.ok) return null;
  return /^table \S+ \S+ \{\n\s*comment "([^"]*)"/m.exec(r.stdout)?.[1] ?? "";
}

/** The former version's tables of the stack that are there: `ip` (before both families), `inet`. */
type Former = readonly ("ip" | "inet")[];
const dropFormer = (s: NftablesSpec, former: Former = []) =>
  former.map((f) => dropLines(f, formerOf(tableName(s)))).join("");

export function renderTable(s: NftablesSpec, former: Former = []): string {
  const t = tableName(s);
  return `${dropFormer(s, former)}${dropLines("inet", t)}table inet ${t} {\n  comment "${tableComment(s)}"\n${renderRules(s)}}\n`;
}

export interface NftablesObs {
  /** The table's comment, "" when it has none, null when there is no table. */
  readonly comment: string | null;
  /** The stack's tables under nslab's former name (model/former-name.ts). */
  readonly former?: Former;
}

const readComment = (s: NftablesSpec, family: "inet" | "ip", name = tableName(s)) =>
  tableCommentBy(inSandboxHost(s, ["nft", "list", "table", family, name]));

export const nftablesOps: Ops<NftablesSpec, NftablesObs> = {
  describe: (s, o) => ({ table: tableName(s), state: o.comment === null ? "absent" : "present" }),
  async observe(s) {
    const families = ["ip", "inet"] as const;
    const [comment, ...old] = await Promise.all([
      readComment(s, "inet"),
      ...families.map((f) => readComment(s, f, formerOf(tableName(s)))),
    ]);
    return { comment, former: families.filter((_, i) => old[i]?.startsWith(`${formerMark(s.stack)} `)) };
  },
  drift(s, o, claimed) {
    if (o.comment === null) return [`missing: nftables table inet ${tableName(s)}`];
    if (o.former?.length) return [`different: the stack's nftables table under nslab's former name is still there`];
    if (!o.comment.startsWith(`${ownerMark(s.stack)} `) && !claimed)
      throw new ForeignObjectError(
        `nftables table inet ${tableName(s)} exists and is not nslab's; remove it or rename the stack`,
      );
    return o.comment === tableComment(s) ? [] : [`different: nftables table inet ${tableName(s)} (its rules changed)`];
  },
  converge: (s, o): Step[] => [
    {
      what: `nftables table inet ${tableName(s)}: ${s.networks.length} networks, ${s.portmaps.length} port mappings`,
      argv: inSandboxHost(s, ["nft", "-f", "-"]),
      input: renderTable(s, o.former),
      undo:
        o.comment === null
          ? {
              what: `delete nftables table inet ${tableName(s)}`,
              argv: inSandboxHost(s, ["nft", "delete", "table", "inet", tableName(s)]),
            }
          : undefined,
    },
  ],
  remove: (s, o, claimed): Step[] => {
    const ours = o.comment !== null && (claimed || o.comment.startsWith(`${ownerMark(s.stack)} `));
    if (!ours && !o.former?.length) return [];
    return [
      {
        what: `delete nftables table inet ${tableName(s)}`,
        argv: inSandboxHost(s, ["nft", "-f", "-"]),
        input: `${dropFormer(s, o.former)}${ours ? dropLines("inet", tableName(s)) : ""}`,
      },
    ];
  },
};
