// Route: a static route in a sandbox, or on the (sandbox) host when no sandbox is given.
import { Construct } from "constructs";
import { NslabValidationError } from "./errors";
import { canonical, familyOf, parseSubnet } from "./ipam";
import { LabStack } from "./lab-stack";
import { checkName } from "./names";
import { NetopsResource } from "./netops-resource";
import type { Sandbox } from "./sandbox";

export interface RouteProps {
  /** Destination in CIDR form, e.g. "192.168.21.0/24". */
  readonly destination: string;
  /**
   * Gateway address.
   * @default - none: the destination is on the link of `device`
   */
  readonly via?: string;
  /**
   * Output interface.
   * @default - none: the kernel picks it from `via`
   */
  readonly device?: string;
  /**
   * The sandbox whose routing table gets it.
   * @default - the host's (the sandbox host when the stack has one)
   */
  readonly sandbox?: Sandbox;
}

const KIND = "Route";

export class Route extends Construct {
  readonly resource: NetopsResource;

  constructor(scope: Construct, id: string, props: RouteProps) {
    super(scope, id);
    const stack = LabStack.of(this);
    const net = parseSubnet(props.destination);
    if (!net)
      throw new NslabValidationError(
        this,
        KIND,
        "destination",
        `"${props.destination}" is not a CIDR`,
        'write it as address/prefix, e.g. "192.168.21.0/24" or "fd00:21::/64"',
      );
    if (net.hostBitsSet)
      throw new NslabValidationError(
        this,
        KIND,
        "destination",
        `"${props.destination}" has host bits set`,
        `did you mean "${net.network}/${net.prefix}"?`,
      );
    if (props.via === undefined && props.device === undefined)
      throw new NslabValidationError(
        this,
        KIND,
        "via",
        "and device are both missing",
        "give a gateway (via), an output interface (device), or both",
      );
    if (props.via !== undefined && familyOf(props.via) !== net.family)
      throw new NslabValidationError(
        this,
        KIND,
        "via",
        `"${props.via}" is not an IPv${net.family} address, as the destination is`,
        net.family === 4 ? 'write it as four decimal numbers, e.g. "192.168.20.1"' : 'write it as e.g. "fd00:20::1"',
      );
    const dev = props.device !== undefined ? checkName(this, KIND, "device", props.device) : undefined;
    const sandbox = props.sandbox;
    this.resource = new NetopsResource(this, "Route", {
      stack,
      role: "object",
      kind: "route",
      host: () => sandbox?.host,
      spec: () => ({
        kind: "route",
        ...(sandbox ? { netns: sandbox.netns } : {}),
        dst: `${net.network}/${net.prefix}`,
        ...(props.via ? { via: canonical(props.via) } : {}),
        ...(dev ? { dev } : {}),
      }),
    });
    stack._register(this);
  }
}
