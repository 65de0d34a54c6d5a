// Where a stack was deployed. Its sandbox host (NSLAB_HOST_NETNS at synth, LabStack's
// hostNetns) is in every object's trigger, so a deploy synthesized with another one, or
// with none (the real host), would replace every object: tear the lab down where it is
// and build it again in the other place, the real host's namespace among them. That is
// never what a forgotten variable meant: `nslab deploy` refuses it, with the fix. The
// record sits with Terraform's own files in the stack's folder (`.terraform/`).
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { StackManifest } from "../model/manifest";
import { CliError } from "./manifest";

const RECORD = join(".terraform", "nslab-sandbox");

const where = (host: string) => (host ? `sandbox host "${host}"` : "the real host");

/** Refuse a deploy into another place than the stack's last one; nothing runs before. */
export function checkSandbox(dir: string, stack: string, manifest: StackManifest): void {
  const file = join(dir, RECORD);
  if (!existsSync(file)) return;
  const was = readFileSync(file, "utf8");
  const now = manifest.host ?? "";
  if (was === now || emptyState(dir)) return;
  throw new CliError(
    `${stack} is deployed on ${where(was)}, and this synth puts it on ${where(now)}: ` +
      "the deploy would rebuild every object there",
    `${was ? `set NSLAB_HOST_NETNS=${was}` : "unset NSLAB_HOST_NETNS"} (or the stack's hostNetns) to deploy it where it is, ` +
      `or \`nslab destroy ${stack}\` first (a destroy finds the lab where Terraform's state says)`,
  );
}

/**
 * A local state that holds no resource (a `cdktf destroy` since): the lab is nowhere. Any
 * other backend is not read here: the record stands.
 */
function emptyState(dir: string): boolean {
  try {
    const tf = JSON.parse(readFileSync(join(dir, "cdk.tf.json"), "utf8")) as {
      terraform?: { backend?: { local?: { path?: string } } };
    };
    const local = tf.terraform?.backend?.local?.path;
    if (!local) return false;
    const path = resolve(dir, local); // relative: to the folder Terraform runs in
    if (!existsSync(path)) return true;
    return !((JSON.parse(readFileSync(path, "utf8")) as { resources?: unknown[] }).resources ?? []).length;
  } catch {
    return false;
  }
}

/** Before an apply: from now on the stack has objects there. */
export function recordSandbox(dir: string, manifest: StackManifest): void {
  mkdirSync(join(dir, ".terraform"), { recursive: true });
  writeFileSync(join(dir, RECORD), manifest.host ?? "");
}

/** After a destroy that finished: the stack is nowhere. */
export function forgetSandbox(dir: string): void {
  rmSync(join(dir, RECORD), { force: true });
}
