// Firewall rules as data. A rule is its table, chain and match/target args; plans diff
// the desired rules against one `iptables-save` and apply the difference with one
// `iptables-restore --noflush`: two processes per resource, whatever the rule count.
import { onHost, ownerMark, type Step, type Target } from "./step";

export type Table = "nat" | "filter";

export interface Rule {
  readonly table: Table;
  readonly chain: string;
  readonly args: readonly string[];
  /** Insert at the top of the chain instead of appending (hooks into built-in chains). */
  readonly insert?: boolean;
  /** Insert right after the last rule of the chain that contains this text (else at the top). */
  readonly insertAfter?: string;
}

export interface Chain {
  readonly table: Table;
  readonly name: string;
}

/** Rules of one resource, each carrying the stack's owner mark as a comment. */
export function marked(stack: string, table: Table, chain: string, args: string[], insert = false): Rule {
  const i = args.indexOf("-j");
  const withComment = [...args.slice(0, i), "-m", "comment", "--comment", ownerMark(stack), ...args.slice(i)];
  return { table, chain, args: withComment, insert };
}

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

export function parseSave(text: string): Ruleset {
  const chains = new Set<string>();
  const lines = new Set<string>();
  const order = new Map<string, string[]>();
  let table = "";
  for (const line of text.split("\n")) {
    if (line.startsWith("*")) table = line.slice(1).trim();
    else if (line.startsWith(":")) chains.add(`${table}/${line.slice(1).split(" ")[0]}`);
    else if (line.startsWith("-A ")) {
      lines.add(`${table}/${line.trimEnd()}`);
      const key = `${table}/${line.split(" ")[1]}`;
      order.set(key, [...(order.get(key) ?? []), line.trimEnd()]);
    }
  }
  return { chains, lines, order };
}

export const hasRule = (rs: Ruleset, r: Rule) => rs.lines.has(`${r.table}/${saveLine(r)}`);
const hasChain = (rs: Ruleset, c: Chain) => rs.chains.has(`${c.table}/${c.name}`);

/**
 * Render restore input, table by table, skipping tables with nothing to do. Args are
 * written unquoted: every one is validated at synth to hold no space or quote.
 */
function restoreText(byTable: Map<Table, string[]>): string {
  let out = "";
  for (const [table, lines] of byTable) if (lines.length) out += `*${table}\n${lines.join("\n")}\nCOMMIT\n`;
  return out;
}

function push(m: Map<Table, string[]>, t: Table, line: string) {
  m.set(t, [...(m.get(t) ?? []), line]);
}

function restoreStep(t: Target, what: string, text: string, undo?: Step): Step {
  return { what, argv: onHost(t, ["iptables-restore", "-w", "--noflush"]), input: text, undo };
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
): Step | null {
  const add = new Map<Table, string[]>();
  const del = new Map<Table, string[]>();
  const newChains = chains.filter((c) => !hasChain(now, c));
  for (const c of newChains) push(add, c.table, `:${c.name} - [0:0]`);
  // the chain as it will be after each insert of this step, to place `insertAfter` rules
  const chainNow = (r: Rule) => [...(now.order.get(`${r.table}/${r.chain}`) ?? [])];
  const after = new Map<string, string[]>();
  for (const r of rules.filter((r) => !hasRule(now, r))) {
    const key = `${r.table}/${r.chain}`;
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
        .filter((x) => x.table === r.table && x.chain === r.chain && !x.insert && !x.insertAfter);
      const next = lines.findIndex((l) => later.some((x) => saveLine(x) === l));
      if (next >= 0) at = next + 1;
    }
    push(add, r.table, at === null ? `-A ${r.chain} ${r.args.join(" ")}` : `-I ${r.chain} ${at} ${r.args.join(" ")}`);
    lines.splice(at === null ? lines.length : at - 1, 0, saveLine(r));
    after.set(key, lines);
    push(del, r.table, `-D ${r.chain} ${r.args.join(" ")}`);
  }
  for (const c of newChains) push(del, c.table, `-X ${c.name}`);
  if (![...add.values()].some((l) => l.length)) return null;
  return restoreStep(t, what, restoreText(add), restoreStep(t, `remove ${what}`, restoreText(del)));
}

/** Delete the rules that exist, then flush and delete our chains. Missing pieces are fine. */
export function removeStep(
  t: Target,
  what: string,
  now: Ruleset,
  chains: readonly Chain[],
  rules: readonly Rule[],
): Step | null {
  const del = new Map<Table, string[]>();
  for (const r of rules.filter((r) => hasRule(now, r))) push(del, r.table, `-D ${r.chain} ${r.args.join(" ")}`);
  for (const c of chains.filter((c) => hasChain(now, c))) {
    push(del, c.table, `-F ${c.name}`);
    push(del, c.table, `-X ${c.name}`);
  }
  if (![...del.values()].some((l) => l.length)) return null;
  return restoreStep(t, what, restoreText(del));
}
