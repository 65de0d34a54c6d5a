// How a synth error reaches the user: the message (construct path, prop, problem, fix)
// and the line of their own file that made the construct, not node's dump of an uncaught
// error (the library's source line with a caret, a dozen frames of its internals) nor
// cdktf's advice to skip validation. Under `nslab deploy|diff` (NSLAB_SYNTH_BY=nslab), the
// message alone, and a distinctive exit code that tells the CLI it was said.
//
// It watches uncaught errors (`uncaughtExceptionMonitor`, which runs before node's own
// report) and acts only where node would otherwise crash the process with one of ours:
// when nobody else handles uncaught errors (no `uncaughtException` listener: a plain
// `npx tsx main.ts`, not jest). Every other error goes on as node reports it.
import { join, sep } from "node:path";
import { SYNTH_BY_ENV, SYNTH_SAID_EXIT } from "../model/manifest";
import { packageRoot } from "../synth/runner-bundle";

/** cdktf's own report of the validations that failed at app.synth(). */
const CDKTF_FAILED = "Validation failed with the following errors:";

const INSTALLED = Symbol.for("nslab.synthErrorPrinter");

/** Install the printer once per process (LabStack does, before any construct of ours can fail). */
export function installErrorPrinter(): void {
  const p = process as unknown as Record<symbol, boolean>;
  if (p[INSTALLED]) return;
  p[INSTALLED] = true;
  process.on("uncaughtExceptionMonitor", (err) => {
    if (process.listenerCount("uncaughtException") > 0) return; // someone handles it: theirs to say
    const text = describe(err, process.env[SYNTH_BY_ENV] === "nslab");
    if (text === null) return;
    process.stderr.write(text);
    process.exit(SYNTH_SAID_EXIT);
  });
}

/** Our error as the user should see it, or null for an error that is not ours. */
export function describe(err: unknown, bare: boolean): string | null {
  if (!(err instanceof Error)) return null;
  if (err.name === "NslabValidationError") {
    const at = bare ? undefined : userFrame(err.stack ?? "");
    return `${err.message}\n${at ? `    at ${at}\n` : ""}`;
  }
  if (err.message.startsWith(CDKTF_FAILED)) {
    // "  [<path>] <message>" lines, then cdktf's advice to skip validation: the lines only
    const lines = err.message
      .split("\n")
      .map((l) => /^\s*\[([^\]]+)\] (.*)$/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => `${m[1]}: ${m[2]}\n`);
    return lines.length ? lines.join("") : null;
  }
  return null;
}

/** The first frame of a stack outside this library (its sources, its compiled or bundled form) and node's own. */
export function userFrame(stack: string, root = packageRoot()): string | undefined {
  const library = ["constructs", "model", "synth", "lib", "dist"].map((d) => join(root, d) + sep);
  for (const line of stack.split("\n").slice(1)) {
    const m = /^\s*at (?:.*? \()?(.+?):(\d+):(\d+)\)?$/.exec(line);
    if (!m) continue;
    const file = m[1];
    if (file.startsWith("node:") || !file.startsWith(sep) || file.includes(`${sep}node_modules${sep}`)) continue;
    if (library.some((d) => file.startsWith(d))) continue;
    return `${file}:${m[2]}:${m[3]}`;
  }
  return undefined;
}
