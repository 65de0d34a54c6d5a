// The constructs that own a Terraform resource and its provisioners; nothing else builds
// provisioners. A lab object (lab-object.ts) is one kernel object of the lab; the stack's
// own (stack-resources.ts) order and check the lab around them: its owner, created first
// and destroyed last, the gate (sweep or batched apply), the converge every apply ends
// with, and the test on deploy. Each renders its own block (synth/provisioners.ts), of the
// stack's resource type (synth/terraform-type.ts).
import { TerraformResource } from "../synth/engine";
import { NullResource } from "../synth/null-provider";
import { Construct } from "constructs";
import { toLine } from "../model/line";
import type { Role } from "../model/manifest";
import { parseSpec, SPEC_VERSION, SpecError, type Spec } from "../model/schema";
import { NslabValidationError } from "./errors";
import type { Host } from "./host";
import type { LabStack } from "./lab-stack";
import { ResourceType } from "./resource-type";
import { escapeTemplate, type StackView } from "../synth/provisioners";
import type { Block } from "../synth/terraform-type";

/** What a construct says about its resource; the version, owner and host are added here. */
export type SpecBody = Spec extends infer S ? (S extends Spec ? Omit<S, "v" | "stack" | "host"> : never) : never;

export interface NetopsResourceProps {
  /** The stack it belongs to (its callers have checked it is a LabStack). */
  readonly stack: LabStack;
  /** Produces the spec at synth, after every construct of the stack exists (objects and owners). */
  readonly spec?: () => SpecBody;
  /** Created after this one, destroyed before it (ordering only). */
  readonly after?: NetopsResource;
  /** The machine it lives on (its spec's `remote`); absent: this one. */
  readonly host?: () => Host | undefined;
  /** Spec fields named otherwise in its construct's props, for messages (e.g. port: "containerPort"). */
  readonly fieldProps?: Readonly<Record<string, string>>;
  /** No Terraform resource (a lab object of a batched stack: the stack's apply does its work). */
  readonly noResource?: boolean;
}

/** Spec fields whose construct prop has another name (a construct adds its own: NetopsResourceProps.fieldProps). */
const SPEC_FIELD_PROPS: Readonly<Record<string, string>> = {
  hostIf: "hostInterfaceName",
  ifname: "interfaceName",
  address6: "ipv6Address",
  gateway6: "ipv6Gateway",
  subnet6: "ipv6Subnet",
  bridge: "bridgeName",
  impair: "impairment",
  dst: "destination",
  dev: "device",
};

/** A resource's Terraform address, bare (as depends_on and replace_triggered_by take it). */
export const addressOf = (r: NetopsResource) => `${r.resource!.terraformResourceType}.${r.resource!.friendlyUniqueId}`;

export abstract class NetopsResource extends Construct {
  /** Its Terraform resource; none for a lab object of a batched stack. */
  readonly resource?: TerraformResource;
  /** What it is for, as the stack manifest says (model/manifest.ts). */
  abstract readonly role: Role;
  /** How people read it: a lab object's label, or what the stack's own resource does. */
  abstract readonly label: string;
  protected readonly stack: LabStack;
  private readonly produce?: () => SpecBody;
  private readonly placement?: () => Host | undefined;
  private readonly fieldProps: Readonly<Record<string, string>>;
  private cached?: Spec;

  constructor(scope: Construct, id: string, props: NetopsResourceProps) {
    super(scope, id);
    this.stack = props.stack;
    this.produce = props.spec;
    this.placement = props.host;
    this.fieldProps = props.fieldProps ?? {};
    // the block's content is filled in by render(), at toTerraform: see there
    const dependsOn = props.after?.resource ? [props.after.resource] : undefined;
    if (props.noResource) this.resource = undefined;
    else if (this.stack.resourceType === ResourceType.TERRAFORM_DATA)
      this.resource = new TerraformResource(this, "Resource", { terraformResourceType: "terraform_data", dependsOn });
    else this.resource = new NullResource(this, "Resource", dependsOn);
    this.stack._register(this);
  }

  /** Its Terraform block, filled in on the synthesized JSON (synth/provisioners.ts). */
  abstract render(block: Block, stack: StackView): void;

  /** Its trigger line, as Terraform JSON holds it (objects and owners). */
  get line(): string {
    return escapeTemplate(toLine(this.spec));
  }

  /** The spec, validated by the runner's own schema: what synth writes is what it reads. */
  get spec(): Spec {
    if (!this.produce) throw new Error(`${this.node.path} has no spec`);
    // on another machine: its real host namespace (the sandbox host is this machine's)
    // (a spec's `host` is the sandbox namespace, a Host construct a machine: the spec field
    // keeps the name version 1 gave it)
    const remote = this.placement?.()?.remote;
    const sandboxHost = remote ? undefined : this.stack.hostNetns;
    try {
      this.cached ??= parseSpec({
        v: SPEC_VERSION,
        stack: this.stack.node.id,
        ...(sandboxHost ? { host: sandboxHost } : {}),
        ...(remote ? { remote } : {}),
        ...this.produce(),
      });
    } catch (err) {
      if (!(err instanceof SpecError)) throw err;
      // a limit of the schema (model/limits.ts), reported as every other bad prop is
      const owner = this.node.scope!;
      const [v] = err.violations;
      throw new NslabValidationError(owner, owner.constructor.name, this.propOf(v.field), v.problem, v.fix);
    }
    return this.cached;
  }

  /** The construct prop a spec field comes from: spec names are the kernel's, props the user's. */
  private propOf(field: string): string {
    return field
      .split(".")
      .map((f) => this.fieldProps[f] ?? SPEC_FIELD_PROPS[f] ?? f)
      .join(".");
  }

  /** The machine it lives on, undefined for this one. */
  get host(): Host | undefined {
    return this.placement?.();
  }
}
