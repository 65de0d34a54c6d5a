// Two lab objects that would make the same thing on one machine (a namespace, an
// interface name, an address on a network, a host port): one check for every kind,
// derived from what the registry says each provides (model/kinds.ts clashesOf). Without
// it they synthesize, and the removal of one takes what the other made. Reported on the
// later construct, naming the earlier, with the prop and the fix.
import type { IConstruct } from "constructs";
import { clashesOf, propOfThing } from "../model/kinds";
import type { ObjectSpec } from "../model/schema";
import { message } from "./errors";

interface Claimant {
  readonly spec: ObjectSpec;
  /** The user's construct that declared it. */
  readonly owner: IConstruct;
}

/** What a provided name is, for people, and the fix; the prop of `s` that names it comes from its kind. */
function describe(name: string, s: ObjectSpec): { what: string; prop: string; fix: string } {
  const [, machine, kind, rest] = /^(?:@([^/]+)\/)?([a-z]+):(.*)$/.exec(name) ?? [];
  const where = machine ? ` on host ${machine}` : "";
  const prop = propOfThing(s, name);
  switch (kind) {
    case "netns":
      return {
        what: `namespace "${rest}"${where}`,
        prop,
        fix: "give each its own netns, or join them through one Sandbox",
      };
    case "dev": {
      const [netns, ifname] = rest.split("/");
      return {
        what: `interface "${ifname}" in namespace "${netns}"${where}`,
        prop,
        fix: "give each interface of a namespace its own name",
      };
    }
    case "hostdev":
    case "bridge":
      return { what: `host device "${rest}"${where}`, prop, fix: "give each device on a machine its own name" };
    case "addr": {
      const [bridge, address] = rest.split("/");
      return {
        what: `address ${address} on bridge ${bridge}${where}`,
        prop,
        fix: "give each endpoint of a network its own address",
      };
    }
    case "hostport": {
      const [protocol, port, ip] = rest.split("/");
      return {
        what: `${protocol} port ${port} on ${ip === "*" ? "every address" : ip}${where}`,
        prop,
        fix: "use another hostPort, or bind each mapping to its own hostIp",
      };
    }
    default:
      return { what: `"${name}"`, prop, fix: "declare it once" };
  }
}

/** Validation messages by claimant, for each clash among `all` (their order: the order declared). */
export function clashMessages(all: readonly Claimant[]): Map<Claimant, string[]> {
  const out = new Map<Claimant, string[]>();
  for (const { name, first, second } of clashesOf(all.map((c) => c.spec))) {
    const [a, b] = [all[first], all[second]];
    const { what, prop, fix } = describe(name, b.spec);
    const other = `${a.owner.node.path} (${a.owner.constructor.name})`;
    const m = message(b.owner.constructor.name, prop, `${what} is also made by ${other}`, fix);
    out.set(b, [...(out.get(b) ?? []), m]);
  }
  return out;
}
