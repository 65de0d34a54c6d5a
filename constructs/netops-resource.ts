// The one construct that owns a Terraform resource and its provisioners; nothing else
// builds provisioners. Three roles:
//   object  a lab object: its trigger line (key + spec) in the replace trigger, its parents
//           (from the registry of kinds, spec/kinds.ts) in depends_on and
//           replace_triggered_by. Default mode: a create provisioner (`netops create`)
//           and a destroy provisioner (`netops destroy`, the line read from `self`).
//           Batched mode: no provisioner (the stack's netlab-apply does the work).
//   owner   the stack's netlab-owner: created first, destroyed last; its destroy removes
//           whatever the stack still has on the machine.
//   gate    the stack's netlab-sweep (default) or netlab-apply (batched): its trigger is
//           the lab file, its create runs `netops sweep` or `netops converge` on it; every
//           lab object is created after it.
import { Resource as NullResource } from "@cdktf/provider-null/lib/resource";
import { Lazy, TerraformResource, TerraformSelf, type LocalExecProvisioner } from "cdktf";
import { Construct } from "constructs";
import { toLine } from "../spec/line";
import { parseSpec, SPEC_VERSION, type ObjectSpec, type Spec } from "../spec/schema";
import type { LabStack } from "./lab-stack";
import { Execution, ResourceType } from "./resource-type";

/** What a construct says about its resource; the version, owner and host are added here. */
export type SpecBody = Spec extends infer S ? (S extends Spec ? Omit<S, "v" | "stack" | "host"> : never) : never;

export type Role = "object" | "owner" | "gate";

export interface NetopsResourceProps {
  /** The stack it belongs to (its callers have checked it is a LabStack). */
  readonly stack: LabStack;
  readonly role: Role;
  /** The kind of its spec, known before the spec is (objects' specs read each other's at synth). */
  readonly kind?: ObjectSpec["kind"];
  /** Produces the spec at synth, after every construct of the stack exists (objects and the owner). */
  readonly spec?: () => SpecBody;
  /** The runner verb of a gate's create provisioner, run on the lab file. */
  readonly gate?: "sweep" | "converge";
  /** Created after this one, destroyed before it (ordering only). */
  readonly after?: NetopsResource;
}

/**
 * A line as Terraform JSON must hold it: a string there is a template, so `${` and `%{`
 * (a workload's command may carry them) are escaped; Terraform hands the runner the
 * original text.
 */
export const escapeTemplate = (s: string) => s.replace(/\$\{/g, () => "$${").replace(/%\{/g, "%%{");

const address = (r: NetopsResource) => `${r.resource.terraformResourceType}.${r.resource.friendlyUniqueId}`;

export class NetopsResource extends Construct {
  readonly resource: TerraformResource;
  readonly role: Role;
  readonly kind?: ObjectSpec["kind"];
  private readonly produce?: () => SpecBody;
  private readonly stack: LabStack;
  private cached?: Spec;

  constructor(scope: Construct, id: string, props: NetopsResourceProps) {
    super(scope, id);
    const stack = (this.stack = props.stack);
    this.role = props.role;
    this.kind = props.kind;
    this.produce = props.spec;
    const isData = stack.resourceType === ResourceType.TERRAFORM_DATA;
    // terraform_data replaces on any change of triggers_replace; null_resource wants map(string)
    const attr = isData ? "triggers_replace" : "triggers.spec";
    const line = props.spec ? Lazy.stringValue({ produce: () => escapeTemplate(toLine(this.spec)) }) : undefined;
    const value = line ?? Lazy.stringValue({ produce: () => stack.labPath });
    const runner = (verb: string, when: "create" | "destroy", arg: string): LocalExecProvisioner => ({
      type: "local-exec",
      when,
      interpreter: ["node", stack.runnerPath, verb],
      command: arg,
    });
    const self = TerraformSelf.getString(attr);
    let provisioners: LocalExecProvisioner[] | undefined; // none rather than []: Terraform rejects `"provisioner": []`
    if (props.role === "owner") provisioners = [runner("destroy", "destroy", self)];
    else if (props.role === "gate") provisioners = [runner(props.gate!, "create", self)];
    else if (stack.execution === Execution.PER_OBJECT) provisioners = [runner("create", "create", self), runner("destroy", "destroy", self)];
    const dependsOn = props.after ? [props.after.resource] : undefined;
    if (isData) {
      this.resource = new TerraformResource(this, "Resource", { terraformResourceType: "terraform_data", provisioners, dependsOn });
      this.resource.addOverride("triggers_replace", value);
    } else {
      this.resource = new NullResource(this, "Resource", { triggers: { spec: value }, provisioners, dependsOn });
    }
    if (props.role === "object") {
      // Terraform's graph is the order: after the gate, after its parents; replaced with
      // its parents ("replaced due to changes in replace_triggered_by"), as the kernel
      // takes a child with its parent (a namespace's processes, a bridge's ports...).
      // Bare addresses: cdktf would write a dependable as "${...}", which Terraform rejects there.
      this.resource.addOverride("depends_on", Lazy.listValue({ produce: () => [address(stack.gate), ...stack.parentsOf(this).map(address)] }));
      this.resource.addOverride(
        "lifecycle",
        Lazy.anyValue({ produce: () => (stack.parentsOf(this).length ? { replace_triggered_by: stack.parentsOf(this).map(address) } : undefined) }),
      );
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
}
