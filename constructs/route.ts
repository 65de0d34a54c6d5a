// Route: a static route in a sandbox, or on the (sandbox) host when no sandbox is given.
import { Construct } from "constructs";
import { checkProps } from "./props";
import { canonical, parseSubnet } from "./ipam";
import { LabStack } from "./lab-stack";
import { LabObject } from "./lab-object";
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

export class Route extends Construct {
  readonly resource: LabObject;

  constructor(scope: Construct, id: string, props: RouteProps) {
    super(scope, id);
    const stack = LabStack.of(this);
    checkProps(this, "Route", props);
    // checked by checkProps: a CIDR with no host bits, a via of its family, a device name
    const net = parseSubnet(props.destination)!;
    const dev = props.device;
    const sandbox = props.sandbox;
    this.resource = new LabObject(this, "Route", {
      stack,
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
