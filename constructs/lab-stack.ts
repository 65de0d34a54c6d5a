// A stack of lab constructs: picks the Terraform resource type, the sandbox host, and
// ships the netops runner into the stack output once.
import { NullProvider } from "@cdktf/provider-null/lib/provider";
import { AssetType, TerraformAsset, TerraformStack } from "cdktf";
import { Construct, type IConstruct } from "constructs";
import { NETNS_RE, STACK_RE } from "../spec/schema";
import { NetlabValidationError } from "./errors";
import { buildRunner } from "./runner-bundle";

export enum ResourceType {
  /** Terraform's built-in `terraform_data` (Terraform >= 1.4, no provider download). */
  TERRAFORM_DATA = "terraform_data",
  /** `null_resource` from the hashicorp/null provider, for older Terraform. */
  NULL_RESOURCE = "null_resource",
}

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
  }

  /** Path of the bundled runner inside the synthesized stack (relative to its directory). */
  get runnerPath(): string {
    this.runnerAsset ??= new TerraformAsset(this, "netops", { path: buildRunner(), type: AssetType.FILE });
    return this.runnerAsset.path;
  }
}
