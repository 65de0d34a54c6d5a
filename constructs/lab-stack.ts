// A stack of lab constructs: picks the Terraform resource type, the sandbox host and the
// execution mode, ships the netops runner into the stack output once, and adds resources
// of its own:
//   nslab-owner  created first, destroyed last; its destroy removes everything the
//                 stack has on the machine (the runner's ledger says what), which covers
//                 the creates Terraform never destroys itself (tainted, killed)
//   nslab-sweep  (default) its trigger is the lab file; its create removes what the
//                 stack recorded and no longer declares (constructs deleted from the code,
//                 whose destroy provisioner Terraform never runs), before any object is made
//   nslab-apply  (batched) instead of the sweep and the converge, and of a resource per
//                 object: replaced on every apply, its create converges every machine to
//                 the lab file in one runner call; its trigger holds every object's spec
//   nslab-converge  (default) replaced on every apply, after every object: checks every
//                 machine of the lab against the lab file and puts right what is not as
//                 declared (a killed deploy, a reboot, a device deleted by hand), printing only that
//   nslab-names, nslab-nftables  what is derived from the whole stack (synth/aggregates.ts)
// In the default mode every lab object is its own resource (netops-resource.ts), ordered
// by the registry of kinds (model/kinds.ts). What synthesis writes (the blocks by role, the lab file and the
// manifest, the moved blocks, the runner asset) lives in synth/.
import { installErrorPrinter } from "./error-printer";
import { checkProps } from "./props";
import { AssetType, TerraformAsset, TerraformStack } from "../synth/engine";
import { NullProvider } from "../synth/null-provider";
import { Construct, type IConstruct } from "constructs";
import { applyOrder, specKey } from "../model/kinds";
import { fromEnv } from "../model/former-name";
import { batchKey, type StackManifest } from "../model/manifest";
import { ExpectSpec, isObjectSpec, SPEC_VERSION, STACK_RE, type ObjectSpec } from "../model/schema";
import { namesOf, nftablesOf } from "../synth/aggregates";
import { graphOf, type Place } from "../synth/graph";
import { labFile, writeAtSynth } from "../synth/lab-file";
import { movedFromFormerName } from "../synth/moved";
import type { StackView } from "../synth/provisioners";
import type { Expectation } from "./expectation";
import type { Scenario } from "./scenario";
import type { Host } from "./host";
import { NslabValidationError } from "./errors";
import { clashMessages } from "./clashes";
import { canonical } from "./ipam";
import { addressOf, NetopsResource } from "./netops-resource";
import { LabObject } from "./lab-object";
import { StackConverge, StackGate, StackOwner, StackTest } from "./stack-resources";
import { TERRAFORM_TYPES } from "../synth/terraform-type";
import { Execution, Firewall, ResourceType } from "./resource-type";
import { runnerBundle } from "../synth/runner-bundle";

export { Execution, Firewall, ResourceType };

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
   * @default - the NSLAB_HOST_NETNS environment variable at synth, else the real host
   */
  readonly hostNetns?: string;
  /**
   * Where firewall rules go: iptables, or one native nftables table for the whole stack.
   * Either way the host's own iptables FORWARD policy still applies (with nftables, a
   * host whose FORWARD policy is DROP drops the lab's forwarded traffic too).
   * @default Firewall.IPTABLES
   */
  readonly firewall?: Firewall;
  /**
   * Who does the kernel work: each object's own provisioners, in Terraform's order, or
   * one runner call for the whole lab (faster for hundreds of objects on a small
   * machine; docs/terraform.md says what each Terraform verb means in each mode).
   * @default Execution.PER_OBJECT
   */
  readonly execution?: Execution;
  /**
   * Check the stack's Expectations with real traffic at the end of every deploy (a
   * `nslab-test` resource, replaced on every apply): a deploy fails when the lab does
   * not behave as declared. `npx nslab test <stack>` checks them at any time.
   * @default false
   */
  readonly testOnDeploy?: boolean;
  /**
   * This machine's IP address on the network that joins it to the stack's Hosts: what a
   * ContainerNetwork that lists the stack in its `hosts` (this machine and Hosts, joined
   * by VXLAN) uses as the tunnel's local end here.
   * @default - none: list only Hosts in a network's hosts
   */
  readonly tunnelAddress?: string;
}

export class LabStack extends TerraformStack {
  /** The environment variable that sets `hostNetns` for every stack of a synth. */
  static readonly HOST_NETNS_ENV = "NSLAB_HOST_NETNS";

  /** The LabStack a construct belongs to; a clear error if it is in a plain TerraformStack. */
  static of(scope: IConstruct): LabStack {
    const stack = TerraformStack.of(scope);
    if (!(stack instanceof LabStack)) {
      throw new NslabValidationError(
        scope,
        scope.constructor.name,
        "scope",
        `is in stack "${stack.node.id}", which is not a LabStack`,
        "create nslab constructs inside a LabStack",
      );
    }
    return stack;
  }

  readonly resourceType: ResourceType;
  readonly hostNetns?: string;
  readonly firewall: Firewall;
  readonly execution: Execution;
  /** This machine's address on the network that joins the hosts (see LabStackProps). */
  readonly tunnelAddress?: string;
  /** The sweep or the batched apply: every lab object is created after it (stack-resources.ts). */
  readonly gate: StackGate;
  /** The converge every apply ends with, after every lab object: nslab-converge, or the batched apply (stack-resources.ts). */
  readonly closing: NetopsResource;
  private readonly members: Construct[] = [];
  private readonly byClass = new Map<abstract new (...args: never[]) => unknown, Construct[]>();
  private runnerAsset?: TerraformAsset;
  private labCache?: { path: string; text: string };
  private graph?: Map<LabObject, Place<LabObject>>;
  private clashes?: Map<unknown, string[]>;
  private readonly nameservers = new Map<string, readonly string[]>();
  /** The names resource of each machine that has namespaces with names files (undefined: this one). */
  private readonly names = new Map<Host | undefined, LabObject>();
  private readonly expectations: Expectation[] = [];
  private readonly scenarios: Scenario[] = [];

  constructor(scope: Construct, id: string, props: LabStackProps = {}) {
    super(scope, id);
    // a mistake in the user's constructs is reported as its message, not as a crash dump
    installErrorPrinter();
    // hostNetns comes from the props, else from the environment: checked alike
    checkProps(this, "LabStack", { ...props, hostNetns: props.hostNetns ?? fromEnv(LabStack.HOST_NETNS_ENV) });
    if (!STACK_RE.test(id)) {
      throw new NslabValidationError(
        this,
        "LabStack",
        "id",
        `"${id}" cannot be used as an owner mark`,
        "use up to 64 characters from a-z, A-Z, 0-9, '-', '_', '.'",
      );
    }
    this.resourceType = props.resourceType ?? ResourceType.TERRAFORM_DATA;
    const host = props.hostNetns ?? fromEnv(LabStack.HOST_NETNS_ENV);
    this.hostNetns = host;
    this.firewall = props.firewall ?? Firewall.IPTABLES;
    this.tunnelAddress = props.tunnelAddress !== undefined ? canonical(props.tunnelAddress) : undefined;
    this.execution = props.execution ?? Execution.PER_OBJECT;
    if (this.resourceType === ResourceType.NULL_RESOURCE) new NullProvider(this, "null");
    void this.runnerPath; // the asset exists before synthesis copies assets (render() reads its path)
    const owner = new StackOwner(this, "nslab-owner", { stack: this });
    const batched = this.execution === Execution.BATCHED;
    const gate = batched ? "nslab-apply" : "nslab-sweep";
    this.gate = new StackGate(this, gate, { stack: this, after: owner }, batched ? "converge" : "sweep");
    // a batched stack's apply is its closing converge too
    this.closing = batched ? this.gate : new StackConverge(this, "nslab-converge", { stack: this, after: this.gate });
    if (props.testOnDeploy) new StackTest(this, "nslab-test", { stack: this });
    if (this.firewall === Firewall.NFTABLES) {
      this._useNftables(undefined);
    }
    writeAtSynth(this, () => ({ lab: this.lab(), manifest: this.manifest() }));
  }

  /** @internal an Expectation of this stack: it goes into the lab file */
  _addExpectation(e: Expectation): void {
    this.expectations.push(e);
  }

  /** @internal a Scenario of this stack: it goes into the lab file, and is a member (names are checked across) */
  _addScenario(s: Scenario): void {
    this.scenarios.push(s);
    this._register(s);
  }

  /** @internal every lab construct and resource registers itself once */
  _register(member: Construct): void {
    this.members.push(member);
    this.byClass.clear();
  }

  /**
   * The stack's lab constructs of one class, for stack-wide checks at synth. A list kept
   * as constructs are made: walking the construct tree from every construct would make
   * synth quadratic (1000 endpoints: seconds).
   */
  membersOf<T>(cls: abstract new (...args: never[]) => T): T[] {
    // cached per class: every endpoint's validation asks for all endpoints (N^2 otherwise)
    let list = this.byClass.get(cls);
    if (!list) this.byClass.set(cls, (list = this.members.filter((m) => m instanceof cls)));
    return list as T[];
  }

  /** @internal a sandbox or endpoint with its own namespace sets that namespace's nameservers */
  _setNameservers(netns: string, servers: readonly string[], host: Host | undefined): void {
    this.nameservers.set(netns, servers);
    this._useNames(host);
  }

  /**
   * @internal a namespace of the stack on this machine or a Host gets names files (it
   * has an endpoint, or nameservers): that machine's names resource exists from then on.
   * A stack without namespaces has none, so it leaves no record of it either.
   */
  _useNames(host: Host | undefined): void {
    if (this.names.has(host)) return;
    const r = new LabObject(host ?? this, host ? "Names" : "nslab-names", {
      stack: this,
      kind: "names",
      spec: () => namesOf(this.objects(), this.nameservers, host),
      host: () => host,
    });
    this.names.set(host, r);
  }

  /** @internal The owners of the stack on other machines (Host), which the gate comes after. */
  get hostOwners(): StackOwner[] {
    return this.membersOf(StackOwner).filter((r) => r.host);
  }

  /** @internal The lab objects' resources, for the test resource's depends_on. */
  get objectResources(): LabObject[] {
    return this.objects();
  }

  /** The lab objects' resources (not the owner and the gate). */
  private objects(): LabObject[] {
    return this.membersOf(LabObject);
  }

  /**
   * A lab object's place in the graph (model/kinds.ts): its parents, the resources whose
   * specs provide what its spec needs (it is rebuilt with them), and its predecessors,
   * its parents and what it is only made after.
   */
  graphOf(r: LabObject): Place<LabObject> {
    this.graph ??= graphOf(this.objects());
    return this.graph.get(r) ?? { parents: [], predecessors: [] };
  }

  /**
   * @internal What `r` would make that another object of the stack makes too (constructs/
   * clashes.ts), as validation messages for its construct: one look at the whole stack.
   */
  _clashesOf(r: LabObject): string[] {
    if (!this.clashes) {
      const claimants = this.objects().map((o) => ({ spec: o.objectSpec, owner: o.node.scope!, r: o }));
      this.clashes = new Map([...clashMessages(claimants)].map(([c, m]) => [(c as (typeof claimants)[number]).r, m]));
    }
    return this.clashes.get(r) ?? [];
  }

  /**
   * @internal The nftables firewall's table on a machine (undefined: this one): the
   * stack's, and one per Host, each made of that machine's networks and port mappings.
   */
  _useNftables(host: Host | undefined): void {
    new LabObject(host ?? this, host ? "Nftables" : "nslab-nftables", {
      stack: this,
      kind: "nftables",
      spec: () => nftablesOf(this.objects(), host),
      host: () => host,
    });
  }

  /** Every object spec the stack declares, in apply order: what `netops converge` makes true. */
  get objectSpecs(): ObjectSpec[] {
    return applyOrder(
      this.objects()
        .map((r) => r.spec)
        .filter(isObjectSpec),
    );
  }

  /** What the nslab CLI reads to work on the synthesized stack (cli/manifest.ts). */
  private manifest(): StackManifest {
    return {
      v: SPEC_VERSION,
      stack: this.node.id,
      ...(this.hostNetns ? { host: this.hostNetns } : {}),
      execution: this.execution,
      lab: this.labPath,
      runner: this.runnerPath,
      resources: Object.fromEntries(
        this.membersOf(NetopsResource)
          .filter((r) => r.resource)
          .map((r) => [addressOf(r), { role: r.role, label: r.label, path: r.node.scope!.node.path }]),
      ),
      ...(this.execution === Execution.BATCHED
        ? {
            objects: Object.fromEntries(
              this.objects().map((r) => [
                batchKey(r.spec as ObjectSpec),
                { label: r.label, path: r.node.scope!.node.path },
              ]),
            ),
          }
        : {}),
    };
  }

  /** Path of the lab file inside the synthesized stack (relative to its directory). */
  get labPath(): string {
    return this.lab().path;
  }

  /** The lab file, computed once at synth: the trigger and the file must agree. */
  private lab(): { path: string; text: string } {
    this.labCache ??= labFile({
      stack: this.node.id,
      host: this.hostNetns,
      specs: this.objectSpecs,
      expect: this.expectations.map((e) => ExpectSpec.parse(e._spec())),
      scenarios: this.scenarios.map((s) => s._spec()),
      hosts: this.hostOwners.map((r) => r.host!.remote),
      paths: Object.fromEntries(
        this.objects().flatMap((r) =>
          r.spec && isObjectSpec(r.spec) ? [[specKey(r.spec), r.node.scope!.node.path] as const] : [],
        ),
      ),
    });
    return this.labCache;
  }

  /**
   * The stack's JSON, without cdktf's construct-path metadata (`"//"`) on lab objects.
   * The cdktf CLI matches every line Terraform prints against every resource that has
   * it, to append the construct path: lines x resources, which at 400 objects cost more
   * CPU than the whole lab's kernel work (npm run bench). Logical ids already carry the
   * path (Net1_A1_Namespace_...); the owner and the gate keep theirs.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- cdktf types the stack's JSON as any
  override toTerraform(): any {
    const tf = super.toTerraform();
    const view: StackView = {
      type: TERRAFORM_TYPES[this.resourceType],
      runnerPath: this.runnerPath,
      labPath: this.labPath,
      gate: addressOf(this.gate),
      closing: addressOf(this.closing),
      objects: this.objects()
        .filter((r) => r.resource)
        .map(addressOf),
      ...(this.execution === Execution.BATCHED
        ? {
            batch: Object.fromEntries(this.objects().map((r) => [batchKey(r.objectSpec), r.line])),
          }
        : {}),
      hostOwners: this.hostOwners.map((o) => ({ address: addressOf(o), line: o.line })),
    };
    for (const r of this.membersOf(NetopsResource)) {
      const block = r.resource && tf.resource?.[this.resourceType]?.[r.resource.friendlyUniqueId];
      if (block) r.render(block, view);
    }
    const own = this.membersOf(NetopsResource).filter((r) => r.node.scope === this && r.resource);
    const moved = movedFromFormerName(own.map((r) => ({ id: r.node.id, resource: r.resource! })));
    if (moved.length) tf.moved = moved;
    return tf;
  }

  /** Path of the bundled runner inside the synthesized stack (relative to its directory). */
  get runnerPath(): string {
    this.runnerAsset ??= new TerraformAsset(this, "netops", { path: runnerBundle(), type: AssetType.FILE });
    return this.runnerAsset.path;
  }
}
