// The one construct that owns a Terraform resource and its provisioners; nothing else
// builds provisioners. Five roles:
//   object  a lab object: its trigger line (key + spec) in the replace trigger, its parents
//           (from the registry of kinds, model/kinds.ts) in depends_on and
//           replace_triggered_by. Default mode: a create provisioner (`netops create`)
//           and a destroy provisioner (`netops destroy`, the line read from `self`).
//           Batched mode: no Terraform resource at all (the stack's nslab-apply does the
//           work, and holds every object's spec in its trigger).
//   owner   the stack's nslab-owner: created first, destroyed last; its destroy removes
//           whatever the stack still has on the machine.
//   gate    the stack's nslab-sweep (default) or nslab-apply (batched): its trigger is
//           the lab file, its create runs `netops sweep` on it (every lab object is
//           created after it), or in a batched stack `netops converge --apply` on every
//           apply. It also keeps the stack's Hosts: its destroy (`netops retire`) clears a
//           machine the code no longer has.
//   settle  the stack's nslab-converge (default mode): replaced on every apply (its trigger is the
//           apply's time), after every lab object; its create runs `netops converge
//           --quiet` on the lab file, which checks every machine of the lab against it and
//           puts right what is not as declared, whatever the cause (a deploy killed
//           half-way, whose objects Terraform has in its state but never built; a reboot;
//           a device deleted by hand; a run-time impair or link down).
//   test    the stack's nslab-test (testOnDeploy): replaced on every apply, after the
//           converge; its create runs `netops test` on the lab file, so a deploy fails
//           when an Expectation does not hold.
import { Resource as NullResource } from "@cdktf/provider-null/lib/resource";
import { TerraformResource } from "cdktf";
import { Construct } from "constructs";
import { labelOf } from "../model/kinds";
import { toLine } from "../model/line";
import { parseSpec, SPEC_VERSION, SpecError, type ObjectSpec, type Spec } from "../model/schema";
import { NslabValidationError } from "./errors";
import type { Host } from "./host";
import type { LabStack } from "./lab-stack";
import { Execution, ResourceType } from "./resource-type";
import { escapeTemplate, render, type Role, type StackView } from "../synth/provisioners";

/** What a construct says about its resource; the version, owner and host are added here. */
export type SpecBody = Spec extends infer S ? (S extends Spec ? Omit<S, "v" | "stack" | "host"> : never) : never;

export type { Role };

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
  /** The machine the object lives on (its spec's `remote`); absent: this one. */
  readonly host?: () => Host | undefined;
  /** Spec fields named otherwise in its construct's props, for messages (e.g. port: "containerPort"). */
  readonly fieldProps?: Readonly<Record<string, string>>;
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

export class NetopsResource extends Construct {
  /** Its Terraform resource; none for a lab object of a batched stack (see the top of this file). */
  readonly resource?: TerraformResource;
  readonly role: Role;
  readonly kind?: ObjectSpec["kind"];
  private readonly produce?: () => SpecBody;
  private readonly placement?: () => Host | undefined;
  private readonly stack: LabStack;
  private readonly gateVerb?: NetopsResourceProps["gate"];
  private readonly fieldProps: Readonly<Record<string, string>>;
  private cached?: Spec;

  constructor(scope: Construct, id: string, props: NetopsResourceProps) {
    super(scope, id);
    const stack = (this.stack = props.stack);
    this.role = props.role;
    this.kind = props.kind;
    this.produce = props.spec;
    this.placement = props.host;
    const isData = stack.resourceType === ResourceType.TERRAFORM_DATA;
    this.gateVerb = props.gate;
    this.fieldProps = props.fieldProps ?? {};
    // the block's content is filled in by render(), at toTerraform: see there
    const dependsOn = props.after?.resource ? [props.after.resource] : undefined;
    if (this.role === "object" && stack.execution === Execution.BATCHED) this.resource = undefined;
    else if (isData)
      this.resource = new TerraformResource(this, "Resource", { terraformResourceType: "terraform_data", dependsOn });
    else this.resource = new NullResource(this, "Resource", { triggers: {}, dependsOn });
    stack._register(this);
    // two objects never make the same thing on one machine (reported on the user's construct)
    if (this.role === "object") scope.node.addValidation({ validate: () => stack._clashesOf(this) });
  }

  /** Its trigger line, as Terraform JSON holds it (objects and owners). */
  get line(): string {
    return escapeTemplate(toLine(this.spec));
  }

  /** Its Terraform block, filled in on the synthesized JSON (synth/provisioners.ts). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a resource block of cdktf's untyped JSON
  render(block: Record<string, any>, stack: StackView): void {
    const place = this.role === "object" ? this.stack.graphOf(this) : undefined;
    render(
      block,
      {
        role: this.role,
        ...(this.produce ? { line: this.line } : {}),
        onHost: this.host !== undefined,
        gateVerb: this.gateVerb,
        parents: place?.parents.map(addressOf),
        predecessors: place?.predecessors.map(addressOf),
      },
      stack,
    );
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

  /** How people read it: a lab object's label, or what the stack's own resource does. */
  get label(): string {
    if (this.role === "object") return labelOf(this.spec as ObjectSpec);
    if (this.role === "owner") return this.host ? `host ${this.host.remote.name}` : "owner";
    if (this.role === "gate") return this.gateVerb === "converge" ? "converge" : "sweep";
    return this.role === "settle" ? "converge" : "test";
  }

  /** The machine the object lives on, undefined for this one. */
  get host(): Host | undefined {
    return this.placement?.();
  }
}
