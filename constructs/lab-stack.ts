// A stack of lab constructs: picks the Terraform resource type, the sandbox host and the
// execution mode, ships the netops runner into the stack output once, writes the lab file
// (nslab/lab-<hash>.json next to cdk.tf.json: every object spec of the stack), and adds
// two resources of its own:
//   nslab-owner  created first, destroyed last; its destroy removes everything the
//                 stack has on the machine (the runner's ledger says what), which covers
//                 the creates Terraform never destroys itself (tainted, killed)
//   nslab-sweep  (default) its trigger is the lab file; its create removes what the
//                 stack recorded and no longer declares (constructs deleted from the code,
//                 whose destroy provisioner Terraform never runs), before any object is made
//   nslab-apply  (batched) instead of the sweep: its create converges the machine to the
//                 lab file in one runner call
//   nslab-converge  replaced on every apply, after every object: checks every machine of
//                 the lab against the lab file and puts right what is not as declared
//                 (a killed deploy, a reboot, a device deleted by hand), printing only that
// Every lab object is its own resource (netops-resource.ts), ordered by the registry of
// kinds (model/kinds.ts).
import { NullProvider } from "@cdktf/provider-null/lib/provider";
import { AssetType, TerraformAsset, TerraformStack, type ISynthesisSession } from "cdktf";
// the hook TerraformAsset itself uses to write files next to cdk.tf.json (not re-exported)
import { makeUniqueId } from "cdktf/lib/private/unique";
import { addCustomSynthesis } from "cdktf/lib/synthesize/synthesizer";
import { Construct, type IConstruct } from "constructs";
import { createHash } from "node:crypto";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { applyOrder, parentsOf, predecessorsOf } from "../model/kinds";
import { FORMER_SYNTH_DIR, formerOf, fromEnv } from "../model/former-name";
import { NAME } from "../model/name";
import { STACK_MANIFEST, SYNTH_DIR, type StackManifest } from "../model/manifest";
import { ExpectSpec, isObjectSpec, NETNS_RE, SPEC_VERSION, STACK_RE, type ObjectSpec } from "../model/schema";
import type { Expectation } from "./expectation";
import type { Host } from "./host";
import { NslabValidationError } from "./errors";
import { clashMessages } from "./clashes";
import { canonical, familyOf } from "./ipam";
import { NetopsResource, type SpecBody } from "./netops-resource";
import { Execution, Firewall, ResourceType } from "./resource-type";
import { runnerBundle } from "./runner-bundle";

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
  /** The sweep or the converge: every lab object is created after it (see the top of this file). */
  readonly gate: NetopsResource;
  /** nslab-converge: after every lab object, on every apply (see the top of this file). */
  readonly settle: NetopsResource;
  private readonly members: Construct[] = [];
  private readonly byClass = new Map<abstract new (...args: never[]) => unknown, Construct[]>();
  private runnerAsset?: TerraformAsset;
  private labCache?: { path: string; text: string };
  private graph?: Map<NetopsResource, { parents: NetopsResource[]; predecessors: NetopsResource[] }>;
  private clashes?: Map<unknown, string[]>;
  private readonly nameservers = new Map<string, readonly string[]>();
  /** The names resource of each machine that has namespaces with names files (undefined: this one). */
  private readonly names = new Map<Host | undefined, NetopsResource>();
  private readonly expectations: Expectation[] = [];

  constructor(scope: Construct, id: string, props: LabStackProps = {}) {
    super(scope, id);
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
    if (host !== undefined && !NETNS_RE.test(host)) {
      throw new NslabValidationError(
        this,
        "LabStack",
        "hostNetns",
        `"${host}" is not a valid namespace name (from ${props.hostNetns ? "props" : LabStack.HOST_NETNS_ENV})`,
        "use 1-15 characters from a-z, A-Z, 0-9, '-', '_', '.'",
      );
    }
    this.hostNetns = host;
    this.firewall = props.firewall ?? Firewall.IPTABLES;
    if (!Object.values(Firewall).includes(this.firewall)) {
      throw new NslabValidationError(
        this,
        "LabStack",
        "firewall",
        `"${this.firewall}" is not a firewall`,
        "use Firewall.IPTABLES or Firewall.NFTABLES",
      );
    }
    if (props.tunnelAddress !== undefined && !familyOf(props.tunnelAddress))
      throw new NslabValidationError(
        this,
        "LabStack",
        "tunnelAddress",
        `"${props.tunnelAddress}" is not an IP address`,
        'give this machine\'s address on the network that joins the hosts, e.g. "10.0.0.1"',
      );
    this.tunnelAddress = props.tunnelAddress !== undefined ? canonical(props.tunnelAddress) : undefined;
    this.execution = props.execution ?? Execution.PER_OBJECT;
    if (!Object.values(Execution).includes(this.execution)) {
      throw new NslabValidationError(
        this,
        "LabStack",
        "execution",
        `"${this.execution}" is not an execution mode`,
        "use Execution.PER_OBJECT or Execution.BATCHED",
      );
    }
    if (this.resourceType === ResourceType.NULL_RESOURCE) new NullProvider(this, "null");
    void this.runnerPath; // the asset exists before synthesis copies assets (render() reads its path)
    const owner = new NetopsResource(this, "nslab-owner", {
      stack: this,
      role: "owner",
      spec: () => ({ kind: "stack" }),
    });
    const batched = this.execution === Execution.BATCHED;
    this.gate = new NetopsResource(this, batched ? "nslab-apply" : "nslab-sweep", {
      stack: this,
      role: "gate",
      gate: batched ? "converge" : "sweep",
      after: owner,
    });
    this.settle = new NetopsResource(this, "nslab-converge", { stack: this, role: "settle", after: this.gate });
    if (props.testOnDeploy) new NetopsResource(this, "nslab-test", { stack: this, role: "test" });
    if (this.firewall === Firewall.NFTABLES) {
      this._useNftables(undefined);
    }
    addCustomSynthesis(this, {
      onSynthesize: (session: ISynthesisSession) => {
        const dir = dirname(join(session.manifest.outdir, session.manifest.forStack(this).synthesizedStackPath));
        const { path, text } = this.lab();
        // one lab file at a time: older ones would only mislead a reader
        for (const d of [SYNTH_DIR, FORMER_SYNTH_DIR]) rmSync(join(dir, d), { recursive: true, force: true });
        mkdirSync(join(dir, SYNTH_DIR), { recursive: true });
        writeFileSync(join(dir, path), text);
        writeFileSync(join(dir, STACK_MANIFEST), JSON.stringify(this.manifest(), null, 1) + "\n");
      },
    });
  }

  /** @internal an Expectation of this stack: it goes into the lab file */
  _addExpectation(e: Expectation): void {
    this.expectations.push(e);
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
    const r = new NetopsResource(host ?? this, host ? "Names" : "nslab-names", {
      stack: this,
      role: "object",
      kind: "names",
      spec: () => this.namesSpec(host),
      host: () => host,
    });
    this.names.set(host, r);
  }

  /**
   * /etc/netns/<ns>/hosts for every namespace with endpoints (every endpoint of the
   * networks it is on, by namespace name) and resolv.conf where nameservers are set. One
   * resource for the stack: the endpoints are listed once and each file is derived, where
   * a resource per namespace would repeat a network's endpoints in each (N^2 in the
   * synthesized JSON).
   */
  private namesSpec(host: Host | undefined): SpecBody {
    const all = this.objects().filter((r) => r.kind === "endpoint");
    const spec = (r: NetopsResource) => (r.spec.kind === "endpoint" ? [r.spec] : []);
    // the files of this machine's namespaces; every endpoint of their networks, wherever it is
    const here = all.filter((r) => r.host === host).flatMap(spec);
    const bridgesOf = new Map<string, Set<string>>();
    for (const e of here) bridgesOf.set(e.netns, (bridgesOf.get(e.netns) ?? new Set()).add(e.bridge));
    const bridges = new Set(here.map((e) => e.bridge));
    const endpoints = all.flatMap(spec).filter((e) => bridges.has(e.bridge));
    const ownNs = new Set(
      this.membersOf(NetopsResource)
        .filter((r) => r.host === host && (r.kind === "sandbox" || r.kind === "endpoint"))
        .flatMap((r) => (r.spec.kind === "sandbox" || r.spec.kind === "endpoint" ? [r.spec.netns] : [])),
    );
    const servers = [...this.nameservers.keys()].filter((ns) => ownNs.has(ns));
    const namespaces = [...new Set([...bridgesOf.keys(), ...servers])].sort();
    const files = namespaces.map((netns) => {
      const servers = this.nameservers.get(netns);
      return {
        netns,
        bridges: [...(bridgesOf.get(netns) ?? [])].sort(),
        ...(servers ? { nameservers: [...servers] } : {}),
      };
    });
    return {
      kind: "names",
      // both addresses of a dual-stack endpoint, IPv4 first
      endpoints: endpoints.flatMap((e) =>
        [e.address, e.address6].flatMap((a): [string, string, string][] => (a ? [[a, e.netns, e.bridge]] : [])),
      ),
      files,
    };
  }

  /** @internal The owners of the stack on other machines (Host), which the gate comes after. */
  get hostOwners(): NetopsResource[] {
    return this.membersOf(NetopsResource).filter((r) => r.role === "owner" && r.host);
  }

  /** @internal The lab objects' resources, for the test resource's depends_on. */
  get objectResources(): NetopsResource[] {
    return this.objects();
  }

  /** The lab objects' resources (not the owner and the gate). */
  private objects(): NetopsResource[] {
    return this.membersOf(NetopsResource).filter((r) => r.role === "object");
  }

  /**
   * A lab object's place in the graph (model/kinds.ts): its parents, the resources whose
   * specs provide what its spec needs (it is rebuilt with them), and its predecessors,
   * its parents and what it is only made after.
   */
  graphOf(r: NetopsResource): { parents: NetopsResource[]; predecessors: NetopsResource[] } {
    if (!this.graph) {
      const objects = this.objects();
      const specs = objects.map((o) => o.spec as ObjectSpec);
      const [parents, preds] = [parentsOf(specs), predecessorsOf(specs)];
      this.graph = new Map(
        objects.map((o, i) => [
          o,
          { parents: parents[i].map((j) => objects[j]), predecessors: preds[i].map((j) => objects[j]) },
        ]),
      );
    }
    return this.graph.get(r) ?? { parents: [], predecessors: [] };
  }

  /**
   * @internal What `r` would make that another object of the stack makes too (constructs/
   * clashes.ts), as validation messages for its construct: one look at the whole stack.
   */
  _clashesOf(r: NetopsResource): string[] {
    if (!this.clashes) {
      const claimants = this.objects().map((o) => ({ spec: o.spec as ObjectSpec, owner: o.node.scope!, r: o }));
      this.clashes = new Map([...clashMessages(claimants)].map(([c, m]) => [(c as (typeof claimants)[number]).r, m]));
    }
    return this.clashes.get(r) ?? [];
  }

  /**
   * @internal The nftables firewall's table on a machine (undefined: this one): the
   * stack's, and one per Host, each made of that machine's networks and port mappings.
   */
  _useNftables(host: Host | undefined): void {
    new NetopsResource(host ?? this, host ? "Nftables" : "nslab-nftables", {
      stack: this,
      role: "object",
      kind: "nftables",
      spec: () => this.nftablesSpec(host),
      host: () => host,
    });
  }

  private nftablesSpec(host: Host | undefined) {
    const all = this.objects()
      .filter((r) => (r.kind === "network" || r.kind === "portmap") && r.host === host)
      .map((r) => r.spec);
    const networks = all.flatMap((s) =>
      s.kind === "network"
        ? [
            {
              bridge: s.bridge,
              ...(s.subnet ? { subnet: s.subnet, prefix: s.prefix } : {}),
              masquerade: s.masquerade,
              ...(s.subnet6 ? { subnet6: s.subnet6, prefix6: s.prefix6, masquerade6: s.masquerade6 } : {}),
              ...(s.icc === false ? { icc: false } : {}),
              ...(s.internal ? { internal: true } : {}),
              ...(s.connect ? { connect: s.connect } : {}),
            },
          ]
        : [],
    );
    const portmaps = all.flatMap((s) =>
      s.kind === "portmap"
        ? [
            {
              bridge: s.bridge,
              protocol: s.protocol,
              hostPort: s.hostPort,
              ...(s.hostPortEnd ? { hostPortEnd: s.hostPortEnd } : {}),
              ...(s.hostIp ? { hostIp: s.hostIp } : {}),
              ...(s.address ? { address: s.address } : {}),
              ...(s.address6 ? { address6: s.address6 } : {}),
              port: s.port,
            },
          ]
        : [],
    );
    return { kind: "nftables" as const, networks, portmaps };
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
    };
  }

  /** Path of the lab file inside the synthesized stack (relative to its directory). */
  get labPath(): string {
    return this.lab().path;
  }

  /** The lab file, computed once at synth: the trigger and the file must agree. */
  private lab(): { path: string; text: string } {
    if (!this.labCache) {
      const host = this.hostNetns;
      const text =
        JSON.stringify(
          {
            v: SPEC_VERSION,
            stack: this.node.id,
            ...(host ? { host } : {}),
            kind: "lab",
            specs: this.objectSpecs,
            ...(this.expectations.length ? { expect: this.expectations.map((e) => ExpectSpec.parse(e._spec())) } : {}),
            ...(this.hostOwners.length ? { hosts: this.hostOwners.map((r) => r.host!.remote) } : {}),
          },
          null,
          1,
        ) + "\n";
      this.labCache = {
        path: `${SYNTH_DIR}/lab-${createHash("sha256").update(text).digest("hex").slice(0, 16)}.json`,
        text,
      };
    }
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
    for (const r of this.membersOf(NetopsResource)) {
      const block = tf.resource?.[this.resourceType]?.[r.resource.friendlyUniqueId];
      if (block) r.render(block);
    }
    const moved = this.formerAddresses();
    if (moved.length) tf.moved = moved;
    return tf;
  }

  /**
   * The stack's own resources (nslab-owner, ...) as a lab deployed under nslab's former
   * name has them in its state: Terraform moves them to their new addresses, so an upgrade
   * neither replaces the owner (whose destroy removes the whole lab) nor leaves a resource
   * whose destroy provisioner would never run (model/former-name.ts).
   */
  private formerAddresses(): { from: string; to: string }[] {
    return this.membersOf(NetopsResource)
      .filter((r) => r.node.scope === this && r.node.id.startsWith(NAME))
      .map((r) => {
        const type = r.resource.terraformResourceType;
        const from = makeUniqueId([formerOf(r.node.id), r.resource.node.id]);
        return { from: `${type}.${from}`, to: `${type}.${r.resource.friendlyUniqueId}` };
      });
  }

  /** Path of the bundled runner inside the synthesized stack (relative to its directory). */
  get runnerPath(): string {
    this.runnerAsset ??= new TerraformAsset(this, "netops", { path: runnerBundle(), type: AssetType.FILE });
    return this.runnerAsset.path;
  }
}
