// netops: the runner Terraform's provisioners call, and the CLI on a deployed lab. One
// bundled file, no shell. Its verbs, and the forms each takes, are model/verbs.ts (run it
// with no arguments for the list); what each does is the table in verbs.ts.
// A line is the object's key then its spec as JSON (model/line.ts); a bare JSON spec works too.
// A provisioner gives its line in NSLAB_LINE and only the key as the argument, so that no
// spec shows in Terraform's output (model/line.ts withEnvLine). A verb forwarded from the
// runner on another machine (remote.ts) comes as `--b64`: its lines in base64, a message
// first for the verbs that take one (model/messages.ts).
import { ArgvError, flagLines, usageOf } from "../model/argv";
import { withEnvLine } from "../model/line";
import { RUNNER_VERBS, type Form, type RunnerVerb } from "../model/verbs";
import { underTerraform } from "./engine";
import { decodeLines } from "./remote";
import { VERBS } from "./verbs";

/** Every verb, its call and its line: none hidden. */
function usage(): string {
  return [
    "usage: node netops.cjs <verb> ...   (a lab object's verbs take its line; whole-lab verbs, the lab file)",
    ...Object.entries(RUNNER_VERBS).flatMap(([verb, spec]) => [
      `  ${usageOf("netops", verb, spec)}`,
      `      ${spec.line} [${spec.forms.join(", ")}]`,
      ...flagLines(spec).map((l) => `    ${l}`),
      ...("notes" in spec ? spec.notes.map((n) => `      ${n}`) : []),
    ]),
    "",
  ].join("\n");
}

const isVerb = (v: string | undefined): v is RunnerVerb => v !== undefined && Object.hasOwn(RUNNER_VERBS, v);

/** A lab file is a path; a line is a key then JSON, or bare JSON. */
const isLine = (arg: string) => arg.trimStart().startsWith("{") || arg.includes(" {");

function formOf(verb: RunnerVerb, forwarded: boolean, args: readonly string[]): Form {
  const forms: readonly Form[] = RUNNER_VERBS[verb].forms;
  if (forwarded) return "forwarded";
  if (forms.includes("args")) return "args";
  return forms.includes("lines") && args.some(isLine) ? "lines" : "lab";
}

async function main(argv: readonly string[]): Promise<number> {
  const [verb, ...given] = argv;
  if (!isVerb(verb) || given.length === 0) {
    process.stderr.write(verb && !isVerb(verb) ? `netops: no verb ${verb}\n${usage()}` : usage());
    return 2;
  }
  const spec = RUNNER_VERBS[verb];
  // the verbs Terraform's provisioners run (a Host's part of them, forwarded, too): bounded output
  if ("underTerraform" in spec) underTerraform();
  const forwarded = given[0] === "--b64";
  // a provisioner's line comes in the environment, its key on the command line (model/line.ts)
  const args = forwarded ? decodeLines(given.slice(1)) : withEnvLine(given);
  const form = formOf(verb, forwarded, args);
  const run = (VERBS[verb] as Partial<Record<Form, (args: string[]) => Promise<number>>>)[form];
  if (!run) throw new ArgvError(`takes no ${form} (it takes: ${spec.forms.join(", ")})`);
  return run(args);
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: Error) => {
      const cmd = process.argv[2];
      process.stderr.write(`netops ${cmd}: ${err.message}\n`);
      if (err instanceof ArgvError) {
        process.stderr.write(`usage: ${usageOf("netops", cmd, RUNNER_VERBS[cmd as RunnerVerb])}\n`);
        process.exit(2);
      }
      if (cmd === "destroy") {
        process.stderr.write(
          "netops: Terraform keeps this resource in its state. Fix the cause above, then run the same destroy " +
            "again (`cdktf destroy <stack>`): it removes only what is left. See docs/terraform.md, 'When a destroy fails'.\n",
        );
      }
      process.exit(1);
    },
  );
}
