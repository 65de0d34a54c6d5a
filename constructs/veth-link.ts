// VethLink: a veth pair straight between two sandboxes, or a sandbox and the host, no
// bridge (seed 000: ns1 and ns2 joined by veth0-1/veth0-2; seed 001: test01's veth001 and
// the host's veth). Each end may carry an address in CIDR form; addresses of different
// subnets need a Route on each side (seed 000's cross-subnet case).
import { Construct } from "constructs";
import { message, NetlabValidationError } from "./errors";
import { parseSubnet } from "./ipam";
import { LabStack } from "./lab-stack";
import { checkName } from "./names";
import { impairmentSpec, type LinkImpairment } from "./impairment";
import { NetopsResource } from "./netops-resource";
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
   * Loss and a rate limit on the pair, each way; `netlab impair` changes them at run time.
   * @default - none
   */
  readonly impairment?: LinkImpairment;
}

const KIND = "VethLink";

export class VethLink extends Construct {
  readonly resource: NetopsResource;

  constructor(scope: Construct, id: string, props: VethLinkProps) {
    super(scope, id);
    const stack = LabStack.of(this);
    const end = (name: "a" | "b", e: VethLinkEnd) => {
      const ifname = checkName(this, KIND, `${name}.interfaceName`, e.interfaceName);
      if (e.address !== undefined) {
        const [addr, prefix] = e.address.split("/");
        const net = parseSubnet(`${addr}/${prefix ?? ""}`);
        if (!net || prefix === undefined) {
          throw new NetlabValidationError(
            this,
            KIND,
            `${name}.address`,
            `"${e.address}" is not an address with a prefix`,
            'write it as address/prefix, e.g. "192.168.20.11/24"',
          );
        }
      }
      return { ...(e.sandbox ? { netns: e.sandbox.netns } : {}), ifname, ...(e.address ? { address: e.address } : {}) };
    };
    const a = end("a", props.a);
    const b = end("b", props.b);
    if (!props.a.sandbox && !props.b.sandbox)
      throw new NetlabValidationError(
        this,
        KIND,
        "b.sandbox",
        "is missing, as is a.sandbox: both ends would be on the host",
        "put at least one end in a Sandbox",
      );
    if (props.a.sandbox === props.b.sandbox)
      throw new NetlabValidationError(
        this,
        KIND,
        "b.sandbox",
        "is the same sandbox as a",
        "join two different sandboxes",
      );
    const mtu = props.mtu ?? 1500;
    const impair = props.impairment ? impairmentSpec(this, KIND, "impairment", props.impairment) : undefined;
    if (props.impairment?.delayMs || props.impairment?.jitterMs)
      throw new NetlabValidationError(
        this,
        KIND,
        "impairment.delayMs",
        "is set, but a VethLink cannot delay yet (only an Endpoint can)",
        "leave delayMs and jitterMs out here, or join the sandboxes through a network and delay an endpoint",
      );
    this.resource = new NetopsResource(this, "Veth", {
      stack,
      role: "object",
      kind: "link",
      spec: () => ({ kind: "link", a, b, mtu, ...(impair && Object.keys(impair).length ? { impair } : {}) }),
    });
    stack._register(this);
    const hostEnd = [props.a, props.b].findIndex((e) => !e.sandbox);
    if (hostEnd >= 0) {
      const name = [a, b][hostEnd].ifname;
      const prop = `${"ab"[hostEnd]}.interfaceName`;
      this.node.addValidation({
        validate: () => {
          const other = (stack._hostDevices().get(name) ?? []).find((p) => p !== this.node.path);
          return other
            ? [message(KIND, prop, `"${name}" is also a host device of ${other}`, "give the host end its own name")]
            : [];
        },
      });
    }
  }
}
