// The one construct that owns a Terraform resource and its provisioners; nothing else
// builds provisioners. Four roles:
//   object  a lab object: its trigger line (key + spec) in the replace trigger, its parents
//           (from the registry of kinds, model/kinds.ts) in depends_on and
//           replace_triggered_by. Default mode: a create provisioner (`netops create`)
//           and a destroy provisioner (`netops destroy`, the line read from `self`).
//           Batched mode: no provisioner (the stack's nslab-apply does the work).
//   owner   the stack's nslab-owner: created first, destroyed last; its destroy removes
//           whatever the stack still has on the machine.
//   gate    the stack's nslab-sweep (default) or nslab-apply (batched): its trigger is
//           the lab file, its create runs `netops sweep` or `netops converge` on it; every
//           lab object is created after it. The sweep also keeps the stack's Hosts: its
//           destroy (`netops retire`) clears a machine the code no longer has.
//   settle  the stack's nslab-converge: replaced on every apply (its trigger is the
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
import { toLine } from "../model/line";
import { parseSpec, SPEC_VERSION, SpecError, type ObjectSpec, type Spec } from "../model/schema";
import { NslabValidationError } from "./errors";
import type { Host } from "./host";
import type { LabStack } from "./lab-stack";
import { Execution, ResourceType } from "./resource-type";

/** What a construct says about its resource; the version, owner and host are added here. */
export type SpecBody = Spec extends infer S ? (S extends Spec ? Omit<S, "v" | "stack" | "host"> : never) : never;

export type Role = "object" | "owner" | "gate" | "settle" | "test";

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

/**
 * A line as Terraform JSON must hold it: a string there is a template, so `${` and `%{`
 * (a workload's command may carry them) are escaped; Terraform hands the runner the
 * original text.
 */
export const escapeTemplate = (s: string) => s.replace(/\$\{/g, () => "$${").replace(/%\{/g, "%%{");

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

const address = (r: NetopsResource) => `${r.resource.terraformResourceType}.${r.resource.friendlyUniqueId}`;

export class NetopsResource extends Construct {
  readonly resource: TerraformResource;
  readonly role: Role;
  readonly kind?: ObjectSpec["kind"];
  private readonly produce?: () => SpecBody;
  private readonly placement?: () => Host | undefined;
  private readonly stack: LabStack;
  private readonly isData: boolean;
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
    const isData = (this.isData = stack.resourceType === ResourceType.TERRAFORM_DATA);
    this.gateVerb = props.gate;
    this.fieldProps = props.fieldProps ?? {};
    // the block's content is filled in by render(), at toTerraform: see there
    const dependsOn = props.after ? [props.after.resource] : undefined;
    if (isData)
      this.resource = new TerraformResource(this, "Resource", { terraformResourceType: "terraform_data", dependsOn });
    else this.resource = new NullResource(this, "Resource", { triggers: {}, dependsOn });
    stack._register(this);
    // two objects never make the same thing on one machine (reported on the user's construct)
    if (this.role === "object") scope.node.addValidation({ validate: () => stack._clashesOf(this) });
  }

  /**
   * Fill in what is known only once the whole stack exists: the trigger (the line, or the
   * gate's lab file), the provisioners, and for a lab object its place in the graph (from the registry of
   * kinds): after the gate and its predecessors (depends_on), replaced with its parents
   * (replace_triggered_by: the kernel takes a namespace's processes, a bridge's ports...).
   * Called on the synthesized JSON (LabStack.toTerraform), so none of it goes through
   * cdktf's token resolution, which at a thousand objects cost most of the synth.
   * Bare addresses: cdktf would write a dependable as "${...}", which Terraform rejects there.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a resource block of cdktf's untyped JSON
  render(block: Record<string, any>): void {
    const stack = this.stack;
    if (this.role === "settle")
      return this.renderEveryApply(block, ["converge", "--quiet"], [stack.gate, ...stack.objectResources]);
    if (this.role === "test") return this.renderEveryApply(block, ["test"], [...stack.objectResources, stack.settle]);
    const value = this.produce ? escapeTemplate(toLine(this.spec)) : stack.labPath;
    if (this.isData) block.triggers_replace = value;
    else block.triggers = { spec: value };
    // a literal reference (Terraform resolves it; cdktf never sees it)
    const self = this.isData ? "${self.triggers_replace}" : "${self.triggers.spec}";
    const runner = (verb: string, when: "create" | "destroy") => ({
      "local-exec": { command: self, interpreter: ["node", stack.runnerPath, verb], when },
    });
    // none rather than []: Terraform rejects `"provisioner": []`
    if (this.role === "owner")
      block.provisioner = this.host
        ? [runner("create", "create"), runner("destroy", "destroy")]
        : [runner("destroy", "destroy")];
    else if (this.role === "gate") {
      block.provisioner = [runner(this.gateVerb!, "create")];
      if (this.gateVerb === "sweep") this.keepHosts(block);
      // after every other machine's owner: before every object, which comes after the gate
      const owners = this.stack.hostOwners.map(address);
      if (owners.length) block.depends_on = [...(block.depends_on ?? []), ...owners];
    } else if (stack.execution === Execution.PER_OBJECT)
      block.provisioner = [runner("create", "create"), runner("destroy", "destroy")];
    if (this.role !== "object") return;
    delete block["//"]; // construct-path metadata: see LabStack.toTerraform
    const { parents, predecessors } = this.stack.graphOf(this);
    block.depends_on = [address(this.stack.gate), ...predecessors.map(address)];
    if (parents.length) block.lifecycle = { replace_triggered_by: parents.map(address) };
  }

  /**
   * The sweep keeps the stack's Hosts (their owners' lines) in its state. Every change of
   * the lab replaces it, and its old instance's destroy hands them to `netops retire`
   * with the new lab file: a Host deleted from the code together with its objects runs
   * no destroy provisioner (nor do they), so what the stack has on that machine is
   * removed there, as its owner's destroy would. An older state without the record
   * hands over nothing.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a resource block of cdktf's untyped JSON
  private keepHosts(block: Record<string, any>): void {
    const hosts = this.stack.hostOwners.map((o) => escapeTemplate(toLine(o.spec)));
    // as JSON for the runner (a command must not be empty): [] for none, null from an older state
    if (this.isData) block.input = hosts;
    else block.triggers.hosts = JSON.stringify(hosts);
    const kept = this.isData ? "${jsonencode(self.input)}" : '${lookup(self.triggers, "hosts", "[]")}';
    const retire = ["node", this.stack.runnerPath, "retire", this.stack.labPath, address(this)];
    block.provisioner.push({ "local-exec": { command: kept, interpreter: retire, when: "destroy" } });
  }

  /** A runner verb on the lab file at the end of every apply, after `after`. */
  private renderEveryApply(
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a resource block of cdktf's untyped JSON
    block: Record<string, any>,
    verb: readonly string[],
    after: readonly NetopsResource[],
  ): void {
    // timestamp() is known only at apply: the resource is replaced, so run, by every apply
    if (this.isData) block.triggers_replace = "${timestamp()}";
    else block.triggers = { at: "${timestamp()}" };
    // the lab file comes last (local-exec's command); the runner reads options either side of it
    const run = { command: this.stack.labPath, interpreter: ["node", this.stack.runnerPath, ...verb], when: "create" };
    block.provisioner = [{ "local-exec": run }];
    block.depends_on = after.map(address);
  }

  /** The spec, validated by the runner's own schema: what synth writes is what it reads. */
  get spec(): Spec {
    if (!this.produce) throw new Error(`${this.node.path} has no spec`);
    // on another machine: its real host namespace (the sandbox host is this machine's)
    const remote = this.placement?.()?.remote;
    const host = remote ? undefined : this.stack.hostNetns;
    try {
      this.cached ??= parseSpec({
        v: SPEC_VERSION,
        stack: this.stack.node.id,
        ...(host ? { host } : {}),
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

  /** The machine the object lives on, undefined for this one. */
  get host(): Host | undefined {
    return this.placement?.();
  }
}
