// PortMapping: publish an endpoint's port on the host (DNAT + the FORWARD accept it needs).
import { Construct } from "constructs";
import { checkProps } from "./props";
import { NslabValidationError } from "./errors";
import type { Endpoint } from "./endpoint";
import { canonical, familyOf } from "./ipam";
import { Firewall, LabStack } from "./lab-stack";
import { LabObject } from "./lab-object";

export enum Protocol {
  TCP = "tcp",
  UDP = "udp",
}

export interface PortMappingOptions {
  /** Port on the host that clients connect to (1-65535). */
  readonly hostPort: number;
  /**
   * Port inside the endpoint.
   * @default - same as hostPort
   */
  readonly containerPort?: number;
  /**
   * Last port of a range hostPort..hostPortEnd, published to the same ports inside (a
   * range cannot be shifted: leave containerPort out or equal to hostPort).
   * @default - a single port
   */
  readonly hostPortEnd?: number;
  /**
   * @default Protocol.TCP
   */
  readonly protocol?: Protocol;
  /**
   * Only connections to this host address are forwarded.
   * @default - every local address of the host
   */
  readonly hostIp?: string;
}

export interface PortMappingProps extends PortMappingOptions {
  /** The endpoint that receives the traffic. */
  readonly endpoint: Endpoint;
}

const KIND = "PortMapping";

export class PortMapping extends Construct {
  readonly endpoint: Endpoint;
  readonly hostPort: number;
  readonly hostPortEnd?: number;
  readonly containerPort: number;
  readonly protocol: Protocol;
  readonly hostIp?: string;
  readonly resource: LabObject;

  constructor(scope: Construct, id: string, props: PortMappingProps) {
    super(scope, id);
    const stack = LabStack.of(this);
    checkProps(this, "PortMapping", props);
    if (LabStack.of(props.endpoint) !== stack) {
      throw new NslabValidationError(
        this,
        KIND,
        "endpoint",
        `${props.endpoint.node.path} belongs to stack "${LabStack.of(props.endpoint).node.id}", not "${stack.node.id}"`,
        "publish ports of endpoints in the same stack",
      );
    }
    // checked by checkProps: ports in range, a range above hostPort, protocol, hostIp
    this.endpoint = props.endpoint;
    this.hostPort = props.hostPort;
    this.containerPort = props.containerPort ?? props.hostPort;
    this.hostPortEnd = props.hostPortEnd;
    this.protocol = props.protocol ?? Protocol.TCP;
    const family = props.hostIp === undefined ? null : familyOf(props.hostIp);
    const has = { 4: this.endpoint.network.subnet, 6: this.endpoint.network.ipv6Subnet };
    if (family && !has[family]) {
      throw new NslabValidationError(
        this,
        KIND,
        "hostIp",
        `${props.hostIp} is an IPv${family} address, and ${this.endpoint.node.path} has no IPv${family} address`,
        `give its network ${family === 6 ? "an ipv6Subnet" : "a subnet"}, or publish on an IPv${family === 6 ? 4 : 6} hostIp`,
      );
    }
    this.hostIp = family === 6 ? canonical(props.hostIp!) : props.hostIp;

    this.resource = new LabObject(this, "Rules", {
      stack,
      kind: "portmap",
      fieldProps: { port: "containerPort" },
      spec: () => ({
        kind: "portmap",
        protocol: this.protocol,
        hostPort: this.hostPort,
        ...(this.hostPortEnd ? { hostPortEnd: this.hostPortEnd } : {}),
        ...(this.hostIp ? { hostIp: this.hostIp } : {}),
        // a DNAT for each family the endpoint has, unless hostIp picks one
        ...(family !== 6 && this.endpoint.address ? { address: this.endpoint.address } : {}),
        ...(family !== 4 && this.endpoint.ipv6Address ? { address6: this.endpoint.ipv6Address } : {}),
        port: this.containerPort,
        bridge: this.endpoint.network.bridgeName,
        ...(stack.firewall === Firewall.NFTABLES ? { firewall: "nftables" as const } : {}),
      }),
      // published on its endpoint's machine: the DNAT reaches the endpoint only there
      host: () => this.endpoint.host,
    });
    stack._register(this); // a host port published twice on one machine: constructs/clashes.ts
  }
}
