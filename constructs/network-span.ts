// Where a ContainerNetwork is (issue 13): this machine, one Host, or several Hosts whose
// parts of the network a VXLAN tunnel joins. Checked and derived here, before the
// network makes a bridge on each machine and a tunnel device on each host.
import type { Construct } from "constructs";
import { NetlabValidationError } from "./errors";
import type { Host } from "./host";
import { familyOf } from "./ipam";
import { LabStack } from "./lab-stack";
import { MAX_IFNAME, shortHash } from "./names";

const KIND = "ContainerNetwork";

export interface SpanProps {
  readonly hosts?: readonly Host[];
  readonly vni?: number;
  readonly vxlanPort?: number;
}

/** The tunnel of a network on two hosts or more. */
export interface Tunnel {
  readonly vni: number;
  readonly port: number;
  /** The VXLAN device on each host. */
  readonly device: string;
  /** What it adds to each frame: out of the network's MTU. */
  readonly overhead: number;
}

export const VXLAN_PORT = 4789;
/** What VXLAN adds to a frame over an IPv4 underlay (outer IP, UDP, VXLAN, inner Ethernet); 20 more over IPv6. */
export const VXLAN_OVERHEAD = 50;
/** Derived VNIs start above the ones people pick by hand (and Docker's overlay's first). */
const FIRST_DERIVED_VNI = 4096;
const MAX_VNI = 16_777_215;

/** The hosts it is on (none: this machine) and, on two or more, its tunnel. */
export function spanOf(
  network: Construct,
  stack: LabStack,
  bridge: string,
  props: SpanProps,
): { hosts: Host[]; tunnel?: Tunnel } {
  const fail = (prop: string, problem: string, fix: string): never => {
    throw new NetlabValidationError(network, KIND, prop, problem, fix);
  };
  const hosts = [...(props.hosts ?? [])];
  hosts.forEach((h, i) => {
    if (hosts.indexOf(h) !== i) fail("hosts", `lists ${h.node.path} twice`, "list each host once");
    if (LabStack.of(h) !== stack) fail("hosts", `${h.node.path} is in another stack`, "use hosts of this stack");
  });
  if (hosts.length < 2) {
    for (const prop of ["vni", "vxlanPort"] as const)
      if (props[prop] !== undefined)
        fail(
          prop,
          "is set on a network on one machine, which has no tunnel",
          "leave it out, or list two hosts or more in hosts",
        );
    return { hosts };
  }
  const missing = hosts.find((h) => !h.tunnelAddress);
  if (missing)
    fail(
      "hosts",
      `${missing.node.path} has no tunnel address (its address is a name)`,
      "give that Host a tunnelAddress: its IP address on the network that joins the hosts",
    );
  const families = new Set(hosts.map((h) => familyOf(h.tunnelAddress!)));
  if (families.size > 1)
    fail(
      "hosts",
      "joins hosts whose tunnel addresses are of both families",
      "give every Host a tunnelAddress of one family",
    );
  const seen = new Map<string, Host>();
  for (const h of hosts) {
    const other = seen.get(h.tunnelAddress!);
    if (other)
      fail(
        "hosts",
        `${h.node.path} and ${other.node.path} have the same tunnel address ${h.tunnelAddress}`,
        "give each Host its own tunnelAddress",
      );
    seen.set(h.tunnelAddress!, h);
  }
  for (const [prop, value, max] of [
    ["vni", props.vni, MAX_VNI],
    ["vxlanPort", props.vxlanPort, 65535],
  ] as const)
    if (value !== undefined && (!Number.isInteger(value) || value < 1 || value > max))
      fail(prop, `${value} is out of range`, `use an integer from 1 to ${max}`);
  const hash = shortHash(`${stack.node.id}/${bridge}`, 8);
  const device = `vx-${bridge}`;
  return {
    hosts,
    tunnel: {
      vni: props.vni ?? FIRST_DERIVED_VNI + (parseInt(hash, 16) % (MAX_VNI + 1 - FIRST_DERIVED_VNI)),
      port: props.vxlanPort ?? VXLAN_PORT,
      device: device.length <= MAX_IFNAME ? device : `nlt${hash}`,
      // the tunnel's headers come out of the underlay's 1500 (more over IPv6 underlays)
      overhead: VXLAN_OVERHEAD + (families.has(6) ? 20 : 0),
    },
  };
}
