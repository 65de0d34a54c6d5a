// The stack manifest: what synth writes for the nslab CLI next to a stack's cdk.tf.json
// (nslab/stack.json), so the CLI finds the lab file and the runner the deploy used
// without reading Terraform's JSON or the provisioners' command lines.
import { z } from "zod";
import { NAME } from "./name";
import { specKey } from "./kinds";
import { NETNS_RE, STACK_RE, type ObjectSpec } from "./schema";

/**
 * The app's exit code when a synth error of ours stopped it and it printed the message
 * itself (constructs/error-printer.ts): the CLI adds nothing to it. EX_DATAERR: the input
 * data was incorrect.
 */
export const SYNTH_SAID_EXIT = 65;
/** Set in the app's environment by `nslab deploy|diff`: the message alone, no source line. */
export const SYNTH_BY_ENV = "NSLAB_SYNTH_BY";

/** The folder next to cdk.tf.json that holds the manifest and the lab file. */
export const SYNTH_DIR = NAME;
/** Relative to the synthesized stack's directory. */
export const STACK_MANIFEST = `${SYNTH_DIR}/stack.json`;

/** What a stack's resource is for (constructs/netops-resource.ts says each). */
export const ROLES = ["object", "owner", "gate", "converge", "test"] as const;
export type Role = (typeof ROLES)[number];

export const StackManifest = z
  .object({
    v: z.literal(1),
    stack: z.string().regex(STACK_RE),
    /** Sandbox host namespace; absent = the real host. */
    host: z.string().regex(NETNS_RE).optional(),
    execution: z.enum(["per-object", "batched"]),
    /** The lab file and the bundled runner, relative to the stack's directory. */
    lab: z.string().regex(new RegExp(`^${SYNTH_DIR}/lab-[0-9a-f]+\\.json$`)),
    runner: z.string().min(1),
    /**
     * Each resource by its Terraform address: its role, how people read it (a lab
     * object's label), and the path of the construct that declared it. `nslab deploy`
     * names objects with it; absent in a manifest of an older nslab.
     */
    resources: z
      .record(z.string(), z.object({ role: z.enum(ROLES), label: z.string(), path: z.string() }).strict())
      .optional(),
    /**
     * A batched stack's lab objects (no Terraform resource each), by their key in its
     * apply's trigger (`batchKey`): how people read each, and its construct's path.
     */
    objects: z.record(z.string(), z.object({ label: z.string(), path: z.string() }).strict()).optional(),
  })
  .strict();
export type StackManifest = z.infer<typeof StackManifest>;

/** A batched stack's object in its apply's trigger: its key, after `@<host>/` on a Host (keys are per machine). */
export const batchKey = (s: ObjectSpec) => (s.remote ? `@${s.remote.name}/${specKey(s)}` : specKey(s));
