// A verb's arguments, parsed once from its description (model/verbs.ts) with node's own
// util.parseArgs, for the CLI and the runner alike: the values typed as the verb says
// (a number within its bounds, one of its choices), and the first thing wrong said in one
// line that names it. Its usage line comes from the same description.
import { parseArgs } from "node:util";
import type { Flag, Positional, VerbSpec } from "./verbs";

type FlagValue<F> = F extends { type: "boolean" } ? boolean : F extends { type: "number" } ? number : string;
type PositionalValue<P> = P extends { many: true }
  ? string[]
  : P extends { optional: true }
    ? string | undefined
    : string;

/** What `spec` parses to: its flags (absent when not given), positionals by name, and what follows `--`. */
export interface ArgsOf<S extends VerbSpec> {
  readonly flags: { readonly [K in keyof S["flags"]]?: FlagValue<S["flags"][K]> };
  readonly pos: { readonly [P in S["positionals"][number] as P["name"]]: PositionalValue<P> };
  readonly rest: readonly string[];
}

/** What is wrong with a call: one line, naming the argument. */
export class ArgvError extends Error {
  override readonly name = "ArgvError";
  /** What to do instead, when there is more to say than the verb's usage. */
  constructor(
    message: string,
    readonly fix?: string,
  ) {
    super(message);
  }
}

/** `argv` (the words after the verb) as `spec` says, or an ArgvError. */
export function parseVerb<S extends VerbSpec>(spec: S, argv: readonly string[]): ArgsOf<S> {
  const dash = argv.indexOf("--");
  const head = dash < 0 ? [...argv] : argv.slice(0, dash);
  const rest = dash < 0 ? [] : argv.slice(dash + 1);
  for (const a of head) {
    const refused = a.startsWith("--") ? spec.refuses?.[a.slice(2).split("=")[0]] : undefined;
    if (refused) throw new ArgvError(`${a.split("=")[0]} ${refused.problem}`, refused.fix);
  }
  if (dash >= 0 && !spec.rest) throw new ArgvError("takes nothing after --");
  const options = Object.fromEntries(
    Object.entries(spec.flags).map(([name, f]) => [name, { type: f.type === "boolean" ? "boolean" : "string" }]),
  ) as Record<string, { type: "boolean" | "string" }>;
  let parsed: { values: Record<string, string | boolean | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({ args: head, options, strict: true, allowPositionals: true }) as typeof parsed;
  } catch (err) {
    throw new ArgvError(parseArgsProblem(err as Error & { code?: string }, head, spec));
  }
  if (spec.rest?.required && rest.length === 0) throw new ArgvError(`give the ${spec.rest.name} after --`);
  const flags = Object.fromEntries(
    Object.entries(parsed.values).map(([name, v]) => [name, valueOf(name, spec.flags[name], v!)]),
  );
  return { flags, pos: positionals(spec.positionals, parsed.positionals), rest } as unknown as ArgsOf<S>;
}

/** util.parseArgs's complaint, said as ours: the option named as given. */
function parseArgsProblem(err: Error & { code?: string }, head: readonly string[], spec: VerbSpec): string {
  const named = /'(-{1,2}[^' ]+)/.exec(err.message)?.[1];
  if (err.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
    const given = head.find((a) => a === named || a.startsWith(`${named}=`)) ?? named;
    return `unknown option ${given}`;
  }
  if (err.code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" && named) {
    const f = spec.flags[named.replace(/^-+/, "")];
    return f?.type === "boolean" ? `${named} takes no value` : `${named} needs a value (${f?.value ?? "a value"})`;
  }
  return err.message;
}

function valueOf(name: string, flag: Flag | undefined, v: string | boolean): string | number | boolean {
  if (!flag || typeof v === "boolean") return v;
  if (flag.choices && !flag.choices.includes(v))
    throw new ArgvError(`--${name}: give one of ${flag.choices.join(", ")}, not ${JSON.stringify(v)}`);
  if (flag.type !== "number") return v;
  const n = v.trim() === "" ? NaN : Number(v);
  const { min = -Infinity, max = Infinity } = flag;
  if ((flag.int ? Number.isInteger(n) : Number.isFinite(n)) && n >= min && n <= max) return n;
  throw new ArgvError(`--${name} needs ${boundsOf(flag)}, not ${JSON.stringify(v)}`);
}

/** "a whole number from 1 to 65535", as a flag's limits say. */
export function boundsOf(flag: Flag): string {
  const what = flag.int ? "a whole number" : "a number";
  const { min, max } = flag;
  if (min !== undefined && max !== undefined) return `${what} from ${min} to ${max}`;
  if (min !== undefined) return `${what} of at least ${min}`;
  return max !== undefined ? `${what} of at most ${max}` : what;
}

function positionals(specs: readonly Positional[], given: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  let i = 0;
  for (const p of specs) {
    const taken = p.many ? given.slice(i) : given.slice(i, i + 1);
    i += taken.length;
    for (const v of taken)
      if (p.choices && !p.choices.includes(v))
        throw new ArgvError(`${p.name}: give ${p.choices.join(" or ")}, not ${JSON.stringify(v)}`);
    if (!taken.length && !p.optional && !p.many) throw new ArgvError(`which ${p.name}?`);
    out[p.name] = p.many ? taken : taken[0];
  }
  if (i < given.length) throw new ArgvError(`unexpected argument ${JSON.stringify(given[i])}`);
  return out;
}

/** `<stack> <target> up|down [reset]`: the verb's positionals, as usage writes them. */
export const positionalsOf = (spec: VerbSpec): string[] =>
  spec.positionals.map((p) => {
    const word = p.choices ? p.choices.join("|") : `<${p.name}>`;
    return p.many ? `[${word}...]` : p.optional ? `[${word}]` : word;
  });

/** `<program> <verb> <stack> [--json] [-- <command>...]`: the verb's call, as `spec` describes it. */
export function usageOf(program: string, verb: string, spec: VerbSpec): string {
  const pos = positionalsOf(spec);
  const flags = Object.entries(spec.flags).map(([n, f]) => `[--${n}${f.type === "boolean" ? "" : ` ${f.value}`}]`);
  const rest = spec.rest ? [spec.rest.required ? `-- <${spec.rest.name}>...` : `[-- <${spec.rest.name}>...]`] : [];
  return [program, verb, ...pos, ...flags, ...rest].join(" ");
}

/** Each flag, a line: `--loss PERCENT  packets dropped (a number from 0 to 100)`. */
export function flagLines(spec: VerbSpec): string[] {
  const rows = Object.entries(spec.flags).map(([n, f]) => {
    const limits = f.type === "number" ? ` (${boundsOf(f)})` : f.choices ? ` (${f.choices.join(", ")})` : "";
    return [`--${n}${f.type === "boolean" ? "" : ` ${f.value}`}`, `${f.describe}${limits}`] as const;
  });
  const width = Math.max(0, ...rows.map(([n]) => n.length));
  return rows.map(([n, d]) => `  ${n.padEnd(width)}  ${d}`);
}
