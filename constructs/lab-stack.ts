// A stack of lab constructs: picks the Terraform resource type, the sandbox host, ships
// the netops runner into the stack output once, and keeps the stack's books on the
// machine with two resources of its own:
//   netlab-owner  created first, destroyed last; its destroy removes whatever the stack
//                 still has on the machine (creates that failed or were killed are
//                 tainted, and Terraform never runs their destroy provisioner)
//   netlab-sweep  its spec lists every resource the stack declares; when that list
//                 changes it is replaced, and its create removes what the stack has on
//                 the machine but no longer declares (Terraform never runs the destroy
//                 provisioner of a resource deleted from the code). Every lab object
//                 depends on it, so names and subnets are freed before new objects claim
//                 them. Both exist in an empty stack too: deleting every construct
//                 still removes everything.
import { NullProvider } from "@cdktf/provider-null/lib/provider";
import { AssetType, TerraformAsset, TerraformStack } from "cdktf";
import { Construct, type IConstruct } from "constructs";
import { NetlabValidationError } from "./errors";
import { NetopsResource } from "./netops-resource";
import { ResourceType } from "./resource-type";
import { buildRunner } from "./runner-bundle";
import { specKey } from "../spec/keys";
import { isObjectSpec, NETNS_RE, STACK_RE } from "../spec/schema";

export { ResourceType };

export interface LabStackProps {
  /**
   * Terraform resource type every lab object synthesizes to.
   * @default ResourceType.TERRAFORM_DATA
   */
  readonly resourceType?: ResourceType;
  /**
   * Run every host-side command inside this network namespace (created if missing)
   * instead of the real host: the lab's bridge, veth host ends and firewall rules live
   * there. Tests and demos use it so the real host is never touched.
   * @default - the NETLAB_HOST_NETNS environment variable at synth, else the real host
   */
  readonly hostNetns?: string;
}

export class LabStack extends TerraformStack {
  /** The environment variable that sets `hostNetns` for every stack of a synth. */
  static readonly HOST_NETNS_ENV = "NETLAB_HOST_NETNS";

  /** The LabStack a construct belongs to; a clear error if it is in a plain TerraformStack. */
  static of(scope: IConstruct): LabStack {
    const stack = TerraformStack.of(scope);
    if (!(stack instanceof LabStack)) {
      throw new NetlabValidationError(scope, scope.constructor.name, "scope", `is in stack "${stack.node.id}", which is not a LabStack`, "create netlab constructs inside a LabStack");
    }
    return stack;
  }

  readonly resourceType: ResourceType;
  readonly hostNetns?: string;
  /** Every lab object of the stack depends on it (see the top of this file). */
  readonly sweep: NetopsResource;
  private readonly owner: NetopsResource;
  private runnerAsset?: TerraformAsset;

  constructor(scope: Construct, id: string, props: LabStackProps = {}) {
    super(scope, id);
    if (!STACK_RE.test(id)) {
      throw new NetlabValidationError(this, "LabStack", "id", `"${id}" cannot be used as an owner mark`, "use up to 64 characters from a-z, A-Z, 0-9, '-', '_', '.'");
    }
    this.resourceType = props.resourceType ?? ResourceType.TERRAFORM_DATA;
    const host = props.hostNetns ?? (process.env[LabStack.HOST_NETNS_ENV] || undefined);
    if (host !== undefined && !NETNS_RE.test(host)) {
      throw new NetlabValidationError(this, "LabStack", "hostNetns", `"${host}" is not a valid namespace name (from ${props.hostNetns ? "props" : LabStack.HOST_NETNS_ENV})`, "use 1-15 characters from a-z, A-Z, 0-9, '-', '_', '.'");
    }
    this.hostNetns = host;
    if (this.resourceType === ResourceType.NULL_RESOURCE) new NullProvider(this, "null");
    const owner = (this.owner = new NetopsResource(this, "netlab-owner", { stack: this, spec: () => ({ kind: "stack" }), runs: "destroy" }));
    this.sweep = new NetopsResource(this, "netlab-sweep", { stack: this, spec: () => ({ kind: "sweep", keep: this.declaredKeys() }), runs: "create", after: owner });
  }

  /** Keys of every lab object the stack declares (the sweep keeps these). */
  private declaredKeys(): string[] {
    return this.node
      .findAll()
      .flatMap((c) => (c instanceof NetopsResource && c !== this.owner && c !== this.sweep && isObjectSpec(c.spec) ? [specKey(c.spec)] : []))
      .sort();
  }

  /** Path of the bundled runner inside the synthesized stack (relative to its directory). */
  get runnerPath(): string {
    this.runnerAsset ??= new TerraformAsset(this, "netops", { path: buildRunner(), type: AssetType.FILE });
    return this.runnerAsset.path;
  }
}
