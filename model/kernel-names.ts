// The kernel names nslab derives when a prop leaves one out, every prefix in one place:
// each belongs to one kind of object, so two objects never derive the same name. The `nl`
// prefixes predate the rename and stay (docs/former-name.md): a new one would replace
// every such object of every deployed lab.
import { createHash } from "node:crypto";
import { NAME } from "./name";

/** Linux IFNAMSIZ - 1. */
export const MAX_IFNAME = 15;

export function shortHash(s: string, len = 5): string {
  return createHash("sha256").update(s).digest("hex").slice(0, len);
}

/** A network's bridge, before it is cut to fit: "nl-" + the construct id. */
export const bridgeBase = (id: string) => `nl-${id}`;

/**
 * An endpoint's interface in a sandbox, named after the network it joins. Numbering them
 * in joining order (eth0, eth1, ...) would shift a name when an earlier endpoint leaves
 * the code, and rebuild the endpoint under it; Docker keeps a container's names across a
 * disconnect, and a declared lab can only do so with names that depend on nothing else.
 * Bridge names are unique in a stack, so these are too.
 */
export function sandboxIfname(bridge: string): string {
  const name = `eth-${bridge}`;
  return name.length <= MAX_IFNAME ? name : `eth-${bridge.slice(0, 5)}-${shortHash(bridge)}`;
}

/** An endpoint's host-side veth: veth-<netns> (in a sandbox v-<netns>-<bridge>), or nlv<hash> when too long. */
export function hostVeth(stack: string, netns: string, sandboxBridge?: string): string {
  const name = sandboxBridge ? `v-${netns}-${sandboxBridge}` : `veth-${netns}`;
  // every derived name unique: in a sandbox the namespace is shared, the bridge tells its endpoints apart
  return name.length <= MAX_IFNAME
    ? name
    : `nlv${shortHash(`${stack}/${netns}${sandboxBridge ? `/${sandboxBridge}` : ""}`, 8)}`;
}

/** A delayed endpoint's private bridge, which its host end joins and its delay line serves. */
export const delayPort = (stack: string, netns: string, ifname: string) =>
  `nlp${shortHash(`${stack}/${netns}/${ifname}`, 7)}`;

/** A delayed link's line: a private bridge and a veth peer on each side, named from the link's first end. */
export function linkLine(stack: string, netns: string | undefined, ifname: string) {
  const h = shortHash(`${stack}/${netns ?? ""}/${ifname}`, 7);
  return { a: { bridge: `nlp${h}`, peer: `nlx${h}` }, b: { bridge: `nlq${h}`, peer: `nly${h}` } };
}

/** The parts of a delay line, from its port's hash: its namespace, its veth there, its two tunnels. */
export function delayLineNames(port: string) {
  const h = port.slice(3); // "nlp" + hash
  return { hash: h, ns: `nld-${h}`, under: `nld${h}`, a: `nla${h}`, b: `nlb${h}` };
}

/** A network's VXLAN device: vx-<bridge>, or nlt<hash> when that is too long. */
export function tunnelDevice(bridge: string, hash: string): string {
  const device = `vx-${bridge}`;
  return device.length <= MAX_IFNAME ? device : `nlt${hash}`;
}

/** The namespace `nslab test` checks from outside with (a namespace, not an interface: nlt- with a dash). */
export const outsideNetns = (hex: string) => `nlt-${hex}`;

/** A stack's nftables table (family inet), with its port mappings' rules (nftables firewall). */
export const nftTable = (stack: string) => `${NAME}-${stack}`;
