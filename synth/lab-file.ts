// What synth writes next to a stack's cdk.tf.json, in its nslab/ folder: the lab file
// (every object spec of the stack, its expectations and scenarios, its Hosts, and each object's
// construct path: what the runner converges to, checks and names things by) and the
// manifest the CLI reads (model/manifest.ts). One lab file at a time: older ones would
// only mislead a reader.
import { addCustomSynthesis, type ISynthesisSession, type TerraformStack } from "./engine";
import { createHash } from "node:crypto";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { FORMER_SYNTH_DIR } from "../model/former-name";
import { STACK_MANIFEST, SYNTH_DIR, type StackManifest } from "../model/manifest";
import type { ScenarioSpec } from "../model/scenario-spec";
import { SPEC_VERSION, type ExpectSpec, type ObjectSpec, type RemoteSpec } from "../model/schema";

export interface LabContent {
  readonly stack: string;
  /** The sandbox host namespace, absent for the real host. */
  readonly host?: string;
  readonly specs: readonly ObjectSpec[];
  readonly expect: readonly ExpectSpec[];
  readonly scenarios?: readonly ScenarioSpec[];
  readonly hosts: readonly RemoteSpec[];
  /** Each object's construct path, by its key: how the runner names what made a rule (`nslab trace`). */
  readonly paths?: Readonly<Record<string, string>>;
}

/** The lab file's text, and its path in the synthesized stack (named after its content). */
export function labFile(lab: LabContent): { path: string; text: string } {
  const text =
    JSON.stringify(
      {
        v: SPEC_VERSION,
        stack: lab.stack,
        ...(lab.host ? { host: lab.host } : {}),
        kind: "lab",
        specs: lab.specs,
        ...(lab.expect.length ? { expect: lab.expect } : {}),
        ...(lab.scenarios?.length ? { scenarios: lab.scenarios } : {}),
        ...(lab.hosts.length ? { hosts: lab.hosts } : {}),
        ...(lab.paths && Object.keys(lab.paths).length ? { paths: lab.paths } : {}),
      },
      null,
      1,
    ) + "\n";
  return { path: `${SYNTH_DIR}/lab-${createHash("sha256").update(text).digest("hex").slice(0, 16)}.json`, text };
}

/** Write the lab file and the manifest when `stack` is synthesized. */
export function writeAtSynth(
  stack: TerraformStack,
  files: () => { lab: { path: string; text: string }; manifest: StackManifest },
): void {
  addCustomSynthesis(stack, {
    onSynthesize: (session: ISynthesisSession) => {
      const dir = dirname(join(session.manifest.outdir, session.manifest.forStack(stack).synthesizedStackPath));
      const { lab, manifest } = files();
      for (const d of [SYNTH_DIR, FORMER_SYNTH_DIR]) rmSync(join(dir, d), { recursive: true, force: true });
      mkdirSync(join(dir, SYNTH_DIR), { recursive: true });
      writeFileSync(join(dir, lab.path), lab.text);
      writeFileSync(join(dir, STACK_MANIFEST), JSON.stringify(manifest, null, 1) + "\n");
    },
  });
}
