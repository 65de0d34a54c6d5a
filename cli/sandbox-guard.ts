// Where a stack is deployed. Its sandbox host (NSLAB_HOST_NETNS at synth, LabStack's
// hostNetns) is in every object's trigger, so a deploy synthesized with another one, or
// with none (the real host), would replace every object: tear the lab down where it is
// and build it again in the other place, the real host's namespace among them. That is
// never what a forgotten variable meant: `nslab deploy` and `nslab diff` refuse it, with
// the fix, before Terraform runs and before the synth replaces cdktf.out. Where it is
// deployed is the lab's own record (model/record.ts), written by whatever deployed it
// (`cdktf deploy` and plain `terraform apply` too) and removed by its destroy.
import type { StackManifest } from "../model/manifest";
import { placeWords, recordsOf, fromProject } from "./deployed";
import { CliError } from "./manifest";

/** Refuse a deploy (or diff) of this project's `stack` into another place than where it is deployed. */
export function checkSandbox(stack: string, manifest: StackManifest, out: string, verb = "deploy"): void {
  const now = manifest.host;
  const there = recordsOf(stack).find((r) => fromProject(r, out) && r.host !== now);
  if (!there) return;
  throw new CliError(
    `${stack} is deployed on ${placeWords(there.host)}, and this synth puts it on ${placeWords(now)}: ` +
      `the ${verb} would rebuild every object there`,
    `${there.host ? `set NSLAB_HOST_NETNS=${there.host}` : "unset NSLAB_HOST_NETNS"} (or the stack's hostNetns) to ${verb} it where it is, ` +
      `or \`nslab destroy ${stack}\` first (a destroy finds the lab where Terraform's state says)`,
    // diff's 2 says "changes": its refusal is an error like any plan that did not finish
    { exitCode: verb === "diff" ? 1 : 2 },
  );
}
