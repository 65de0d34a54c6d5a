// Terraform, run directly on a synthesized stack's folder (cdk.tf.json), the way the cdktf
// CLI runs it but without its cost: `init` only when what init reads changed, then one
// `apply`, `apply -destroy` or `plan` with -json, whose messages (Terraform's
// machine-readable UI, format 1.x) come back one by one. Ctrl-C is passed on the way
// Terraform expects it from a terminal: the first stops gracefully (what runs finishes,
// nothing new starts), the second stops at once.
import { execa } from "execa";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { constants } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { terraformBinary } from "../model/terraform-binary";
import { CliError } from "./manifest";

/**
 * One message of Terraform's -json stream, the parts nslab reads. OpenTofu writes the same
 * messages (its internal/command/views/json_view.go): `@module` tofu.ui, its version in
 * `tofu`, `<>&` unescaped, and a change summary that may count resources it forgets.
 */
export interface TfMessage {
  readonly type: string;
  /** The version message's: which of the two wrote the stream. */
  readonly terraform?: string;
  readonly tofu?: string;
  readonly "@level"?: string;
  readonly "@message"?: string;
  readonly hook?: {
    readonly resource?: { readonly addr: string };
    readonly action?: string;
    readonly output?: string;
  };
  readonly change?: { readonly resource: { readonly addr: string }; readonly action: string };
  readonly changes?: {
    readonly add: number;
    readonly change: number;
    readonly remove: number;
    readonly import?: number;
    /** OpenTofu's: resources removed from state, not destroyed. */
    readonly forget?: number;
    readonly operation: string;
  };
  readonly diagnostic?: {
    readonly severity: "error" | "warning";
    readonly summary: string;
    readonly detail?: string;
    readonly address?: string;
  };
}

/** When the binary did not start. */
const NOT_RUN_FIX =
  "Fix: put Terraform (>= 1.4) or OpenTofu (>= 1.6) on PATH, or name the binary in NSLAB_TERRAFORM (or TERRAFORM_BINARY_NAME)";

/** Terraform's environment: no network calls of its own, no advice meant for a person at a prompt. */
const ENV = { CHECKPOINT_DISABLE: "1", TF_IN_AUTOMATION: "1" };
/** Where the hash of what init last read is kept, inside Terraform's own folder. */
const INIT_MARK = join(".terraform", "nslab-init");

/**
 * `terraform init` when the stack's folder was never initialized, or when what init
 * reads changed since (the backend, the required providers, the modules): ~0.1-0.3 s
 * saved on every other deploy. Its output is shown only when it fails.
 */
export async function initIfNeeded(dir: string): Promise<boolean> {
  const tf = JSON.parse(readFileSync(join(dir, "cdk.tf.json"), "utf8")) as {
    terraform?: { backend?: unknown; required_providers?: unknown };
    module?: unknown;
  };
  const hash = createHash("sha256")
    .update(
      JSON.stringify([tf.terraform?.backend ?? null, tf.terraform?.required_providers ?? null, tf.module ?? null]),
    )
    .digest("hex");
  const mark = join(dir, INIT_MARK);
  if (existsSync(mark) && readFileSync(mark, "utf8") === hash) return false;
  const r = await execa(terraformBinary(), ["init", "-input=false", "-no-color"], {
    cwd: dir,
    env: ENV,
    stdin: "ignore",
    all: true,
    reject: false,
  });
  if (r.exitCode !== 0)
    throw new CliError(
      `${terraformBinary()} init failed in ${dir}${r.exitCode === undefined ? `: ${r.shortMessage}` : ""}`,
      r.exitCode === undefined ? NOT_RUN_FIX : typeof r.all === "string" ? r.all.trim() : undefined,
      { exitCode: 1 },
    );
  mkdirSync(join(dir, ".terraform"), { recursive: true });
  writeFileSync(mark, hash);
  return true;
}

/**
 * Run `terraform <args> -json` in `dir`, each message to `onMessage`; Terraform's exit
 * code. Terraform runs in its own process group, so a Ctrl-C at the terminal reaches
 * nslab only, which passes each on (`onInterrupt` hears of them: 1, then 2).
 */
export async function runTerraform(
  dir: string,
  args: readonly string[],
  onMessage: (m: TfMessage) => void,
  onInterrupt: (n: number) => void = () => {},
): Promise<number> {
  const child = execa(terraformBinary(), [...args, "-json", "-input=false", "-no-color"], {
    cwd: dir,
    env: ENV,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "inherit",
    detached: true,
    buffer: false,
    reject: false,
  });
  let interrupts = 0;
  const interrupt = () => {
    interrupts++;
    onInterrupt(interrupts);
    child.kill("SIGINT");
  };
  process.on("SIGINT", interrupt);
  process.on("SIGTERM", interrupt);
  try {
    for await (const line of createInterface({ input: child.stdout! })) {
      if (!line.startsWith("{")) continue;
      try {
        onMessage(JSON.parse(line) as TfMessage);
      } catch {
        // a line that is not a message (a provider's own print): not ours to read
      }
    }
    const r = await child;
    if (r.exitCode !== undefined) return r.exitCode;
    if (r.signal) return 128 + (constants.signals[r.signal] ?? 0);
    throw new CliError(`${terraformBinary()} did not run: ${r.shortMessage}`, NOT_RUN_FIX, { exitCode: 1 });
  } finally {
    process.off("SIGINT", interrupt);
    process.off("SIGTERM", interrupt);
  }
}

/** A saved plan as JSON (`terraform show -json`). */
export async function showPlan(dir: string, planFile: string): Promise<unknown> {
  const r = await execa(terraformBinary(), ["show", "-json", "-no-color", planFile], {
    cwd: dir,
    env: ENV,
    reject: false,
  });
  if (r.exitCode !== 0)
    throw new CliError(`${terraformBinary()} show of the plan failed in ${dir}: ${r.stderr.trim()}`, undefined, {
      exitCode: 1,
    });
  return JSON.parse(r.stdout);
}
