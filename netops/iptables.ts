// Firewall rules as data. A rule is its family, table, chain and match/target args; plans
// diff the desired rules against one `iptables-save` (and `ip6tables-save` when there are
// IPv6 rules) and apply the difference with one `iptables-restore --noflush` per family:
// a few processes per resource, whatever the rule count.
import { formerOf } from "../model/former-name";
import { inSandboxHost, ownerMark, type Step, type Target } from "./step";

export type Table = "nat" | "filter";

/** 4: iptables, 6: ip6tables (absent: 4). */
export type Family = 4 | 6;

export interface Rule {
  readonly family?: Family;
  readonly table: Table;
  readonly chain: string;
  readonly args: readonly string[];
  /** Insert at the top of the chain instead of appending (hooks into built-in chains). */
  readonly insert?: boolean;
  /** Insert right after the last rule of the chain that contains this text (else at the top). */
  readonly insertAfter?: string;
}

export interface Chain {
  readonly family?: Family;
  readonly table: Table;
  readonly name: string;
}

/** Rules of one resource, each carrying the stack's owner mark as a comment. */
export function marked(stack: string, table: Table, chain: string, args: string[], insert = false): Rule {
  const i = args.indexOf("-j");
  const withComment = [...args.slice(0, i), "-m", "comment", "--comment", ownerMark(stack), ...args.slice(i)];
  return { table, chain, args: withComment, insert };
}

/** The same rules for ip6tables. */
export const inFamily6 = <T extends Rule | Chain>(xs: readonly T[]): T[] => xs.map((x) => ({ ...x, family: 6 }));

/** "nat" or "ip6/nat": a table as the ruleset keys it, apart for each family. */
const tableKey = (x: Rule | Chain) => (x.family === 6 ? `ip6/${x.table}` : x.table);

/** The rule exactly as iptables-save prints it (comments are always quoted). */
export function saveLine(r: Rule): string {
  const args = r.args.map((a, i) => (r.args[i - 1] === "--comment" ? `"${a}"` : a));
  return `-A ${r.chain} ${args.join(" ")}`;
}

export interface Ruleset {
  readonly chains: ReadonlySet<string>; // "table/chain"
  readonly lines: ReadonlySet<string>; // "table/-A ..."
  /** Each chain's rules in order, "table/chain" -> lines: where an insert lands. */
  readonly order: ReadonlyMap<string, readonly string[]>;
}

/** One ruleset from `iptables-save` and, when read, `ip6tables-save`. */
/** The last save parsed: one look at a host serves every port mapping of a lab (read only). */
let parsed: { text: string; text6: string; rules: Ruleset } | undefined;

export function parseSave(text: string, text6 = ""): Ruleset {
  if (parsed?.text === text && parsed.text6 === text6) return parsed.rules;
  const chains = new Set<string>();
  const lines = new Set<string>();
  const order = new Map<string, string[]>();
  let table = "";
  const all = [...text.split("\n"), ...text6.split("\n").map((l) => (l.startsWith("*") ? `*ip6/${l.slice(1)}` : l))];
  for (const line of all) {
    if (line.startsWith("*")) table = line.slice(1).trim();
    else if (line.startsWith(":")) chains.add(`${table}/${line.slice(1).split(" ")[0]}`);
    else if (line.startsWith("-A ")) {
      lines.add(`${table}/${line.trimEnd()}`);
      const key = `${table}/${line.split(" ")[1]}`;
      const chain = order.get(key);
      if (chain) chain.push(line.trimEnd());
      else order.set(key, [line.trimEnd()]);
    }
  }
  parsed = { text, text6, rules: { chains, lines, order } };
  return parsed.rules;
}

export const hasRule = (rs: Ruleset, r: Rule) => rs.lines.has(`${tableKey(r)}/${saveLine(r)}`);
const hasChain = (rs: Ruleset, c: Chain) => rs.chains.has(`${tableKey(c)}/${c.name}`);

/** A rule as nslab's former version wrote it: its chain, mark and jump target by their former names. */
function formerRule(r: Rule): Rule {
  const renamed = (a: string, i: number) => (r.args[i - 1] === "--comment" || r.args[i - 1] === "-j" ? formerOf(a) : a);
  return { ...r, chain: formerOf(r.chain), args: r.args.map(renamed) };
}

/** What the former version made of these chains and rules and is still there (model/former-name.ts). */
function formerLeft(now: Ruleset, chains: readonly Chain[], rules: readonly Rule[]) {
  return {
    chains: chains
      .map((c) => ({ ...c, name: formerOf(c.name) }))
      .filter((c, i) => c.name !== chains[i].name && hasChain(now, c)),
    rules: rules.map(formerRule).filter((r) => hasRule(now, r)),
  };
}

/** A drift line when chains or rules of nslab's former name are still there: the converge replaces them. */
export function formerDrift(now: Ruleset, chains: readonly Chain[], rules: readonly Rule[]): string[] {
  const f = formerLeft(now, chains, rules);
  const n = f.chains.length + f.rules.length;
  return n ? [`different: ${n} chains and rules under nslab's former name`] : [];
}

/** Delete rules that exist, then flush and delete chains that exist. */
function removal(lines: Lines, chains: readonly Chain[], rules: readonly Rule[]): void {
  for (const r of rules) push(lines, r, `-D ${r.chain} ${r.args.join(" ")}`);
  for (const c of chains) {
    push(lines, c, `-F ${c.name}`);
    push(lines, c, `-X ${c.name}`);
  }
}

/** Chains of the built-in tables: always there, and never made by us. */
const BUILT_IN = new Set(["PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"]);

/** How a missing rule reads in verify's output. */
export const ruleText = (r: Rule) =>
  `${r.family === 6 ? "ip6tables" : "iptables"} -t ${r.table} -A ${r.chain} ${r.args.join(" ")}`;

/**
 * Render restore input, table by table, skipping tables with nothing to do. Args are
 * written unquoted: every one is validated at synth to hold no space or quote.
 */
function restoreText(byTable: Map<Table, string[]>): string {
  let out = "";
  for (const [table, lines] of byTable) if (lines.length) out += `*${table}\n${lines.join("\n")}\nCOMMIT\n`;
  return out;
}

/** Restore lines by family, then table. */
type Lines = Map<Family, Map<Table, string[]>>;

function push(m: Lines, x: Rule | Chain, line: string) {
  const f = x.family ?? 4;
  const byTable = m.get(f) ?? new Map<Table, string[]>();
  byTable.set(x.table, [...(byTable.get(x.table) ?? []), line]);
  m.set(f, byTable);
}

function restoreStep(t: Target, family: Family, what: string, text: string, undo?: Step): Step {
  const bin = family === 6 ? "ip6tables-restore" : "iptables-restore";
  return {
    what: family === 6 ? `${what} (IPv6)` : what,
    argv: inSandboxHost(t, [bin, "-w", "--noflush"]),
    input: text,
    undo,
  };
}

/** One restore step per family with lines, IPv4 first. */
function restoreSteps(t: Target, what: string, lines: Lines, undo?: Lines): Step[] {
  return ([4, 6] as const).flatMap((f) => {
    const text = restoreText(lines.get(f) ?? new Map());
    if (!text) return [];
    const back = undo ? restoreText(undo.get(f) ?? new Map()) : "";
    return [restoreStep(t, f, what, text, back ? restoreStep(t, f, `remove ${what}`, back) : undefined)];
  });
}

/**
 * Ensure chains and rules exist. Only what is missing is written: a `:CHAIN` line would
 * flush an existing chain, and a duplicate `-A` would stack copies of a rule.
 * The undo deletes exactly what this step added.
 */
export function ensureStep(
  t: Target,
  what: string,
  now: Ruleset,
  chains: readonly Chain[],
  rules: readonly Rule[],
): Step[] {
  const add: Lines = new Map();
  const del: Lines = new Map();
  // a rule's own chain too (a port mapping's, in a network an upgrade has not renamed yet)
  const ruleChains = rules
    .map((r): Chain => ({ family: r.family, table: r.table, name: r.chain }))
    .filter((c) => !BUILT_IN.has(c.name) && !chains.some((x) => tableKey(x) === tableKey(c) && x.name === c.name));
  const newChains = [...chains, ...ruleChains].filter(
    (c, i, all) => !hasChain(now, c) && all.findIndex((x) => tableKey(x) === tableKey(c) && x.name === c.name) === i,
  );
  for (const c of newChains) push(add, c, `:${c.name} - [0:0]`);
  // the chain as it will be after each insert of this step, to place `insertAfter` rules
  const chainNow = (r: Rule) => [...(now.order.get(`${tableKey(r)}/${r.chain}`) ?? [])];
  const after = new Map<string, string[]>();
  for (const r of rules.filter((r) => !hasRule(now, r))) {
    const key = `${tableKey(r)}/${r.chain}`;
    const lines = after.get(key) ?? chainNow(r);
    let at: number | null = null;
    if (r.insert) at = 1;
    else if (r.insertAfter) {
      const last = lines.reduce((found, l, i) => (l.includes(r.insertAfter!) ? i : found), -1);
      at = last + 2;
    } else {
      // a lost rule goes back where it was declared: before the first rule declared after
      // it that is there (a chain's final DROP above all), not appended behind it
      const later = rules
        .slice(rules.indexOf(r) + 1)
        .filter((x) => tableKey(x) === tableKey(r) && x.chain === r.chain && !x.insert && !x.insertAfter);
      const next = lines.findIndex((l) => later.some((x) => saveLine(x) === l));
      if (next >= 0) at = next + 1;
    }
    push(add, r, at === null ? `-A ${r.chain} ${r.args.join(" ")}` : `-I ${r.chain} ${at} ${r.args.join(" ")}`);
    lines.splice(at === null ? lines.length : at - 1, 0, saveLine(r));
    after.set(key, lines);
    push(del, r, `-D ${r.chain} ${r.args.join(" ")}`);
  }
  for (const c of newChains) push(del, c, `-X ${c.name}`);
  // what the former version made goes once its successor is there, in the same restore
  const former = formerLeft(now, chains, rules);
  removal(add, former.chains, former.rules);
  return restoreSteps(t, what, add, del);
}

/**
 * Delete the rules that exist, then flush and delete our chains, and the same under
 * nslab's former name. Missing pieces are fine.
 */
export function removeStep(
  t: Target,
  what: string,
  now: Ruleset,
  chains: readonly Chain[],
  rules: readonly Rule[],
): Step[] {
  const del: Lines = new Map();
  const former = formerLeft(now, chains, rules);
  removal(
    del,
    [...chains.filter((c) => hasChain(now, c)), ...former.chains],
    [...rules.filter((r) => hasRule(now, r)), ...former.rules],
  );
  return restoreSteps(t, what, del);
}
