// PortMapping: publish an endpoint's port on the host (DNAT + the FORWARD accept it needs).
import { Construct } from "constructs";
import { LIMITS } from "../model/schema";
import { NslabValidationError, within } from "./errors";
import type { Endpoint } from "./endpoint";
import { canonical, familyOf, toBig } from "./ipam";
import { Firewall, LabStack } from "./lab-stack";
import { NetopsResource } from "./netops-resource";

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
  readonly resource: NetopsResource;

  constructor(scope: Construct, id: string, props: PortMappingProps) {
    super(scope, id);
    const stack = LabStack.of(this);
    if (LabStack.of(props.endpoint) !== stack) {
      throw new NslabValidationError(
        this,
        KIND,
        "endpoint",
        `${props.endpoint.node.path} belongs to stack "${LabStack.of(props.endpoint).node.id}", not "${stack.node.id}"`,
        "publish ports of endpoints in the same stack",
      );
    }
    const port = (prop: string, v: number) => within(this, KIND, prop, v, LIMITS.port);
    this.endpoint = props.endpoint;
    this.hostPort = port("hostPort", props.hostPort);
    this.containerPort = port("containerPort", props.containerPort ?? props.hostPort);
    if (props.hostPortEnd !== undefined) {
      this.hostPortEnd = port("hostPortEnd", props.hostPortEnd);
      if (this.hostPortEnd <= this.hostPort)
        throw new NslabValidationError(
          this,
          KIND,
          "hostPortEnd",
          `${this.hostPortEnd} is not above hostPort ${this.hostPort}`,
          "give the last port of the range, above hostPort, or leave it out",
        );
      if (this.containerPort !== this.hostPort)
        throw new NslabValidationError(
          this,
          KIND,
          "containerPort",
          `${this.containerPort} differs from hostPort ${this.hostPort} in a range`,
          "publish a range to the same ports inside: leave containerPort out",
        );
    }
    this.protocol = props.protocol ?? Protocol.TCP;
    if (!Object.values(Protocol).includes(this.protocol)) {
      throw new NslabValidationError(
        this,
        KIND,
        "protocol",
        `"${this.protocol}" is not supported`,
        "use Protocol.TCP or Protocol.UDP",
      );
    }
    const family = props.hostIp === undefined ? null : familyOf(props.hostIp);
    if (props.hostIp !== undefined && !family) {
      throw new NslabValidationError(
        this,
        KIND,
        "hostIp",
        `"${props.hostIp}" is not an IP address`,
        'write it as e.g. "10.0.0.1" or "2001:db8::1", or leave it out to listen on every address',
      );
    }
    if (family === 6 && toBig(props.hostIp!) === 1n) {
      // IPv6 has no route_localnet: a packet from ::1 never leaves lo, so it cannot be DNAT'd
      // to an endpoint (Docker answers ::1 with its userland proxy)
      throw new NslabValidationError(
        this,
        KIND,
        "hostIp",
        "::1 cannot be forwarded to an endpoint (the kernel keeps IPv6 loopback on lo)",
        'use "127.0.0.1" to publish to the host only, or one of the host\'s IPv6 addresses',
      );
    }
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

    this.resource = new NetopsResource(this, "Rules", {
      stack,
      role: "object",
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
