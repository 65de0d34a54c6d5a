// A stack of lab constructs: picks the Terraform resource type, the sandbox host and the
// execution mode, ships the netops runner into the stack output once, writes the lab file
// (netlab/lab-<hash>.json next to cdk.tf.json: every object spec of the stack), and adds
// two resources of its own:
//   netlab-owner  created first, destroyed last; its destroy removes everything the
//                 stack has on the machine (the runner's ledger says what), which covers
//                 the creates Terraform never destroys itself (tainted, killed)
//   netlab-sweep  (default) its trigger is the lab file; its create removes what the
//                 stack recorded and no longer declares (constructs deleted from the code,
//                 whose destroy provisioner Terraform never runs), before any object is made
//   netlab-apply  (batched) instead of the sweep: its create converges the machine to the
//                 lab file in one runner call
// Every lab object is its own resource (netops-resource.ts), ordered by the registry of
// kinds (spec/kinds.ts).
import { NullProvider } from "@cdktf/provider-null/lib/provider";
import { AssetType, TerraformAsset, TerraformStack, type ISynthesisSession } from "cdktf";
// the hook TerraformAsset itself uses to write files next to cdk.tf.json (not re-exported)
import { addCustomSynthesis } from "cdktf/lib/synthesize/synthesizer";
import { Construct, type IConstruct } from "constructs";
import { createHash } from "node:crypto";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { applyOrder, parentsOf } from "../spec/kinds";
import { isObjectSpec, NETNS_RE, SPEC_VERSION, STACK_RE, type ObjectSpec } from "../spec/schema";
import { NetlabValidationError } from "./errors";
import { NetopsResource, type SpecBody } from "./netops-resource";
import { Execution, Firewall, ResourceType } from "./resource-type";
import { buildRunner } from "./runner-bundle";

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
  /**
   * Who does the kernel work: each object's own provisioners, in Terraform's order, or
   * one runner call for the whole lab (faster for hundreds of objects on a small
   * machine; see the README for what each Terraform verb means in each mode).
   * @default Execution.PER_OBJECT
   */
  readonly execution?: Execution;
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
  readonly execution: Execution;
  /** The sweep or the converge: every lab object is created after it (see the top of this file). */
  readonly gate: NetopsResource;
  private readonly members: Construct[] = [];
  private runnerAsset?: TerraformAsset;
  private labCache?: { path: string; text: string };
  private graph?: Map<NetopsResource, NetopsResource[]>;
  private hostsIndex?: { onBridge: Map<string, [string, string][]>; bridgesOf: Map<string, Set<string>> };

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
    this.execution = props.execution ?? Execution.PER_OBJECT;
    if (!Object.values(Execution).includes(this.execution)) {
      throw new NetlabValidationError(this, "LabStack", "execution", `"${this.execution}" is not an execution mode`, "use Execution.PER_OBJECT or Execution.BATCHED");
    }
    if (this.resourceType === ResourceType.NULL_RESOURCE) new NullProvider(this, "null");
    const owner = new NetopsResource(this, "netlab-owner", { stack: this, role: "owner", spec: () => ({ kind: "stack" }) });
    const batched = this.execution === Execution.BATCHED;
    this.gate = new NetopsResource(this, batched ? "netlab-apply" : "netlab-sweep", { stack: this, role: "gate", gate: batched ? "converge" : "sweep", after: owner });
    if (this.firewall === Firewall.NFTABLES) {
      new NetopsResource(this, "netlab-nftables", { stack: this, role: "object", kind: "nftables", spec: () => this.nftablesSpec() });
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

  /**
   * @internal one namespace's names: every endpoint of the networks it is on, by
   * namespace name, and its nameservers. Read from the objects' specs once, at synth.
   */
  _hostsSpec(netns: string, nameservers?: readonly string[]): SpecBody {
    if (!this.hostsIndex) {
      const endpoints = this.objects()
        .filter((r) => r.kind === "endpoint")
        .flatMap((r) => (r.spec.kind === "endpoint" ? [r.spec] : []));
      const onBridge = new Map<string, [string, string][]>();
      const bridgesOf = new Map<string, Set<string>>();
      for (const e of endpoints) {
        onBridge.set(e.bridge, [...(onBridge.get(e.bridge) ?? []), [e.address, e.netns]]);
        bridgesOf.set(e.netns, (bridgesOf.get(e.netns) ?? new Set()).add(e.bridge));
      }
      this.hostsIndex = { onBridge, bridgesOf };
    }
    const { onBridge, bridgesOf } = this.hostsIndex;
    const entries = [...(bridgesOf.get(netns) ?? [])].sort().flatMap((b) => onBridge.get(b) ?? []);
    return { kind: "hosts", netns, entries: [...new Map(entries.map((e) => [e.join(" "), e])).values()], ...(nameservers ? { nameservers: [...nameservers] } : {}) };
  }

  /** The lab objects' resources (not the owner and the gate). */
  private objects(): NetopsResource[] {
    return this.membersOf(NetopsResource).filter((r) => r.role === "object");
  }

  /** The resources a lab object lives on: those whose specs provide what its spec needs. */
  parentsOf(r: NetopsResource): NetopsResource[] {
    if (!this.graph) {
      const objects = this.objects();
      const parents = parentsOf(objects.map((o) => o.spec as ObjectSpec));
      this.graph = new Map(objects.map((o, i) => [o, parents[i].map((j) => objects[j])]));
    }
    return this.graph.get(r) ?? [];
  }

  private nftablesSpec() {
    const all = this.objects()
      .filter((r) => r.kind === "network" || r.kind === "portmap")
      .map((r) => r.spec);
    const networks = all.flatMap((s) => (s.kind === "network" ? [{ bridge: s.bridge, subnet: s.subnet, prefix: s.prefix, masquerade: s.masquerade, ...(s.icc === false ? { icc: false } : {}), ...(s.internal ? { internal: true } : {}), ...(s.connect ? { connect: s.connect } : {}) }] : []));
    const portmaps = all.flatMap((s) => (s.kind === "portmap" ? [{ bridge: s.bridge, protocol: s.protocol, hostPort: s.hostPort, ...(s.hostPortEnd ? { hostPortEnd: s.hostPortEnd } : {}), ...(s.hostIp ? { hostIp: s.hostIp } : {}), address: s.address, port: s.port }] : []));
    return { kind: "nftables" as const, networks, portmaps };
  }

  /** Every object spec the stack declares, in apply order: what `netops converge` makes true. */
  get objectSpecs(): ObjectSpec[] {
    return applyOrder(this.objects().map((r) => r.spec).filter(isObjectSpec));
  }

  /** Path of the lab file inside the synthesized stack (relative to its directory). */
  get labPath(): string {
    return this.lab().path;
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
   * path (Net1_A1_Namespace_...); the owner and the gate keep theirs.
   */
  override toTerraform(): any {
    const tf = super.toTerraform();
    for (const r of this.objects()) {
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
