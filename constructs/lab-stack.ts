// A stack of lab constructs: picks the Terraform resource type and the sandbox host,
// ships the netops runner into the stack output once, and makes the machine match the
// declared lab with two resources of its own:
//   netlab-owner  created first, destroyed last; its destroy removes everything the
//                 stack has on the machine (the runner's ledger says what)
//   netlab-apply  its trigger is the lab file (netlab/lab-<hash>.json, written at synth
//                 next to cdk.tf.json: every object spec of the stack), so Terraform
//                 replaces it exactly when the declared lab changes; its create runs
//                 `netops converge`: remove what is no longer declared or is declared
//                 differently, then ensure every object, in one runner call with
//                 batched kernel commands.
// Each lab object is its own Terraform resource (spec and parent ids in its triggers,
// no provisioner), created after netlab-apply: plan and state show every object, and
// Terraform replaces exactly the objects the runner rebuilds.
//
// Why not one provisioner per object: each would start its own node runner (~90 ms of
// CPU), 400 of them for 200 endpoints with a port each: about three times the
// hand-written script's time on two cores (npm run bench). One call does it in ~1 s.
import { NullProvider } from "@cdktf/provider-null/lib/provider";
import { AssetType, Lazy, TerraformAsset, TerraformStack, type ISynthesisSession } from "cdktf";
// the hook TerraformAsset itself uses to write files next to cdk.tf.json (not re-exported)
import { addCustomSynthesis } from "cdktf/lib/synthesize/synthesizer";
import { Construct, type IConstruct } from "constructs";
import { createHash } from "node:crypto";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { REMOVAL_ORDER, specKey } from "../spec/keys";
import { isObjectSpec, NETNS_RE, SPEC_VERSION, STACK_RE, type ObjectSpec } from "../spec/schema";
import { NetlabValidationError } from "./errors";
import { NetopsResource } from "./netops-resource";
import { Firewall, ResourceType } from "./resource-type";
import { buildRunner } from "./runner-bundle";

export { Firewall, ResourceType };

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
  /**
   * Where firewall rules go: iptables, or one native nftables table for the whole stack.
   * Either way the host's own iptables FORWARD policy still applies (with nftables, a
   * host whose FORWARD policy is DROP drops the lab's forwarded traffic too).
   * @default Firewall.IPTABLES
   */
  readonly firewall?: Firewall;
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
  readonly firewall: Firewall;
  /** Runs the kernel work; every lab object is created after it (see the top of this file). */
  readonly applier: NetopsResource;
  private readonly members: Construct[] = [];
  private readonly names: NetopsResource;
  private readonly nftables?: NetopsResource;
  private readonly nameservers = new Map<string, readonly string[]>();
  private runnerAsset?: TerraformAsset;
  private labCache?: { path: string; text: string };

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
    this.firewall = props.firewall ?? Firewall.IPTABLES;
    if (!Object.values(Firewall).includes(this.firewall)) {
      throw new NetlabValidationError(this, "LabStack", "firewall", `"${this.firewall}" is not a firewall`, "use Firewall.IPTABLES or Firewall.NFTABLES");
    }
    if (this.resourceType === ResourceType.NULL_RESOURCE) new NullProvider(this, "null");
    const owner = new NetopsResource(this, "netlab-owner", { stack: this, spec: () => ({ kind: "stack" }), run: { when: "destroy", verb: "destroy", arg: "spec" } });
    this.applier = new NetopsResource(this, "netlab-apply", {
      stack: this,
      triggers: { lab: Lazy.stringValue({ produce: () => this.lab().path }) },
      run: { when: "create", verb: "converge", arg: "lab" },
      after: owner,
    });
    // /etc/netns/<ns>/hosts for every namespace with endpoints: the endpoints of the
    // networks it is on, by namespace name (and resolv.conf where nameservers are set)
    this.names = new NetopsResource(this, "netlab-names", { stack: this, spec: () => this.namesSpec() });
    if (this.firewall === Firewall.NFTABLES) {
      this.nftables = new NetopsResource(this, "netlab-nftables", { stack: this, spec: () => this.nftablesSpec() });
    }
    addCustomSynthesis(this, {
      onSynthesize: (session: ISynthesisSession) => {
        const dir = dirname(join(session.manifest.outdir, session.manifest.forStack(this).synthesizedStackPath));
        const { path, text } = this.lab();
        // one lab file at a time: older ones would only mislead a reader
        rmSync(join(dir, "netlab"), { recursive: true, force: true });
        mkdirSync(join(dir, "netlab"), { recursive: true });
        writeFileSync(join(dir, path), text);
      },
    });
  }

  /** @internal every lab construct and resource registers itself once */
  _register(member: Construct): void {
    this.members.push(member);
  }

  /**
   * The stack's lab constructs of one class, for stack-wide checks at synth. A list kept
   * as constructs are made: walking the construct tree from every construct would make
   * synth quadratic (1000 endpoints: seconds).
   */
  membersOf<T>(cls: abstract new (...args: never[]) => T): T[] {
    return this.members.filter((m): m is Construct & T => m instanceof cls);
  }

  /** @internal a sandbox or endpoint with its own namespace sets that namespace's nameservers */
  _setNameservers(netns: string, servers: readonly string[]): void {
    this.nameservers.set(netns, servers);
  }

  /** Specs of the lab objects proper (not the stack's own names and nftables resources). */
  private labObjectSpecs() {
    return this.membersOf(NetopsResource)
      .filter((r) => r.hasSpec && r !== this.names && r !== this.nftables)
      .map((r) => r.spec);
  }

  private nftablesSpec() {
    const all = this.labObjectSpecs();
    const networks = all.flatMap((s) => (s.kind === "network" ? [{ bridge: s.bridge, subnet: s.subnet, prefix: s.prefix, masquerade: s.masquerade, ...(s.icc === false ? { icc: false } : {}), ...(s.internal ? { internal: true } : {}), ...(s.connect ? { connect: s.connect } : {}) }] : []));
    const portmaps = all.flatMap((s) => (s.kind === "portmap" ? [{ bridge: s.bridge, protocol: s.protocol, hostPort: s.hostPort, ...(s.hostPortEnd ? { hostPortEnd: s.hostPortEnd } : {}), ...(s.hostIp ? { hostIp: s.hostIp } : {}), address: s.address, port: s.port }] : []));
    return { kind: "nftables" as const, networks, portmaps };
  }

  private namesSpec() {
    const all = this.labObjectSpecs();
    const endpoints = all.flatMap((s) => (s.kind === "endpoint" ? [s] : []));
    const namespaces = [...new Set([...endpoints.map((e) => e.netns), ...this.nameservers.keys()])].sort();
    const files = namespaces.map((netns) => {
      const bridges = [...new Set(endpoints.filter((e) => e.netns === netns).map((e) => e.bridge))].sort();
      const servers = this.nameservers.get(netns);
      return { netns, bridges, ...(servers ? { nameservers: [...servers] } : {}) };
    });
    const list = endpoints.map((e): [string, string, string] => [e.address, e.netns, e.bridge]);
    return { kind: "names" as const, endpoints: list, files };
  }

  /** Every object spec the stack declares, in apply order: what `netops converge` makes true. */
  get objectSpecs(): ObjectSpec[] {
    const specs = this.membersOf(NetopsResource)
      .filter((r) => r.hasSpec)
      .map((r) => r.spec)
      .filter(isObjectSpec)
      .filter((s) => s.kind !== "names" || s.files.length > 0) // no namespaces, no names to keep
      .filter((s) => s.kind !== "nftables" || s.networks.length > 0); // no networks, no table
    return specs.sort((a, b) => REMOVAL_ORDER[b.kind] - REMOVAL_ORDER[a.kind] || specKey(a).localeCompare(specKey(b)));
  }

  /** The lab file, computed once at synth: the trigger and the file must agree. */
  private lab(): { path: string; text: string } {
    if (!this.labCache) {
      const host = this.hostNetns;
      const text = JSON.stringify({ v: SPEC_VERSION, stack: this.node.id, ...(host ? { host } : {}), kind: "lab", specs: this.objectSpecs }, null, 1) + "\n";
      this.labCache = { path: `netlab/lab-${createHash("sha256").update(text).digest("hex").slice(0, 16)}.json`, text };
    }
    return this.labCache;
  }

  /**
   * The stack's JSON, without cdktf's construct-path metadata (`"//"`) on lab objects.
   * The cdktf CLI matches every line Terraform prints against every resource that has
   * it, to append the construct path: lines x resources, which at 400 objects cost more
   * CPU than the whole lab's kernel work (npm run bench). Logical ids already carry the
   * path (Net1_A1_Namespace_...); the owner and apply resources keep theirs.
   */
  override toTerraform(): any {
    const tf = super.toTerraform();
    for (const r of this.membersOf(NetopsResource)) {
      if (r.run) continue;
      const block = tf.resource?.[this.resourceType]?.[r.resource.friendlyUniqueId];
      if (block) delete block["//"];
    }
    return tf;
  }

  /** Path of the bundled runner inside the synthesized stack (relative to its directory). */
  get runnerPath(): string {
    this.runnerAsset ??= new TerraformAsset(this, "netops", { path: buildRunner(), type: AssetType.FILE });
    return this.runnerAsset.path;
  }
}
