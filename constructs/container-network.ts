// ContainerNetwork: a Linux bridge with a gateway address on a subnet, outbound
// MASQUERADE, and address management for the endpoints joined to it.
import { Construct } from "constructs";
import { NetlabValidationError, message } from "./errors";
import { contains, fromInt, hostCount, isIPv4, overlaps, parseSubnet, toInt, type Subnet } from "./ipam";
import { Firewall, LabStack } from "./lab-stack";
import { checkName, deriveName } from "./names";
import { NetopsResource } from "./netops-resource";
import { Endpoint, type EndpointOptions } from "./endpoint";

export interface ContainerNetworkProps {
  /** IPv4 subnet in CIDR form, e.g. "192.168.88.0/24" (prefix at most /30). */
  readonly subnet: string;
  /**
   * Name of the Linux bridge (at most 15 characters).
   * @default - "nl-" + the construct id, cut to fit, with a hash when cut
   */
  readonly bridgeName?: string;
  /**
   * Gateway address, set on the bridge; endpoints route through it.
   * @default - the first host address of the subnet
   */
  readonly gateway?: string;
  /**
   * MTU of the bridge and of every endpoint's veth pair.
   * @default ContainerNetwork.DEFAULT_MTU
   */
  readonly mtu?: number;
  /**
   * MASQUERADE traffic from the subnet leaving through any other interface, so
   * endpoints reach the outside with the host's address. ip_forward is turned on either way.
   * @default true
   */
  readonly masquerade?: boolean;
  /**
   * Inter-container communication: endpoints of this network reach each other. When
   * false, each endpoint's bridge port is isolated and they reach only the gateway and
   * the outside (Docker's `com.docker.network.bridge.enable_icc=false`).
   * @default true
   */
  readonly icc?: boolean;
  /**
   * No way out: nothing is forwarded from this network to anywhere but connected
   * networks, and there is no MASQUERADE (Docker's `--internal`). The host (gateway)
   * stays reachable.
   * @default false
   */
  readonly internal?: boolean;
}

const KIND = "ContainerNetwork";

export class ContainerNetwork extends Construct {
  static readonly DEFAULT_MTU = 1500;
  static readonly MIN_MTU = 68;
  static readonly MAX_MTU = 65535;

  readonly bridgeName: string;
  readonly gateway: string;
  readonly subnet: Subnet;
  readonly mtu: number;
  readonly masquerade: boolean;
  readonly icc: boolean;
  readonly internal: boolean;
  readonly resource: NetopsResource;
  /** Networks whose traffic this one lets in (see connect). */
  private readonly connected: ContainerNetwork[] = [];
  private readonly endpoints: Endpoint[] = [];
  private allocation?: Map<Endpoint, string>;

  constructor(scope: Construct, id: string, props: ContainerNetworkProps) {
    super(scope, id);
    const stack = LabStack.of(this);
    const subnet = parseSubnet(props.subnet);
    if (!subnet) {
      throw new NetlabValidationError(
        this,
        KIND,
        "subnet",
        `"${props.subnet}" is not an IPv4 CIDR`,
        'write it as address/prefix, e.g. "192.168.88.0/24"',
      );
    }
    if (subnet.hostBitsSet) {
      throw new NetlabValidationError(
        this,
        KIND,
        "subnet",
        `"${props.subnet}" has host bits set`,
        `did you mean "${subnet.network}/${subnet.prefix}"?`,
      );
    }
    if (subnet.prefix > 30) {
      throw new NetlabValidationError(
        this,
        KIND,
        "subnet",
        `/${subnet.prefix} leaves no room for a gateway and an endpoint`,
        "use a prefix of /30 or shorter",
      );
    }
    this.subnet = subnet;
    this.gateway = props.gateway ?? fromInt(subnet.first + 1);
    this.checkHostAddress("gateway", this.gateway);
    this.mtu = props.mtu ?? ContainerNetwork.DEFAULT_MTU;
    if (!Number.isInteger(this.mtu) || this.mtu < ContainerNetwork.MIN_MTU || this.mtu > ContainerNetwork.MAX_MTU) {
      throw new NetlabValidationError(
        this,
        KIND,
        "mtu",
        `${this.mtu} is out of range`,
        `use an integer from ${ContainerNetwork.MIN_MTU} to ${ContainerNetwork.MAX_MTU} (1500 for Ethernet)`,
      );
    }
    this.masquerade = props.masquerade ?? true;
    this.icc = props.icc ?? true;
    this.internal = props.internal ?? false;
    this.bridgeName =
      props.bridgeName !== undefined
        ? checkName(this, KIND, "bridgeName", props.bridgeName)
        : deriveName(`nl-${id}`, this.node.path);

    this.resource = new NetopsResource(this, "Bridge", {
      stack,
      role: "object",
      kind: "network",
      spec: () => ({
        kind: "network",
        bridge: this.bridgeName,
        subnet: subnet.network,
        prefix: subnet.prefix,
        gateway: this.gateway,
        mtu: this.mtu,
        masquerade: this.masquerade,
        // written only when not the default, so specs of networks that do not use them stay as they were
        ...(this.icc ? {} : { icc: false }),
        ...(this.internal ? { internal: true } : {}),
        ...(this.connected.length ? { connect: this.connected.map((n) => n.bridgeName).sort() } : {}),
        ...(stack.firewall === Firewall.NFTABLES ? { firewall: "nftables" as const } : {}),
      }),
    });
    stack._register(this);
    this.node.addValidation({ validate: () => this.validateStack(stack) });
  }

  /**
   * Let this network and `other` reach each other. Traffic between networks is dropped
   * unless they are connected (as Docker isolates its bridges); both must be in this stack.
   */
  connect(other: ContainerNetwork): void {
    if (other === this)
      throw new NetlabValidationError(this, KIND, "connect", "connects a network to itself", "pass another network");
    if (LabStack.of(other) !== LabStack.of(this)) {
      throw new NetlabValidationError(
        this,
        KIND,
        "connect",
        `${other.node.path} is in stack "${LabStack.of(other).node.id}"`,
        "connect networks of the same stack",
      );
    }
    if (!this.connected.includes(other)) this.connected.push(other);
    if (!other.connected.includes(this)) other.connected.push(this);
  }

  /** Join a new endpoint (a network namespace) to this network. */
  addEndpoint(id: string, options: EndpointOptions = {}): Endpoint {
    return new Endpoint(this, id, { ...options, network: this });
  }

  /** @internal called by Endpoint's constructor */
  _register(e: Endpoint): void {
    if (this.allocation) throw new Error(`${e.node.path}: endpoints must be added before synth`);
    this.endpoints.push(e);
  }

  /** The address of an endpoint: its own if it named one, else the next free host address. */
  addressOf(e: Endpoint): string {
    return this.allocate().get(e)!;
  }

  /** Throw unless `addr` is a usable host address of this subnet (not network, broadcast, gateway). */
  checkHostAddress(prop: string, addr: string, scope: Construct = this, kind = KIND): void {
    const cidr = `${this.subnet.network}/${this.subnet.prefix}`;
    if (!isIPv4(addr))
      throw new NetlabValidationError(
        scope,
        kind,
        prop,
        `"${addr}" is not an IPv4 address`,
        'write it as four decimal numbers, e.g. "192.168.88.11"',
      );
    if (!contains(this.subnet, addr))
      throw new NetlabValidationError(
        scope,
        kind,
        prop,
        `${addr} is outside the subnet ${cidr}`,
        `pick an address inside ${cidr}`,
      );
    const n = toInt(addr);
    if (n === this.subnet.first)
      throw new NetlabValidationError(
        scope,
        kind,
        prop,
        `${addr} is the network address of ${cidr}`,
        "pick a host address",
      );
    if (n === this.subnet.last)
      throw new NetlabValidationError(
        scope,
        kind,
        prop,
        `${addr} is the broadcast address of ${cidr}`,
        "pick a host address",
      );
    if (prop !== "gateway" && addr === this.gateway)
      throw new NetlabValidationError(
        scope,
        kind,
        prop,
        `${addr} is the gateway of ${cidr}`,
        "pick another host address, or leave it out to get the next free one",
      );
  }

  private allocate(): Map<Endpoint, string> {
    if (this.allocation) return this.allocation;
    const taken = new Map<string, Endpoint>([[this.gateway, undefined as unknown as Endpoint]]);
    const out = new Map<Endpoint, string>();
    for (const e of this.endpoints.filter((e) => e.requestedAddress)) {
      const a = e.requestedAddress!;
      const other = taken.get(a);
      if (taken.has(a) && other)
        throw new NetlabValidationError(
          e,
          "Endpoint",
          "address",
          `${a} is already used by ${other.node.path}`,
          "give each endpoint its own address, or leave it out",
        );
      taken.set(a, e);
      out.set(e, a);
    }
    let next = this.subnet.first + 1;
    for (const e of this.endpoints.filter((e) => !e.requestedAddress)) {
      while (next < this.subnet.last && taken.has(fromInt(next))) next++;
      if (next >= this.subnet.last) {
        throw new NetlabValidationError(
          e,
          "Endpoint",
          "address",
          `subnet ${this.subnet.network}/${this.subnet.prefix} is exhausted (${hostCount(this.subnet)} host addresses, ${this.endpoints.length} endpoints + gateway)`,
          "use a larger subnet (shorter prefix) or fewer endpoints",
        );
      }
      taken.set(fromInt(next), e);
      out.set(e, fromInt(next));
    }
    this.allocation = out;
    return out;
  }

  /** Cross-construct checks, once the whole stack exists. */
  private validateStack(stack: LabStack): string[] {
    const errors: string[] = [];
    try {
      this.allocate();
    } catch (e) {
      errors.push((e as Error).message);
    }
    const all = stack.membersOf(ContainerNetwork);
    // report each pair once, from the network that comes first
    for (const other of all.slice(all.indexOf(this) + 1)) {
      if (overlaps(this.subnet, other.subnet)) {
        errors.push(
          message(
            KIND,
            "subnet",
            `${this.subnet.network}/${this.subnet.prefix} overlaps ${other.node.path}'s ${other.subnet.network}/${other.subnet.prefix}`,
            "give each network its own, non-overlapping subnet",
          ),
        );
      }
      if (this.bridgeName === other.bridgeName) {
        errors.push(
          message(
            KIND,
            "bridgeName",
            `"${this.bridgeName}" is also the bridge of ${other.node.path}`,
            "give each network its own bridgeName",
          ),
        );
      }
    }
    return errors;
  }
}
