// Endpoint: a network namespace (the "container") joined to a ContainerNetwork by a veth
// pair, with an address of each family its network has, lo up and default routes via the
// network's gateways.
import { Lazy } from "../synth/engine";
import { checkProps } from "./props";
import { Construct } from "constructs";
import { message, refuse, type Broken } from "./errors";
import type { Impairment } from "../model/schema";
import type { ContainerNetwork } from "./container-network";
import { LabStack } from "./lab-stack";
import { delayPort, hostVeth, sandboxIfname } from "../model/kernel-names";
import { deriveName } from "./names";
import { delaySpec, impairmentSpec, type LinkImpairment } from "./impairment";
import { LabObject } from "./lab-object";
import { PortMapping, type PortMappingOptions } from "./port-mapping";
import type { Host } from "./host";
import type { Sandbox } from "./sandbox";
import { Workload, type WorkloadOptions } from "./workload";

export interface EndpointOptions {
  /**
   * IPv4 address in the network's subnet.
   * @default - the next free host address of the network, in the order endpoints were added
   */
  readonly address?: string;
  /**
   * IPv6 address in the network's ipv6Subnet (up at once: no duplicate address detection).
   * @default - the next free address of the network's ipv6Subnet, when it has one
   */
  readonly ipv6Address?: string;
  /**
   * Name of the network namespace (at most 15 characters).
   * @default - the construct id, lower-cased, cut to fit with a hash when cut
   */
  readonly netns?: string;
  /**
   * Name of the veth end inside the namespace.
   * @default Endpoint.DEFAULT_INTERFACE_NAME; in a sandbox "eth-" + the network's bridge
   * name (cut with a hash when too long), which no other endpoint joining or leaving shifts
   */
  readonly interfaceName?: string;
  /**
   * Name of the veth end on the host, attached to the bridge.
   * @default - "veth-" + netns when that fits in 15 characters, else "nlv" + a hash
   */
  readonly hostInterfaceName?: string;
  /**
   * MAC address of the inside end, e.g. "02:42:c0:a8:58:0b" (unicast).
   * @default - chosen at random by the kernel
   */
  readonly mac?: string;
  /**
   * Join this sandbox's namespace instead of making one: a sandbox joined to several
   * networks is multi-homed. `netns` must then be left out.
   * @default - the endpoint has a namespace of its own
   */
  readonly sandbox?: Sandbox;
  /**
   * Route everything else through this network's gateway. A multi-homed sandbox has
   * exactly one such endpoint, chosen explicitly.
   * @default - true for an endpoint with its own namespace; false in a sandbox
   */
  readonly defaultRoute?: boolean;
  /**
   * Nameservers for the namespace's resolv.conf (/etc/netns/<netns>/resolv.conf, which
   * `ip netns exec` and workloads see as /etc/resolv.conf). In a sandbox, set them on it.
   * @default - none: the host's resolv.conf shows through
   */
  readonly nameservers?: readonly string[];
  /**
   * Loss and a rate limit on its veth, each way; `nslab impair` changes them at run time.
   * @default - none
   */
  readonly impairment?: LinkImpairment;
  /**
   * The machine its namespace is on; its network must be there too (ContainerNetwork
   * `hosts`). In a sandbox, the sandbox's host.
   * @default - this one (in a sandbox: the sandbox's)
   */
  readonly host?: Host;
}

export interface EndpointProps extends EndpointOptions {
  /** The network this endpoint joins. */
  readonly network: ContainerNetwork;
}

const KIND = "Endpoint";

/** Where its props place it must be where its sandbox and its network are. */
function placement(props: EndpointProps): (() => Broken | false | undefined)[] {
  const host = props.sandbox ? props.sandbox.host : props.host;
  const where = (h: Host | undefined) => (h ? h.node.path : "this machine");
  return [
    () =>
      !!props.sandbox &&
      !!props.host &&
      props.host !== props.sandbox.host && {
        prop: "host",
        problem: `is ${props.host.node.path}, and its sandbox is on ${where(props.sandbox.host)}`,
        fix: "leave host out: an endpoint in a sandbox is on the sandbox's machine",
      },
    () =>
      !props.network.isOn(host) && {
        prop: props.sandbox ? "sandbox" : "host",
        problem: `places it on ${where(host)}, and ${props.network.node.path} is on ${props.network.machines.map(where).join(", ")} only`,
        fix: host
          ? `add ${host.node.path} to the network's hosts`
          : "give the endpoint one of the network's hosts, or list the stack in them (this machine)",
      },
  ];
}

export class Endpoint extends Construct {
  static readonly DEFAULT_INTERFACE_NAME = "eth0";

  readonly network: ContainerNetwork;
  readonly netns: string;
  readonly interfaceName: string;
  readonly hostInterfaceName: string;
  readonly mac?: string;
  readonly requestedAddress?: string;
  readonly requestedIpv6Address?: string;
  readonly sandbox?: Sandbox;
  readonly defaultRoute: boolean;
  /** The machine it is on; undefined: this one. */
  readonly host?: Host;
  readonly resource: LabObject;

  constructor(scope: Construct, id: string, props: EndpointProps) {
    super(scope, id);
    const stack = LabStack.of(this);
    checkProps(this, "Endpoint", props);
    this.network = props.network;
    for (const [prop, value] of [
      ["address", props.address],
      ["ipv6Address", props.ipv6Address],
    ] as const)
      if (value !== undefined) props.network.checkHostAddress(prop, value, this, KIND);
    this.requestedAddress = props.address;
    this.requestedIpv6Address = props.ipv6Address;
    refuse(this, KIND, placement(props));
    this.sandbox = props.sandbox;
    this.host = props.sandbox ? props.sandbox.host : props.host;
    this.defaultRoute = props.defaultRoute ?? !props.sandbox;
    this.netns = props.sandbox ? props.sandbox.netns : (props.netns ?? deriveName(id, this.node.path));
    this.interfaceName =
      props.interfaceName ??
      (props.sandbox ? sandboxIfname(props.network.bridgeName) : Endpoint.DEFAULT_INTERFACE_NAME);
    // in a sandbox the namespace is shared: the network's bridge tells its endpoints apart
    this.hostInterfaceName =
      props.hostInterfaceName ??
      hostVeth(stack.node.id, this.netns, props.sandbox ? props.network.bridgeName : undefined);
    if (props.mac !== undefined) this.mac = props.mac.toLowerCase();
    const impair = props.impairment ? impairmentSpec(props.impairment) : undefined;
    const delay = props.impairment ? delaySpec(props.impairment) : null;
    // a delay line's private bridge: the host end joins it, the line joins the network
    const port = delay ? delayPort(stack.node.id, this.netns, this.interfaceName) : undefined;
    props.network._register(this);
    stack._useNames(this.host);
    if (props.nameservers) stack._setNameservers(this.netns, props.nameservers, this.host);

    this.resource = this.namespace(stack, impair, port);
    if (delay && port) this.delayLine(stack, delay, port);
    stack._register(this);
    this.node.addValidation({ validate: () => this.validateStack(stack) });
  }

  /** Its veth pair, into its namespace (made with it unless a Sandbox has it), on its network's bridge. */
  private namespace(stack: LabStack, impair: Impairment | undefined, port: string | undefined): LabObject {
    return new LabObject(this, "Namespace", {
      stack,
      kind: "endpoint",
      spec: () => ({
        kind: "endpoint",
        netns: this.netns,
        hostIf: this.hostInterfaceName,
        ifname: this.interfaceName,
        ...(this.network.subnet
          ? { address: this.address, prefix: this.network.subnet.prefix, gateway: this.network.gateway }
          : {}),
        ...(this.network.ipv6Subnet
          ? { address6: this.ipv6Address, prefix6: this.network.ipv6Subnet.prefix, gateway6: this.network.ipv6Gateway }
          : {}),
        ...(this.mac ? { mac: this.mac } : {}),
        mtu: this.network.mtu,
        bridge: this.network.bridgeName,
        ...(this.network.icc ? {} : { isolated: true }),
        ...(this.sandbox ? { shared: true } : {}),
        ...(this.defaultRoute ? {} : { defaultRoute: false }),
        ...(impair && Object.keys(impair).length ? { impair } : {}),
        ...(port ? { port } : {}),
      }),
      host: () => this.host,
    });
  }

  /** Its delay line, between its private bridge `port` and the network's. */
  private delayLine(stack: LabStack, delay: { delayMs: number; jitterMs: number }, port: string): LabObject {
    return new LabObject(this, "DelayLine", {
      stack,
      kind: "delayline",
      spec: () => ({
        kind: "delayline",
        netns: this.netns,
        ifname: this.interfaceName,
        bridge: this.network.bridgeName,
        port,
        ...delay,
        ...(this.network.icc ? {} : { isolated: true }),
      }),
      host: () => this.host,
    });
  }

  /** The endpoint's IPv4 address (allocated at synth when not given); none on an IPv6-only network. */
  get address(): string | undefined {
    return this.network.addressOf(this, 4);
  }

  /** The endpoint's IPv6 address (allocated at synth when not given), when its network has IPv6. */
  get ipv6Address(): string | undefined {
    return this.network.addressOf(this, 6);
  }

  /** Its addresses, IPv4 first. */
  get addresses(): string[] {
    return [this.address, this.ipv6Address].filter((a): a is string => a !== undefined);
  }

  /** The address as a token for outputs and other constructs' props. */
  get addressToken(): string {
    return Lazy.stringValue({ produce: () => this.addresses[0] });
  }

  /** Publish a port of this endpoint on the host. */
  publish(id: string, options: PortMappingOptions): PortMapping {
    return new PortMapping(this, id, { ...options, endpoint: this });
  }

  /** Run a long-lived command in this endpoint's namespace, from deploy until destroy. */
  run(id: string, options: WorkloadOptions): Workload {
    return new Workload(this, id, { ...options, endpoint: this });
  }

  private validateStack(stack: LabStack): string[] {
    const errors: string[] = [];
    const all = stack.membersOf(Endpoint);
    // a namespace, an interface or an address made twice on one machine: constructs/clashes.ts
    if (this.sandbox) {
      const joined = all.filter((e) => e.sandbox === this.sandbox);
      const routes = joined.filter((e) => e.defaultRoute);
      if (routes.length > 1 && routes[0] !== this && this.defaultRoute) {
        errors.push(
          message(
            KIND,
            "defaultRoute",
            `sandbox ${this.sandbox.node.path} already routes by default through ${routes[0].node.path}`,
            "set defaultRoute on one endpoint of the sandbox only",
          ),
        );
      }
      if (
        joined.filter((e) => e.network === this.network).length > 1 &&
        joined.find((e) => e.network === this.network) !== this
      ) {
        errors.push(
          message(
            KIND,
            "network",
            `sandbox ${this.sandbox.node.path} already joins ${this.network.node.path}`,
            "join each network once per sandbox",
          ),
        );
      }
    }
    return errors;
  }
}
