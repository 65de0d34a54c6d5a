// Where a ContainerNetwork is (issue 13): this machine, one Host, or several machines
// (Hosts, and this one when the stack is listed) whose parts of the network a VXLAN
// tunnel joins. Checked and derived here, before the network makes a bridge and a
// tunnel device on each machine.
import type { Construct } from "constructs";
import { LIMITS } from "../model/schema";
import { NslabValidationError } from "./errors";
import type { Host } from "./host";
import { familyOf } from "./ipam";
import { LabStack } from "./lab-stack";
import { shortHash, tunnelDevice } from "../model/kernel-names";

const KIND = "ContainerNetwork";

export interface SpanProps {
  readonly hosts?: readonly (Host | LabStack)[];
  readonly vni?: number;
  readonly vxlanPort?: number;
}

/** A machine a network is on: a Host, or undefined for this one (where Terraform runs). */
export type Machine = Host | undefined;

export const machineLabel = (m: Machine) => (m ? m.node.path : "this machine");

/** A machine's address on the network that joins the hosts: a Host's own, or the stack's for this one. */
export const tunnelAddressOf = (stack: LabStack, m: Machine) => (m ? m.tunnelAddress : stack.tunnelAddress);

/** The tunnel of a network on two hosts or more. */
export interface Tunnel {
  readonly vni: number;
  readonly port: number;
  /** The VXLAN device on each machine. */
  readonly device: string;
  /** What it adds to each frame: out of the network's MTU. */
  readonly overhead: number;
}

export const VXLAN_PORT = 4789;
/** What VXLAN adds to a frame over an IPv4 underlay (outer IP, UDP, VXLAN, inner Ethernet); 20 more over IPv6. */
export const VXLAN_OVERHEAD = 50;
/** Derived VNIs start above the ones people pick by hand (and Docker's overlay's first). */
const FIRST_DERIVED_VNI = 4096;

/**
 * The machines it is on (given none: this one) and, on two or more, its tunnel with each
 * machine's address on it. The stack itself in `hosts` stands for this machine.
 */
export function spanOf(
  network: Construct,
  stack: LabStack,
  bridge: string,
  props: SpanProps,
): { machines: Machine[]; tunnel?: Tunnel } {
  const fail = (prop: string, problem: string, fix: string): never => {
    throw new NslabValidationError(network, KIND, prop, problem, fix);
  };
  const given = [...(props.hosts ?? [])];
  given.forEach((h, i) => {
    if (given.indexOf(h) !== i)
      fail("hosts", `lists ${h instanceof LabStack ? "the stack" : h.node.path} twice`, "list each host once");
    if (h instanceof LabStack) {
      if (h !== stack) fail("hosts", `lists stack ${h.node.id}, not its own`, "list its own stack for this machine");
    } else if (LabStack.of(h) !== stack) fail("hosts", `${h.node.path} is in another stack`, "use hosts of this stack");
  });
  const machines: Machine[] = given.length ? given.map((h) => (h instanceof LabStack ? undefined : h)) : [undefined];
  const addressOf = (m: Machine) => tunnelAddressOf(stack, m);
  if (machines.length < 2) {
    for (const prop of ["vni", "vxlanPort"] as const)
      if (props[prop] !== undefined)
        fail(
          prop,
          "is set on a network on one machine, which has no tunnel",
          "leave it out, or list two hosts or more in hosts",
        );
    return { machines };
  }
  const at = machines.findIndex((m) => !addressOf(m));
  const missing = machines[at];
  if (at >= 0)
    fail(
      "hosts",
      `${machineLabel(missing)} has no tunnel address${missing ? " (its address is a name)" : ""}`,
      missing
        ? "give that Host a tunnelAddress: its IP address on the network that joins the hosts"
        : "give the LabStack a tunnelAddress: this machine's IP address on the network that joins the hosts",
    );
  const families = new Set(machines.map((m) => familyOf(addressOf(m)!)));
  if (families.size > 1)
    fail(
      "hosts",
      "joins hosts whose tunnel addresses are of both families",
      "give every Host (and the LabStack, for this machine) a tunnelAddress of one family",
    );
  const seen = new Map<string, Machine>();
  for (const m of machines) {
    const address = addressOf(m)!;
    if (seen.has(address))
      fail(
        "hosts",
        `${machineLabel(m)} and ${machineLabel(seen.get(address))} have the same tunnel address ${address}`,
        "give each machine its own tunnelAddress",
      );
    seen.set(address, m);
  }
  const hash = shortHash(`${stack.node.id}/${bridge}`, 8);
  return {
    machines,
    tunnel: {
      vni: props.vni ?? FIRST_DERIVED_VNI + (parseInt(hash, 16) % (LIMITS.vni.max + 1 - FIRST_DERIVED_VNI)),
      port: props.vxlanPort ?? VXLAN_PORT,
      device: tunnelDevice(bridge, hash),
      // the tunnel's headers come out of the underlay's 1500 (more over IPv6 underlays)
      overhead: VXLAN_OVERHEAD + (families.has(6) ? 20 : 0),
    },
  };
}
