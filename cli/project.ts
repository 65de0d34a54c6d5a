// A cdktf project as `nslab deploy` sees it: its cdktf.json (the app command and the
// output folder), its synthesized stacks (the output's manifest.json). Synthesis runs the
// same app with the same environment variable the cdktf CLI sets, so both tools write
// the same cdktf.out and share one state file.
import { execa } from "execa";
import { cpSync, existsSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { startTime } from "../netops/proc";
import { SYNTH_BY_ENV, SYNTH_SAID_EXIT } from "../model/manifest";
import { CliError } from "./manifest";

export interface Project {
  readonly dir: string;
  /** cdktf.json's `app`, as an argv. */
  readonly app: readonly string[];
  /** The synthesized output (cdktf.json's `output`, default cdktf.out), absolute. */
  readonly out: string;
}

/**
 * cdktf.json's `app` as an argv: words, with single or double quotes around a word that
 * holds spaces. It runs without a shell (no spec or user string ever meets one here), so
 * a pipeline or `&&` is refused with the fix: put it in a script and name that.
 */
export function appArgv(app: string): string[] {
  if (/[|&;<>`$(){}]/.test(app.replace(/'[^']*'|"[^"]*"/g, "")))
    throw new CliError(
      `cdktf.json's app ${JSON.stringify(app)} is a shell command line; nslab runs it without a shell`,
      'put those commands in a script and name it as the app, e.g. "app": "node synth.js"',
    );
  const words = [...app.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]);
  if (!words.length)
    throw new CliError("cdktf.json's app is empty", 'give the command that synthesizes, e.g. "npx ts-node main.ts"');
  return words;
}

export function readProject(dir = process.cwd()): Project {
  let config: { app?: unknown; output?: unknown };
  try {
    config = JSON.parse(readFileSync(join(dir, "cdktf.json"), "utf8")) as typeof config;
  } catch (err) {
    throw new CliError(`no cdktf project in ${dir}: cannot read cdktf.json`, "run nslab in the project's folder", {
      cause: err,
    });
  }
  if (typeof config.app !== "string") throw new CliError(`${join(dir, "cdktf.json")} has no "app"`);
  const out = typeof config.output === "string" ? config.output : "cdktf.out";
  return { dir, app: appArgv(config.app), out: resolve(dir, out) };
}

/**
 * Run the app: it writes every stack to the output folder. Its own output goes to our
 * stderr (stdout is for `--json`); a failure is the app's, with its exit code.
 */
export async function synthesize(p: Project): Promise<void> {
  const r = await execa(p.app[0], p.app.slice(1), {
    cwd: p.dir,
    env: { CDKTF_OUTDIR: p.out, [SYNTH_BY_ENV]: "nslab" },
    stdin: "ignore",
    stdout: ["pipe", 2],
    stderr: "inherit",
    reject: false,
  });
  // a mistake in the constructs: the app printed its message (path, prop, fix), nothing to add
  if (r.exitCode === SYNTH_SAID_EXIT) throw new CliError("", undefined, { exitCode: 1 });
  if (r.exitCode !== 0)
    throw new CliError(
      `synthesis failed: ${p.app.join(" ")} ${r.exitCode === undefined ? "did not run" : `exited ${r.exitCode}`}`,
      undefined,
      {
        cause: r.exitCode === undefined ? r : undefined,
        exitCode: 1,
      },
    );
}

/** The stacks the app wrote, by name, with their folders. */
export function stacksOf(p: Project): Map<string, string> {
  let manifest: { stacks?: Record<string, { workingDirectory?: string }> };
  try {
    manifest = JSON.parse(readFileSync(join(p.out, "manifest.json"), "utf8")) as typeof manifest;
  } catch (err) {
    throw new CliError(`the app wrote no ${join(p.out, "manifest.json")}`, "does main.ts call app.synth()?", {
      cause: err,
      exitCode: 1,
    });
  }
  return new Map(
    Object.entries(manifest.stacks ?? {}).map(([name, s]) => [
      name,
      join(p.out, s.workingDirectory ?? join("stacks", name)),
    ]),
  );
}

/** The stacks named (each must exist); none named: the only one. */
export function pickStacks(all: Map<string, string>, named: readonly string[]): string[] {
  const list = [...all.keys()].join(", ") || "none";
  for (const n of named) if (!all.has(n)) throw new CliError(`no stack ${n} in this app`, `its stacks: ${list}`);
  if (named.length) return [...named];
  if (all.size === 1) return [...all.keys()];
  throw new CliError("which stack?", `name one or more of: ${list}`);
}

/**
 * The project synthesized into a folder beside its output (same filesystem, so it can be
 * renamed in), leaving cdktf.out as it was: a `diff` or a refused deploy must not change
 * what a `cdktf deploy` or `terraform apply` right after would do. `swapIn` makes it the
 * output; `discard` removes it.
 */
export async function synthesizeAside(p: Project): Promise<Project> {
  const prefix = `.${basename(p.out)}.next-`;
  // what a run killed before it could clean up left (its pid is in the name)
  for (const f of readdirSync(dirname(p.out)))
    if (f.startsWith(prefix) && startTime(Number.parseInt(f.slice(prefix.length), 10) || 0) === null)
      rmSync(join(dirname(p.out), f), { recursive: true, force: true });
  const aside = { ...p, out: join(dirname(p.out), `${prefix}${process.pid}`) };
  try {
    await synthesize(aside);
  } catch (err) {
    discard(aside);
    throw err;
  }
  return aside;
}

export const discard = (aside: Project) => rmSync(aside.out, { recursive: true, force: true });

/** Terraform's own files in a stack's folder (init's work), which a synth does not write. */
const TERRAFORM_FILES = [".terraform", ".terraform.lock.hcl"];

/**
 * Give the synth aside each stack's Terraform files from the output (copied for a plan, so
 * the output keeps its own; moved when the synth aside replaces it).
 */
export function carryTerraform(from: string, to: string, how: "copy" | "move"): void {
  for (const f of TERRAFORM_FILES) {
    if (!existsSync(join(from, f)) || existsSync(join(to, f))) continue;
    if (how === "copy") cpSync(join(from, f), join(to, f), { recursive: true, verbatimSymlinks: true });
    else renameSync(join(from, f), join(to, f));
  }
}

/** The synth aside becomes the project's output, each stack keeping its Terraform files. */
export function swapIn(aside: Project, p: Project): void {
  const old = `${aside.out}.old`;
  if (existsSync(p.out)) {
    const stacks = join(p.out, "stacks");
    for (const name of existsSync(stacks) ? readdirSync(stacks) : [])
      if (existsSync(join(aside.out, "stacks", name)))
        carryTerraform(join(stacks, name), join(aside.out, "stacks", name), "move");
    renameSync(p.out, old);
  }
  renameSync(aside.out, p.out);
  rmSync(old, { recursive: true, force: true });
}
