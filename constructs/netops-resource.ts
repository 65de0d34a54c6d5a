// The one construct that owns a Terraform resource and its provisioners; nothing else
// builds provisioners. Create and destroy both run the bundled runner with the spec read
// from `self` (destroy provisioners may reference nothing else).
//
// Every stack also gets two bookkeeping resources, made here on its first lab object:
//   netlab-owner  created first, destroyed last; its destroy removes whatever the stack
//                 still has on the machine (creates that failed or were killed are
//                 tainted, and Terraform never runs their destroy provisioner)
//   netlab-sweep  its spec lists every resource the stack declares; when that list
//                 changes it is replaced, and its create removes what the stack has on
//                 the machine but no longer declares (Terraform never runs the destroy
//                 provisioner of a resource deleted from the code). Every lab object
//                 depends on it, so names and subnets are freed before new objects claim them.
import { Resource as NullResource } from "@cdktf/provider-null/lib/resource";
import { Lazy, TerraformResource, TerraformSelf, type LocalExecProvisioner } from "cdktf";
import { Construct } from "constructs";
import { specKey } from "../spec/keys";
import { isObjectSpec, parseSpec, SPEC_VERSION, type Spec } from "../spec/schema";
import { LabStack, ResourceType } from "./lab-stack";

/** What a construct says about its resource; the version, owner and host are added here. */
export type SpecBody = Spec extends infer S ? (S extends Spec ? Omit<S, "v" | "stack" | "host"> : never) : never;

export interface NetopsResourceProps {
  /** Produces the spec at synth, after every construct of the stack exists. */
  readonly spec: () => SpecBody;
  /**
   * Resources this one lives on. Their ids go into this resource's replace triggers, so
   * replacing a parent (a network) rebuilds its children (endpoints, port mappings),
   * and they order create before, destroy after.
   */
  readonly parents?: readonly NetopsResource[];
}

type Runs = "both" | "create" | "destroy";

export class NetopsResource extends Construct {
  readonly resource: TerraformResource;
  private readonly produce: () => SpecBody;
  private readonly stack: LabStack;
  private cached?: Spec;

  constructor(scope: Construct, id: string, props: NetopsResourceProps, runs: Runs = "both", after?: NetopsResource) {
    super(scope, id);
    this.produce = props.spec;
    const stack = (this.stack = LabStack.of(this));
    const before = after ?? booksOf(stack).sweep;
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

interface Books {
  readonly owner: NetopsResource;
  readonly sweep: NetopsResource;
}

const books = new WeakMap<LabStack, Books | "making">();

/** The stack's owner and sweep resources, made on first use. */
function booksOf(stack: LabStack): Books | { sweep: undefined } {
  const have = books.get(stack);
  if (have === "making") return { sweep: undefined }; // the owner itself depends on nothing
  if (have) return have;
  books.set(stack, "making");
  const owner = new NetopsResource(stack, "netlab-owner", { spec: () => ({ kind: "stack" }) }, "destroy");
  const keep = (): string[] =>
    stack.node
      .findAll()
      .flatMap((c) => (c instanceof NetopsResource && c !== owner && c !== sweep && isObjectSpec(c.spec) ? [specKey(c.spec)] : []))
      .sort();
  const sweep: NetopsResource = new NetopsResource(stack, "netlab-sweep", { spec: () => ({ kind: "sweep", keep: keep() }) }, "create", owner);
  const made = { owner, sweep };
  books.set(stack, made);
  return made;
}
