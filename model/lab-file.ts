// Reading a lab file (nslab/lab-<hash>.json, written at synth): the runner converges to
// it, the CLI draws it. Every spec in it is validated by the runner's own schema.
import { readFileSync } from "node:fs";
import { z } from "zod";
import { common, RemoteSpec } from "./fields";
import { parseSpec, type ObjectSpec } from "./schema";

/**
 * The lab file: every object spec a stack declares, written at synth next to the
 * stack's cdk.tf.json (nslab/lab-<hash>.json). The stack's apply resource converges the
 * machine to it in one runner call; its name changes with its content, so Terraform
 * replaces that resource (and runs it) exactly when the declared lab changes.
 */
export const LabFile = z
  .object({
    ...common,
    kind: z.literal("lab"),
    specs: z.array(z.unknown()),
    /** Declared expectations (ExpectSpec), checked by `nslab test`; absent in older lab files. */
    expect: z.array(z.unknown()).optional(),
    /** Declared scenarios (ScenarioSpec), run by `nslab run`; absent in older lab files. */
    scenarios: z.array(z.unknown()).optional(),
    /** The other machines (Host) the stack is on, with objects or not: the sweep reaches each. */
    hosts: z.array(RemoteSpec).optional(),
    /** Each object's construct path, by its key (`nslab trace` names what made a rule by it); absent in older lab files. */
    paths: z.record(z.string(), z.string()).optional(),
  })
  .strict();
export type LabFile = z.infer<typeof LabFile>;

/**
 * The lab file and the specs in it, each validated; they must belong to the lab's stack
 * and host (this machine's sandbox host; none for one on a Host).
 */
export function readLab(path: string): { lab: LabFile; specs: ObjectSpec[] } {
  const lab = LabFile.parse(JSON.parse(readFileSync(path, "utf8")));
  const specs = lab.specs.map((j) => parseSpec(j));
  for (const s of specs) {
    if (s.kind === "stack" || s.kind === "sweep")
      throw new Error(`${path}: a lab file holds object specs only, not ${s.kind}`);
    // one on another machine has no sandbox host of this one (its real host is its own)
    if (s.stack !== lab.stack || s.host !== (s.remote ? undefined : lab.host))
      throw new Error(`${path}: spec of stack ${s.stack} on ${s.host ?? "the host"} in the lab of ${lab.stack}`);
  }
  return { lab, specs: specs as ObjectSpec[] };
}
