// What `nft monitor trace` prints, read: one event per line, each naming the trace (one
// packet's pass through one namespace), the table and chain it met, and what happened
// there: the packet as the chain saw it, a rule and its verdict, the chain's policy, or a
// return. nftables 1.0.6 (Debian 12) has no JSON for trace events, so the text is parsed;
// the rules iptables-nft writes appear in it as nftables prints them.

/** A packet's header fields, as a chain saw them. */
export interface PacketFields {
  readonly iif?: string;
  readonly oif?: string;
  readonly saddr?: string;
  readonly daddr?: string;
  /** tcp, udp, icmp or icmpv6. */
  readonly proto?: string;
  readonly sport?: number;
  readonly dport?: number;
  /** ICMP's type (echo-request, echo-reply, ...) and echo id. */
  readonly icmpType?: string;
  readonly icmpId?: number;
}

export interface TraceEvent {
  /** The trace: one packet's pass through the namespace. */
  readonly id: string;
  readonly family: string;
  readonly table: string;
  readonly chain: string;
  readonly kind: "packet" | "rule" | "policy" | "return";
  readonly packet?: PacketFields;
  /** A rule as nftables prints it. */
  readonly rule?: string;
  /** accept, drop, continue, jump X, goto X, return (a rule's), or a policy. */
  readonly verdict?: string;
}

const LINE = /^trace id (\S+) (\S+) (\S+) (\S+) (.*?)\s*$/;
const RULE = /^rule (.*) \(verdict (.+)\)$/;

const word = (text: string, re: RegExp) => re.exec(text)?.[1];
const num = (text: string, re: RegExp) => {
  const w = word(text, re);
  return w === undefined ? undefined : Number(w);
};

/** The fields of a `packet:` event that a path is read from. */
export function packetFields(text: string): PacketFields {
  const proto =
    word(text, /\b(?:ip protocol|ip6 nexthdr|meta l4proto) (\w+)/) ??
    word(text, /\b(tcp|udp|icmpv6|icmp) (?:sport|type)\b/);
  const l4 = proto === "tcp" || proto === "udp" ? proto : undefined;
  const fields: PacketFields = {
    iif: word(text, /\biif "([^"]+)"/),
    oif: word(text, /\boif "([^"]+)"/),
    saddr: word(text, /\bip6? saddr (\S+)/),
    daddr: word(text, /\bip6? daddr (\S+)/),
    proto,
    sport: l4 ? num(text, new RegExp(`\\b${l4} sport (\\d+)`)) : undefined,
    dport: l4 ? num(text, new RegExp(`\\b${l4} dport (\\d+)`)) : undefined,
    icmpType: word(text, /\bicmp(?:v6)? type ([\w-]+)/),
    icmpId: num(text, /\bicmp(?:v6)? id (\d+)/),
  };
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as PacketFields;
}

/** One line of `nft monitor trace`; undefined for anything else. */
export function traceEvent(line: string): TraceEvent | undefined {
  const m = LINE.exec(line);
  if (!m) return undefined;
  const [, id, family, table, chain, rest] = m;
  const at = { id, family, table, chain };
  if (rest.startsWith("packet: ")) return { ...at, kind: "packet", packet: packetFields(rest.slice(8)) };
  const rule = RULE.exec(rest);
  // a rule's counters say nothing of this packet, and change with every one
  if (rule) {
    const text = rule[1]
      .replace(/\bcounter packets \d+ bytes \d+\s*/g, "")
      .replace(/\s+/g, " ")
      .trim();
    return { ...at, kind: "rule", rule: text, verdict: rule[2] };
  }
  if (rest.startsWith("policy ")) return { ...at, kind: "policy", verdict: rest.slice(7).trim() };
  if (rest.startsWith("return")) return { ...at, kind: "return" };
  // `verdict accept` and the like: a verdict reached without a rule of its own
  const verdict = word(rest, /^verdict (\S+)/);
  return verdict ? { ...at, kind: "policy", verdict } : undefined;
}
