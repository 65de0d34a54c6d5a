// What the CLI says of its verbs, generated from their description (model/verbs.ts):
// `nslab help` (a line per verb), `nslab help <verb>` and `nslab <verb> --help` (that
// verb alone), and the shells' completion of verbs, flags and stack names.
import { flagLines, positionalsOf, usageOf } from "../model/argv";
import { CLI_VERBS, type CliVerb } from "../model/verbs";

export const isCliVerb = (v: string | undefined): v is CliVerb => v !== undefined && Object.hasOwn(CLI_VERBS, v);

/** A verb's call, as `nslab` takes it. */
export const usage = (verb: CliVerb) => `usage: ${usageOf("nslab", verb, CLI_VERBS[verb])}`;

/** Every verb, a line each. */
export function help(): string {
  const calls = Object.entries(CLI_VERBS).map(([verb, spec]) => {
    const rest = "rest" in spec && "required" in spec.rest ? [`-- <${spec.rest.name}>...`] : [];
    return [[verb, ...positionalsOf(spec), ...rest].join(" "), spec.line] as const;
  });
  const width = Math.max(...calls.map(([c]) => c.length));
  return [
    "usage: nslab <verb> ...   (`nslab help <verb>` or `nslab <verb> --help`: that verb's options)",
    ...calls.map(([call, line]) => `  nslab ${call.padEnd(width)}  ${line}`),
    "",
  ].join("\n");
}

/** One verb: its call, what it does, its flags and notes. */
export function verbHelp(verb: CliVerb): string {
  const spec = CLI_VERBS[verb];
  const flags = flagLines(spec);
  return [
    usage(verb),
    "",
    `  ${spec.line}`,
    ...("notes" in spec ? spec.notes.map((n) => `  ${n}`) : []),
    ...(flags.length ? ["", "options:", ...flags] : []),
    "",
  ].join("\n");
}

/**
 * bash's completion (zsh reads it through bashcompinit): the verbs, each verb's flags and
 * choices, and stack names where a stack goes: those synthesized in the project
 * (cdktf.out/stacks) and those deployed on this machine (their records), read by the
 * shell itself, so a tab costs no node.
 */
export function completion(shell: "bash" | "zsh"): string {
  const verbs = Object.keys(CLI_VERBS).join(" ");
  const cases = Object.entries(CLI_VERBS).map(([verb, spec]) => {
    const flags = Object.keys(spec.flags).map((f) => `--${f}`);
    const at = spec.positionals.findIndex((p) => "complete" in p && p.complete === "stack");
    const choices = spec.positionals.flatMap((p, i) =>
      "choices" in p ? [`${i + 2}) w="$w ${p.choices.join(" ")}";;`] : [],
    );
    return [
      `    ${verb})`,
      `      w="${flags.join(" ")}"`,
      `      case $cword in`,
      ...(at >= 0 ? [`        ${at + 2}) w="$w $(_nslab_stacks)";;`] : []),
      ...choices.map((c) => `        ${c}`),
      `      esac;;`,
    ].join("\n");
  });
  return [
    ...(shell === "zsh" ? ["autoload -U +X bashcompinit && bashcompinit"] : []),
    "_nslab_stacks() {",
    '  local d r="${NSLAB_RECORD_DIR:-/var/lib/nslab/labs}"',
    '  for d in cdktf.out/stacks/*/ "$r"/*/*/; do [ -d "$d" ] && basename "$d"; done 2>/dev/null | sort -u',
    "}",
    "_nslab() {",
    "  local cur=${COMP_WORDS[COMP_CWORD]} cword=$COMP_CWORD verb=${COMP_WORDS[1]} w",
    '  if [ "$cword" -eq 1 ]; then COMPREPLY=($(compgen -W "' + verbs + '" -- "$cur")); return; fi',
    "  case $verb in",
    ...cases,
    "  esac",
    '  COMPREPLY=($(compgen -W "$w" -- "$cur"))',
    "}",
    "complete -F _nslab nslab",
    "",
  ].join("\n");
}
