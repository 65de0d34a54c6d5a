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
}

export function parseSave(text: string): Ruleset {
  const chains = new Set<string>();
  const lines = new Set<string>();
  let table = "";
  for (const line of text.split("\n")) {
    if (line.startsWith("*")) table = line.slice(1).trim();
    else if (line.startsWith(":")) chains.add(`${table}/${line.slice(1).split(" ")[0]}`);
    else if (line.startsWith("-A ")) lines.add(`${table}/${line.trimEnd()}`);
  }
  return { chains, lines };
}

export const hasRule = (rs: Ruleset, r: Rule) => rs.lines.has(`${r.table}/${saveLine(r)}`);
export const hasChain = (rs: Ruleset, c: Chain) => rs.chains.has(`${c.table}/${c.name}`);

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
export function ensureStep(t: Target, what: string, now: Ruleset, chains: readonly Chain[], rules: readonly Rule[]): Step | null {
  const add = new Map<Table, string[]>();
  const del = new Map<Table, string[]>();
  const newChains = chains.filter((c) => !hasChain(now, c));
  for (const c of newChains) push(add, c.table, `:${c.name} - [0:0]`);
  for (const r of rules.filter((r) => !hasRule(now, r))) {
    push(add, r.table, r.insert ? `-I ${r.chain} 1 ${r.args.join(" ")}` : `-A ${r.chain} ${r.args.join(" ")}`);
    push(del, r.table, `-D ${r.chain} ${r.args.join(" ")}`);
  }
  for (const c of newChains) push(del, c.table, `-X ${c.name}`);
  if (![...add.values()].some((l) => l.length)) return null;
  return restoreStep(t, what, restoreText(add), restoreStep(t, `remove ${what}`, restoreText(del)));
}

/** Delete the rules that exist, then flush and delete our chains. Missing pieces are fine. */
export function removeStep(t: Target, what: string, now: Ruleset, chains: readonly Chain[], rules: readonly Rule[]): Step | null {
  const del = new Map<Table, string[]>();
  for (const r of rules.filter((r) => hasRule(now, r))) push(del, r.table, `-D ${r.chain} ${r.args.join(" ")}`);
  for (const c of chains.filter((c) => hasChain(now, c))) {
    push(del, c.table, `-F ${c.name}`);
    push(del, c.table, `-X ${c.name}`);
  }
  if (![...del.values()].some((l) => l.length)) return null;
  return restoreStep(t, what, restoreText(del));
}
