// VethLink: a veth pair straight between two sandboxes, or a sandbox and the host, no
// bridge (seed 000: ns1 and ns2 joined by veth0-1/veth0-2; seed 001: test01's veth001 and
// the host's veth). Each end may carry an address in CIDR form; addresses of different
// subnets need a Route on each side (seed 000's cross-subnet case).
import { Construct } from "constructs";
import { checkProps } from "./props";
import { NslabValidationError } from "./errors";
import { canonical, parseSubnet } from "./ipam";
import { LabStack } from "./lab-stack";
import { linkLine } from "../model/kernel-names";
import { delaySpec, impairmentSpec, type LinkImpairment } from "./impairment";
import { LabObject } from "./lab-object";
import type { Sandbox } from "./sandbox";

export interface VethLinkEnd {
  /**
   * The sandbox this end lives in.
   * @default - the host (the sandbox host when there is one); one end at most
   */
  readonly sandbox?: Sandbox;
  /** Interface name in that sandbox, or on the host (at most 15 characters). */
  readonly interfaceName: string;
  /**
   * Address with its prefix, e.g. "192.168.20.11/24".
   * @default - no address
   */
  readonly address?: string;
}

export interface VethLinkProps {
  readonly a: VethLinkEnd;
  readonly b: VethLinkEnd;
  /** @default 1500 */
  readonly mtu?: number;
  /**
   * Loss, a rate limit, delay and jitter on the link, each way; `nslab impair` changes
   * loss and rate at run time. With delay or jitter the link is two veth pairs joined by
   * a delay line on the host (docs/impairments.md).
   * @default - none
   */
  readonly impairment?: LinkImpairment;
}

const KIND = "VethLink";

export class VethLink extends Construct {
  readonly resource: LabObject;

  constructor(scope: Construct, id: string, props: VethLinkProps) {
    super(scope, id);
    const stack = LabStack.of(this);
    checkProps(this, "VethLink", props);
    // checked by checkProps: names, addresses with prefixes, two different sandboxes, an mtu a delay line carries
    const end = (e: VethLinkEnd) => {
      const [addr, prefix] = e.address?.split("/") ?? [];
      // as ip prints it
      const address = addr !== undefined ? `${canonical(addr)}/${parseSubnet(`${addr}/${prefix}`)!.prefix}` : undefined;
      return {
        ...(e.sandbox ? { netns: e.sandbox.netns } : {}),
        ifname: e.interfaceName,
        ...(address ? { address } : {}),
      };
    };
    const a = end(props.a);
    const b = end(props.b);
    const mtu = props.mtu ?? 1500;
    const impair = props.impairment ? impairmentSpec(props.impairment) : undefined;
    const delay = props.impairment ? delaySpec(props.impairment) : null;
    // a delayed link's line: a private bridge on each side, named from the link's first end
    const line = delay ? linkLine(stack.node.id, a.netns, a.ifname) : undefined;
    // both ends on one machine: a sandbox's host, and a host end is on that machine too
    const host = props.a.sandbox?.host ?? props.b.sandbox?.host;
    const ends = [props.a.sandbox, props.b.sandbox].filter((x) => x !== undefined);
    if (ends.some((sb) => sb.host !== host))
      throw new NslabValidationError(
        this,
        KIND,
        "b.sandbox",
        `is on ${ends[1]?.host?.node.path ?? "this machine"}, and a is on ${ends[0]?.host?.node.path ?? "this machine"}`,
        "join sandboxes of one machine (a veth does not cross machines)",
      );
    this.resource = new LabObject(this, "Veth", {
      stack,
      kind: "link",
      host: () => host,
      spec: () => ({
        kind: "link",
        a,
        b,
        mtu,
        ...(impair && Object.keys(impair).length ? { impair } : {}),
        ...(line ? { line } : {}),
      }),
    });
    if (delay && line) {
      // the line is named after an end in a sandbox (its relay's files and key)
      const named = a.netns ? a : b;
      new LabObject(this, "DelayLine", {
        stack,
        kind: "delayline",
        spec: () => ({
          kind: "delayline",
          netns: named.netns!,
          ifname: named.ifname,
          bridge: line.b.bridge,
          port: line.a.bridge,
          ownsBridge: true,
          ...delay,
        }),
        host: () => host,
      });
    }
    stack._register(this); // an end named as another device on its machine: constructs/clashes.ts
  }
}
