// The nslab CLI: deploy, destroy and diff what the code says (its synth); every other verb
// acts on what is deployed: the lab's record on this machine, written by the deploy that
// built it, with the runner that built it (deployed.ts), whatever cdktf.out says now.
// The verbs are described in model/verbs.ts (`nslab help` lists them), each one's work is
// cli/verbs/; this file parses a call and says what went wrong.
import { ArgvError, parseVerb } from "../model/argv";
import { CLI_VERBS, type CliVerb } from "../model/verbs";
import { help, isCliVerb, usage, verbHelp } from "./help";
import { CliError } from "./manifest";
import { HANDLERS } from "./verbs";
import type { ArgsFor } from "./verbs/types";

/** `nslab --help` and `--version` as the verbs help and version. */
const ALIASES: Readonly<Record<string, CliVerb>> = {
  "--help": "help",
  "-h": "help",
  "--version": "version",
  "-V": "version",
};

async function main(argv: readonly string[]): Promise<number> {
  const [given, ...rest] = argv;
  const verb = ALIASES[given ?? ""] ?? given;
  if (!isCliVerb(verb)) throw new CliError(given === undefined ? "which verb?" : `no verb ${given}`, help());
  // `--help` (before any `--`): this verb's usage alone
  const asked = rest.slice(0, rest.includes("--") ? rest.indexOf("--") : undefined);
  if (asked.includes("--help") || asked.includes("-h")) return (process.stdout.write(verbHelp(verb)), 0);
  let args: ArgsFor<typeof verb>;
  try {
    args = parseVerb(CLI_VERBS[verb], rest);
  } catch (err) {
    if (!(err instanceof ArgvError)) throw err;
    throw new CliError(`${verb}: ${err.message}`, err.fix ?? usage(verb));
  }
  return (HANDLERS[verb] as (a: typeof args) => Promise<number>)(args);
}

/** The message, its hint, then each cause in turn: what failed underneath stays visible. */
function explain(err: unknown): string {
  const lines: string[] = [];
  for (let e: unknown = err, first = true; e !== undefined; first = false) {
    const m = e instanceof Error ? e.message : String(e);
    lines.push(first ? `nslab: ${m}` : `  cause: ${m}`);
    if (first && e instanceof CliError && e.hint) lines.push(`  ${e.hint.trimEnd().replace(/\n/g, "\n  ")}`);
    e = e instanceof Error ? e.cause : undefined;
  }
  return lines.join("\n") + "\n";
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    // an empty message: what failed has said so itself (the app's synth error)
    if (!(err instanceof CliError && err.message === "")) process.stderr.write(explain(err));
    process.exit(err instanceof CliError ? err.exitCode : 1);
  },
);
