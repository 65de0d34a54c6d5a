// The one construct that owns a Terraform resource and its provisioners; nothing else
// builds provisioners. Create and destroy both run the bundled runner with the spec read
// from `self` (destroy provisioners may reference nothing else).
import { Resource as NullResource } from "@cdktf/provider-null/lib/resource";
import { Lazy, TerraformResource, TerraformSelf, type LocalExecProvisioner } from "cdktf";
import { Construct } from "constructs";
import { parseSpec, SPEC_VERSION, type Spec } from "../spec/schema";
import type { LabStack } from "./lab-stack";
import { ResourceType } from "./resource-type";

/** What a construct says about its resource; the version, owner and host are added here. */
export type SpecBody = Spec extends infer S ? (S extends Spec ? Omit<S, "v" | "stack" | "host"> : never) : never;

export interface NetopsResourceProps {
  /** The stack it belongs to (its callers have checked it is a LabStack). */
  readonly stack: LabStack;
  /** Produces the spec at synth, after every construct of the stack exists. */
  readonly spec: () => SpecBody;
  /**
   * Resources this one lives on. Their ids go into this resource's replace triggers, so
   * replacing a parent (a network) rebuilds its children (endpoints, port mappings),
   * and they order create before, destroy after.
   */
  readonly parents?: readonly NetopsResource[];
  /** Which provisioners it has: the stack's own bookkeeping resources need only one. */
  readonly runs?: "both" | "create" | "destroy";
  /** Created after this one (ordering only). @default the stack's sweep */
  readonly after?: NetopsResource;
}

export class NetopsResource extends Construct {
  readonly resource: TerraformResource;
  private readonly produce: () => SpecBody;
  private readonly stack: LabStack;
  private cached?: Spec;

  constructor(scope: Construct, id: string, props: NetopsResourceProps) {
    super(scope, id);
    this.produce = props.spec;
    const stack = (this.stack = props.stack);
    const runs = props.runs ?? "both";
    // undefined while the stack makes its own owner, the first resource of all
    const before = props.after ?? (stack.sweep as NetopsResource | undefined);
    const isData = stack.resourceType === ResourceType.TERRAFORM_DATA;
    const attr = isData ? "triggers_replace" : "triggers";
    const triggers: Record<string, string> = {
      spec: Lazy.stringValue({ produce: () => JSON.stringify(this.spec) }),
    };
    (props.parents ?? []).forEach((p, i) => (triggers[`parent${i}`] = p.resource.getStringAttribute("id")));
    const provisioner = (when: "create" | "destroy"): LocalExecProvisioner => ({
      type: "local-exec",
      when,
      interpreter: ["node", stack.runnerPath, when === "create" ? "apply" : "destroy"],
      command: TerraformSelf.getString(`${attr}.spec`),
    });
    const provisioners = (["create", "destroy"] as const).filter((w) => runs === "both" || runs === w).map(provisioner);
    // ordering only: the sweep's id must not reach the triggers, or every change to the
    // list of resources would rebuild all of them
    const dependsOn = before ? [before.resource] : undefined;
    if (isData) {
      this.resource = new TerraformResource(this, "Resource", { terraformResourceType: "terraform_data", provisioners, dependsOn });
      this.resource.addOverride(attr, triggers);
    } else {
      this.resource = new NullResource(this, "Resource", { triggers, provisioners, dependsOn });
    }
  }

  /** The spec, validated by the runner's own schema: what synth writes is what it reads. */
  get spec(): Spec {
    const host = this.stack.hostNetns;
    this.cached ??= parseSpec({ v: SPEC_VERSION, stack: this.stack.node.id, ...(host ? { host } : {}), ...this.produce() });
    return this.cached;
  }
}
