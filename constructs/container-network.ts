// ContainerNetwork: a Linux bridge with a gateway address on an IPv4 subnet, an IPv6
// subnet or both, outbound MASQUERADE, and address management for the endpoints joined to it.
import { Construct } from "constructs";
import { checkProps } from "./props";
import { LIMITS } from "../model/schema";
import { allocate } from "./addresses";
import { NslabValidationError, message } from "./errors";
import {
  canonical,
  cidrOf,
  contains,
  familyOf,
  fromBig,
  isHost,
  overlaps,
  parseSubnet,
  toBig,
  type Family,
  type Subnet,
} from "./ipam";
import { Firewall, LabStack } from "./lab-stack";
import type { Host } from "./host";
import { bridgeBase } from "../model/kernel-names";
import { deriveName } from "./names";
import { spanOf, tunnelAddressOf, VXLAN_PORT, type Machine, type Tunnel } from "./network-span";
import { LabObject } from "./lab-object";
import { Endpoint, type EndpointOptions } from "./endpoint";

export interface ContainerNetworkProps {
  /**
   * IPv4 subnet in CIDR form, e.g. "192.168.88.0/24" (prefix at most /30).
   * @default - no IPv4 (an IPv6-only network: ipv6Subnet is then required)
   */
  readonly subnet?: string;
  /**
   * IPv6 subnet in CIDR form, e.g. "fd00:88::/64" (prefix at most /126). Endpoints get an
   * IPv6 address and an IPv6 default route as well (dual stack), or only those.
   * @default - no IPv6
   */
  readonly ipv6Subnet?: string;
  /**
   * IPv6 gateway address, set on the bridge.
   * @default - the first address after the subnet's, e.g. fd00:88::1
   */
  readonly ipv6Gateway?: string;
  /**
   * MASQUERADE IPv6 traffic from the subnet leaving through any other interface, as
   * Docker does by default; false is routed mode (endpoints are seen with their own addresses).
   * @default - as masquerade
   */
  readonly ipv6Masquerade?: boolean;
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
  /**
   * The machines it is on: Host constructs, and the stack itself for this machine (the
   * one Terraform runs on; give the LabStack a tunnelAddress). On two or more, each gets
   * its part of the bridge with the same gateway address and MAC, and the parts are
   * joined by VXLAN into one layer-2 network: endpoints on different machines reach each
   * other as on one bridge, and each routes out through its own machine (see docs/hosts.md).
   * @default - this machine only
   */
  readonly hosts?: readonly (Host | LabStack)[];
  /**
   * VXLAN network identifier of a network on several hosts (1 to 16777215).
   * @default - derived from the stack and bridge names (4096 and up), the same on every host
   */
  readonly vni?: number;
  /**
   * UDP port of its VXLAN tunnel, on every host (open it between the hosts).
   * @default ContainerNetwork.VXLAN_PORT (IANA's, as Docker and Linux use)
   */
  readonly vxlanPort?: number;
}

const KIND = "ContainerNetwork";

export class ContainerNetwork extends Construct {
  static readonly DEFAULT_MTU = 1500;
  static readonly MIN_MTU = LIMITS.mtu.min;
  static readonly MAX_MTU = LIMITS.mtu.max;
  static readonly VXLAN_PORT = VXLAN_PORT;

  readonly bridgeName: string;
  /** The IPv4 gateway, undefined on an IPv6-only network. */
  readonly gateway?: string;
  /** The IPv4 subnet, undefined on an IPv6-only network. */
  readonly subnet?: Subnet;
  readonly ipv6Gateway?: string;
  readonly ipv6Subnet?: Subnet;
  readonly mtu: number;
  readonly masquerade: boolean;
  readonly ipv6Masquerade: boolean;
  readonly icc: boolean;
  readonly internal: boolean;
  /** The Hosts it is on (this machine aside: see machines). */
  readonly hosts: readonly Host[];
  /** The machines it is on, in the order given: a Host, or undefined for this one. */
  readonly machines: readonly Machine[];
  /** Its VXLAN tunnel (identifier, port, device), when it spans hosts. */
  readonly tunnel?: Tunnel;
  /** Its bridge on the first (or only) machine it is on. */
  readonly resource: LabObject;
  /** Its bridge on every machine it is on. */
  readonly resources: readonly LabObject[];
  /** Networks whose traffic this one lets in (see connect). */
  private readonly connected: ContainerNetwork[] = [];
  private readonly endpoints: Endpoint[] = [];
  private allocation?: { 4: Map<Endpoint, string>; 6: Map<Endpoint, string> };

  constructor(scope: Construct, id: string, props: ContainerNetworkProps) {
    super(scope, id);
    const stack = LabStack.of(this);
    checkProps(this, "ContainerNetwork", props);
    // checked by checkProps: valid CIDRs of their families, and gateways only with their subnets
    this.subnet = props.subnet !== undefined ? parseSubnet(props.subnet)! : undefined;
    this.ipv6Subnet = props.ipv6Subnet !== undefined ? parseSubnet(props.ipv6Subnet)! : undefined;
    if (this.subnet) {
      this.gateway = props.gateway ?? fromBig(this.subnet.first + 1n, 4);
      this.checkHostAddress("gateway", this.gateway);
    }
    if (this.ipv6Subnet) {
      this.ipv6Gateway = canonical(props.ipv6Gateway ?? fromBig(this.ipv6Subnet.first + 1n, 6));
      this.checkHostAddress("ipv6Gateway", this.ipv6Gateway);
    }
    this.bridgeName = props.bridgeName ?? deriveName(bridgeBase(id), this.node.path);
    const { machines, tunnel } = spanOf(this, stack, this.bridgeName, props);
    this.machines = machines;
    this.hosts = machines.filter((m): m is Host => m !== undefined);
    this.tunnel = tunnel;
    this.mtu = props.mtu ?? ContainerNetwork.DEFAULT_MTU - (tunnel?.overhead ?? 0);
    if (tunnel && this.mtu + tunnel.overhead > ContainerNetwork.MAX_MTU)
      throw new NslabValidationError(
        this,
        KIND,
        "mtu",
        `${this.mtu} leaves no room for the tunnel's ${tunnel.overhead} bytes`,
        `use at most ${ContainerNetwork.MAX_MTU - tunnel.overhead}`,
      );
    this.masquerade = props.masquerade ?? true;
    this.ipv6Masquerade = props.ipv6Masquerade ?? this.masquerade;
    this.icc = props.icc ?? true;
    this.internal = props.internal ?? false;

    this.resources = machines.map((host) => this.bridgeOn(stack, host));
    this.resource = this.resources[0];
    if (tunnel) for (const host of machines) this.tunnelOn(stack, host, tunnel);
    stack._register(this);
    this.node.addValidation({ validate: () => this.validateStack(stack) });
  }

  /** Its VXLAN identifier, when it spans hosts. */
  get vni(): number | undefined {
    return this.tunnel?.vni;
  }

  /** Its tunnel's UDP port, when it spans hosts. */
  get vxlanPort(): number | undefined {
    return this.tunnel?.port;
  }

  /** Is it on this machine (undefined: this one). */
  isOn(host: Machine): boolean {
    return this.machines.includes(host);
  }

  /** Its tunnel on one machine: a VXLAN device on its part of the bridge, to every other machine. */
  private tunnelOn(stack: LabStack, host: Machine, tunnel: Tunnel): LabObject {
    // checked by spanOf: every machine of a tunnel has an address
    const address = (m: Machine) => tunnelAddressOf(stack, m)!;
    return new LabObject(this, host ? `Tunnel-${host.name}` : "Tunnel", {
      stack,
      kind: "vxlan",
      host: () => host,
      spec: () => ({
        kind: "vxlan",
        bridge: this.bridgeName,
        dev: tunnel.device,
        vni: tunnel.vni,
        port: tunnel.port,
        local: address(host),
        peers: this.machines.filter((h) => h !== host).map(address),
        mtu: this.mtu,
        ...(this.icc ? {} : { isolated: true as const }),
      }),
    });
  }

  /** Its bridge on one machine (the same on each: gateway, MAC, firewall). */
  private bridgeOn(stack: LabStack, host: Host | undefined): LabObject {
    // on this machine alone its id stays "Bridge", as before networks spanned hosts
    return new LabObject(this, host ? `Bridge-${host.name}` : "Bridge", {
      stack,
      kind: "network",
      host: () => host,
      spec: () => ({
        kind: "network",
        bridge: this.bridgeName,
        ...(this.subnet ? { subnet: this.subnet.network, prefix: this.subnet.prefix, gateway: this.gateway } : {}),
        ...(this.ipv6Subnet
          ? {
              subnet6: this.ipv6Subnet.network,
              prefix6: this.ipv6Subnet.prefix,
              gateway6: this.ipv6Gateway,
              masquerade6: this.ipv6Masquerade,
            }
          : {}),
        mtu: this.mtu,
        masquerade: this.masquerade,
        // written only when not the default, so specs of networks that do not use them stay as they were
        ...(this.icc ? {} : { icc: false }),
        ...(this.internal ? { internal: true } : {}),
        ...(this.connected.length ? { connect: this.connected.map((n) => n.bridgeName).sort() } : {}),
        ...(stack.firewall === Firewall.NFTABLES ? { firewall: "nftables" as const } : {}),
      }),
    });
  }

  /**
   * Let this network and `other` reach each other. Traffic between networks is dropped
   * unless they are connected (as Docker isolates its bridges); both must be in this stack.
   */
  connect(other: ContainerNetwork): void {
    if (other === this)
      throw new NslabValidationError(this, KIND, "connect", "connects a network to itself", "pass another network");
    if (LabStack.of(other) !== LabStack.of(this)) {
      throw new NslabValidationError(
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

  /** An endpoint's address of a family: its own if it named one, else the next free host address. */
  addressOf(e: Endpoint, family: Family = 4): string | undefined {
    return this.allocate()[family].get(e);
  }

  /** Throw unless `addr` is a usable host address of this network's subnet of its family (not network, broadcast, gateway). */
  checkHostAddress(prop: string, addr: string, scope: Construct = this, kind = KIND): void {
    const family = familyOf(addr);
    const subnet = family === 6 ? this.ipv6Subnet : this.subnet;
    const fail = (problem: string, fix: string) => {
      throw new NslabValidationError(scope, kind, prop, problem, fix);
    };
    if (!family)
      fail(
        `"${addr}" is not an IP address`,
        'write it as four decimal numbers, e.g. "192.168.88.11", or as IPv6, e.g. "fd00:88::11"',
      );
    if (!subnet)
      fail(
        `${addr} is an IPv${family} address, and ${this.node.path} has no IPv${family} subnet`,
        family === 6 ? "give the network an ipv6Subnet" : "give the network a subnet",
      );
    const cidr = cidrOf(subnet!);
    if (!contains(subnet!, addr)) fail(`${addr} is outside the subnet ${cidr}`, `pick an address inside ${cidr}`);
    const n = toBig(addr);
    if (n === subnet!.first) fail(`${addr} is the network address of ${cidr}`, "pick a host address");
    if (!isHost(subnet!, n)) fail(`${addr} is the broadcast address of ${cidr}`, "pick a host address");
    const gateway = family === 6 ? this.ipv6Gateway : this.gateway;
    if (!/[gG]ateway$/.test(prop) && gateway !== undefined && canonical(addr) === gateway)
      fail(`${addr} is the gateway of ${cidr}`, "pick another host address, or leave it out to get the next free one");
  }

  private allocate(): { 4: Map<Endpoint, string>; 6: Map<Endpoint, string> } {
    this.allocation ??= {
      4: allocate(this.subnet, this.gateway, this.endpoints, (e) => e.requestedAddress, "address"),
      6: allocate(this.ipv6Subnet, this.ipv6Gateway, this.endpoints, (e) => e.requestedIpv6Address, "ipv6Address"),
    };
    return this.allocation;
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
      for (const [prop, mine, theirs] of [
        ["subnet", this.subnet, other.subnet],
        ["ipv6Subnet", this.ipv6Subnet, other.ipv6Subnet],
      ] as const)
        if (mine && theirs && overlaps(mine, theirs))
          errors.push(
            message(
              KIND,
              prop,
              `${cidrOf(mine)} overlaps ${other.node.path}'s ${cidrOf(theirs)}`,
              "give each network its own, non-overlapping subnet",
            ),
          );
      const [mine, theirs] = [this.tunnel, other.tunnel];
      if (mine && theirs && mine.vni === theirs.vni && mine.port === theirs.port)
        errors.push(
          message(
            KIND,
            "vni",
            `${mine.vni} is also the VNI of ${other.node.path}, on the same UDP port`,
            "give each network spanning hosts its own vni",
          ),
        );
      // a bridge or tunnel device named twice on one machine: constructs/clashes.ts
    }
    return errors;
  }
}
