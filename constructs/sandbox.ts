// Sandbox: a network namespace of its own (lo only) that endpoints and links join. With
// nothing joined it is Docker's "none" mode; joined to several networks it is
// multi-homed, and exactly one of its endpoints routes by default (defaultRoute).
import { Construct } from "constructs";
import { checkProps } from "./props";
import { LabStack } from "./lab-stack";
import { deriveName } from "./names";
import type { Host } from "./host";
import { LabObject } from "./lab-object";

export interface SandboxProps {
  /**
   * Name of the network namespace (at most 15 characters).
   * @default - the construct id, lower-cased, cut to fit with a hash when cut
   */
  readonly netns?: string;
  /**
   * Nameservers for its resolv.conf (/etc/netns/<netns>/resolv.conf, which `ip netns
   * exec` and workloads see as /etc/resolv.conf).
   * @default - none: the host's resolv.conf shows through
   */
  readonly nameservers?: readonly string[];
  /**
   * The machine it lives on, with its links, routes and workloads.
   * @default - this one
   */
  readonly host?: Host;
}

export class Sandbox extends Construct {
  readonly netns: string;
  readonly host?: Host;
  readonly resource: LabObject;

  constructor(scope: Construct, id: string, props: SandboxProps = {}) {
    super(scope, id);
    const stack = LabStack.of(this);
    checkProps(this, "Sandbox", props);
    this.netns = props.netns ?? deriveName(id, this.node.path);
    this.resource = new LabObject(this, "Namespace", {
      stack,
      kind: "sandbox",
      spec: () => ({ kind: "sandbox", netns: this.netns }),
      host: () => this.host,
    });
    this.host = props.host;
    if (props.nameservers) stack._setNameservers(this.netns, props.nameservers, props.host);
    stack._register(this); // a namespace named twice on one machine: constructs/clashes.ts
  }
}
