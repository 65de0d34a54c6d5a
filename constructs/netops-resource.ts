// The one construct that owns a Terraform resource and its provisioner; nothing else
// builds provisioners. Lab objects are tracking resources: their spec in the replace
// triggers and their parents in replace_triggered_by, so Terraform's plan and state show
// each object and replace it when it (or what it hangs off) changes, and no provisioner
// of their own. The kernel work is
// done by the stack's apply resource in one runner call (see lab-stack.ts).
import { Resource as NullResource } from "@cdktf/provider-null/lib/resource";
import { Lazy, TerraformResource, TerraformSelf, type LocalExecProvisioner } from "cdktf";
import { Construct } from "constructs";
import { createHash } from "node:crypto";
import { specKey } from "../spec/keys";
import { parseSpec, SPEC_VERSION, type ObjectSpec, type Spec } from "../spec/schema";
import type { LabStack } from "./lab-stack";
import { ResourceType } from "./resource-type";

/** What a construct says about its resource; the version, owner and host are added here. */
export type SpecBody = Spec extends infer S ? (S extends Spec ? Omit<S, "v" | "stack" | "host"> : never) : never;

export interface NetopsResourceProps {
  /** The stack it belongs to (its callers have checked it is a LabStack). */
  readonly stack: LabStack;
  /** Produces the spec at synth, after every construct of the stack exists. Goes in the trigger `spec`. */
  readonly spec?: () => SpecBody;
  /** More replace triggers, by name. */
  readonly triggers?: Readonly<Record<string, string>>;
  /** Resources this one lives on: replacing a parent (a network) replaces its children (endpoints, port mappings). */
  readonly parents?: readonly NetopsResource[];
  /** The runner call this resource makes: `node <runner> <verb> <value of trigger arg>`. @default none */
  readonly run?: { readonly when: "create" | "destroy"; readonly verb: "converge" | "destroy"; readonly arg: string };
  /** Created after this one, destroyed before it (ordering only). @default the stack's netlab-apply */
  readonly after?: NetopsResource;
}

export class NetopsResource extends Construct {
  readonly resource: TerraformResource;
  /** The runner call it makes, if any (lab objects make none). */
  readonly run?: NetopsResourceProps["run"];
  private readonly produce?: () => SpecBody;
  private readonly stack: LabStack;
  private cached?: Spec;

  constructor(scope: Construct, id: string, props: NetopsResourceProps) {
    super(scope, id);
    this.produce = props.spec;
    const stack = (this.stack = props.stack);
    const isData = stack.resourceType === ResourceType.TERRAFORM_DATA;
    const attr = isData ? "triggers_replace" : "triggers";
    let triggers: Record<string, string> | string = { ...props.triggers };
    if (props.spec && isData && !props.run) {
      // A lab object: one line, `<key> field=value ...`. Not a map and not JSON, which
      // Terraform prints over a dozen lines per object: at 400 objects that output is
      // what the cdktf CLI spends much of a deploy reading (npm run bench).
      triggers = Lazy.stringValue({ produce: () => `${specKey(this.spec as ObjectSpec)} ${summary(this.spec)}` });
    } else if (props.spec) {
      triggers.spec = Lazy.stringValue({ produce: () => JSON.stringify(this.spec) });
    }
    // Replaced with its parent, as the runner rebuilds it (a network's endpoints, an
    // endpoint's port mappings); the plan says "replaced due to changes in replace_triggered_by".
    // (bare addresses: cdktf would write a dependable as "${...}", which Terraform rejects here)
    const lifecycle = props.parents?.length ? { replaceTriggeredBy: props.parents.map((p) => `${p.resource.terraformResourceType}.${p.resource.friendlyUniqueId}`) } : undefined;
    const run = (this.run = props.run);
    // no provisioner at all rather than an empty list: Terraform rejects `"provisioner": []`
    const provisioners: LocalExecProvisioner[] | undefined = run
      ? [{ type: "local-exec", when: run.when, interpreter: ["node", stack.runnerPath, run.verb], command: TerraformSelf.getString(`${attr}.${run.arg}`) }]
      : undefined;
    // ordering only: an id in a trigger would replace this resource whenever that one is
    const after = props.after ?? (stack.applier as NetopsResource | undefined); // unset while the stack makes its own two
    const dependsOn = after ? [after.resource] : undefined;
    if (isData) {
      this.resource = new TerraformResource(this, "Resource", { terraformResourceType: "terraform_data", provisioners, dependsOn, lifecycle });
      this.resource.addOverride(attr, triggers);
    } else {
      this.resource = new NullResource(this, "Resource", { triggers: triggers as Record<string, string>, provisioners, dependsOn, lifecycle }); // always a map here: null_resource wants map(string)
    }
    stack._register(this);
  }

  /** The spec, validated by the runner's own schema: what synth writes is what it reads. */
  get spec(): Spec {
    if (!this.produce) throw new Error(`${this.node.path} has no spec`);
    const host = this.stack.hostNetns;
    this.cached ??= parseSpec({ v: SPEC_VERSION, stack: this.stack.node.id, ...(host ? { host } : {}), ...this.produce() });
    return this.cached;
  }

  get hasSpec(): boolean {
    return this.produce !== undefined;
  }
}

/**
 * What a lab object's trigger shows. The stack's derived resources (names, nftables)
 * list every endpoint or rule of the stack: a hash of them keeps the line short (their
 * content is in the lab file), where a user's object shows every field.
 */
function summary(s: Spec): string {
  if (s.kind === "names" || s.kind === "nftables") return `sha256=${createHash("sha256").update(JSON.stringify(s)).digest("hex").slice(0, 16)}`;
  return fields(s);
}

/** Every field that can differ between two objects of one stack, as `name=value`, in schema order. */
function fields(s: Spec): string {
  return Object.entries(s)
    .filter(([k]) => k !== "v" && k !== "stack" && k !== "kind")
    .map(([k, v]) => `${k}=${Array.isArray(v) ? JSON.stringify(v) : String(v)}`) // a list as JSON: ["a,b"] is not ["a","b"]
    .join(" ");
}
