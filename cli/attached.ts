// The CLI side of `nslab exec`, `shell` and `capture`: the stack's runner, attached to this
// terminal or these pipes (netops/enter.ts and netops/capture.ts do the work, on whichever
// machine the target is).
import { execa } from "execa";
import { closeSync, openSync, rmSync, statSync } from "node:fs";
import { constants } from "node:os";
import { CliError } from "./manifest";
import { runnerArgv, type DeployedLab } from "./deployed";

export const ATTACHED_VERBS = ["exec", "shell", "capture"] as const;
export type AttachedVerb = (typeof ATTACHED_VERBS)[number];

export const ATTACHED_USAGE =
  "       nslab exec <stack> <target> -- <command>...      in an endpoint's or sandbox's namespace (or host)\n" +
  "       nslab shell <stack> <target>\n" +
  "       nslab capture <stack> <target> [--write FILE] [--count N] [--seconds S] [-- <tcpdump filter>...]\n";

export interface AttachedArgs {
  readonly verb: AttachedVerb;
  readonly stack: string;
  readonly target: string;
  readonly out: string;
  /** capture: the pcap file (absent: stdout). */
  readonly write?: string;
  /** What the runner is given before `--`. */
  readonly flags: readonly string[];
  /** After `--`: exec's command, capture's filter. */
  readonly rest: readonly string[];
}

export function parseAttached(verb: AttachedVerb, argv: readonly string[], usage: string): AttachedArgs {
  const dash = argv.indexOf("--");
  const [stack, target, ...opts] = dash < 0 ? argv : argv.slice(0, dash);
  const rest = dash < 0 ? [] : argv.slice(dash + 1);
  if (!stack || stack.startsWith("-")) throw new CliError(`${verb}: which stack?`, usage);
  if (!target || target.startsWith("-"))
    throw new CliError(`${verb}: which ${verb === "capture" ? "interface" : "namespace"}?`, usage);
  if (verb === "exec" && rest.length === 0) throw new CliError("exec: give the command after --", usage);
  if (verb === "shell" && dash >= 0) throw new CliError("shell takes no command: use exec", usage);
  let out = "cdktf.out";
  let write: string | undefined;
  const flags: string[] = [];
  for (let i = 0; i < opts.length; i++) {
    const [o, v] = [opts[i], opts[i + 1]];
    if (o === "--out" && v) out = opts[++i];
    else if (verb === "capture" && o === "--write" && v) write = opts[++i];
    else if (verb === "capture" && (o === "--count" || o === "--seconds") && v && Number(v) > 0)
      flags.push(o, opts[++i]);
    else throw new CliError(`unknown argument ${o}`, usage);
  }
  return { verb, stack, target, out, ...(write ? { write } : {}), flags, rest };
}

export async function runAttached(s: DeployedLab, a: AttachedArgs): Promise<number> {
  const capture = a.verb === "capture";
  const file = a.write ? openSync(a.write, "w") : undefined;
  const flags = [...a.flags];
  // a terminal gets lines as tcpdump prints them; a file or a pipe, the pcap
  if (capture && file === undefined && process.stdout.isTTY) flags.push("--text");
  // a terminal on the other machine too, for a shell or an interactive command on a Host
  if (!capture && process.stdin.isTTY && process.stdout.isTTY) flags.push("--tty");
  const argv = runnerArgv(s, capture ? "capture" : "exec", [a.target, ...flags, "--", ...a.rest]);
  const stdio = capture ? ["ignore", file ?? "inherit", "inherit"] : ["inherit", "inherit", "inherit"];
  // capture: the runner in a group of its own, stopped by us once (a Ctrl-C would reach it
  // twice); exec: the command gets the terminal's Ctrl-C itself, and we wait for it
  const child = execa("node", argv, {
    cwd: s.dir,
    stdio: stdio as unknown as ["pipe", "pipe", "pipe"],
    detached: capture,
    reject: false,
    buffer: false,
  });
  const onInt = () => capture && child.kill("SIGINT");
  const onTerm = () => child.kill(capture ? "SIGINT" : "SIGTERM");
  process.on("SIGINT", onInt);
  process.on("SIGTERM", onTerm);
  let code: number | undefined;
  try {
    const r = await child;
    code = r.exitCode;
    if (r.exitCode !== undefined) return r.exitCode;
    if (r.signal) return 128 + (constants.signals[r.signal] ?? 0);
    throw new CliError(`the runner of stack ${a.stack} did not run: ${r.shortMessage}`, undefined, { exitCode: 1 });
  } finally {
    process.off("SIGINT", onInt);
    process.off("SIGTERM", onTerm);
    if (file !== undefined) {
      closeSync(file);
      // a capture that never started (a wrong target, no tcpdump) leaves no empty file behind
      if (code !== 0 && statSync(a.write!).size === 0) rmSync(a.write!, { force: true });
    }
  }
}
