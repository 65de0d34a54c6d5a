// Drive the bundled runner directly, as Terraform's provisioners do.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runnerBundle } from "../../synth/runner-bundle";
import type { Spec } from "../../model/schema";
import { cmd, type Out } from "./cmd";

export function runner(stateDir = mkdtempSync(join(tmpdir(), "nslab-ledger-"))) {
  const bundle = runnerBundle();
  const call = (verb: "apply" | "destroy" | "verify", specs: Spec[], env: Record<string, string> = {}): Out =>
    cmd(["node", bundle, verb, ...specs.map((s) => JSON.stringify(s))], {
      env: { ...process.env, NSLAB_STATE_DIR: stateDir, ...env },
    });
  return { stateDir, call };
}
