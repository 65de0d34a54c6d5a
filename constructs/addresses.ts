// A network's addresses: its subnet props read and checked, and each endpoint's address
// of a family, its own if it named one, else the next free host address (the gateway and
// named ones taken first, so naming an address never moves another endpoint's).
import type { Construct } from "constructs";
import { NslabValidationError } from "./errors";
import { canonical, cidrOf, fromBig, hostCount, isHost, parseSubnet, type Family, type Subnet } from "./ipam";

/** A subnet prop (`subnet`, `ipv6Subnet`) of `family`, or a clear error naming the prop. */
export function subnetProp(scope: Construct, kind: string, prop: string, cidr: string, family: Family): Subnet {
  const name = family === 4 ? "IPv4" : "IPv6";
  const net = parseSubnet(cidr);
  if (!net || net.family !== family) {
    const other = net ? (family === 4 ? "ipv6Subnet" : "subnet") : null;
    throw new NslabValidationError(
      scope,
      kind,
      prop,
      `"${cidr}" is not an ${name} CIDR${other ? ` (it is of the other family)` : ""}`,
      other
        ? `put it in ${other}`
        : `write it as address/prefix, e.g. "${family === 4 ? "192.168.88.0/24" : "fd00:88::/64"}"`,
    );
  }
  if (net.hostBitsSet)
    throw new NslabValidationError(scope, kind, prop, `"${cidr}" has host bits set`, `did you mean "${cidrOf(net)}"?`);
  const max = family === 4 ? 30 : 126;
  if (net.prefix > max)
    throw new NslabValidationError(
      scope,
      kind,
      prop,
      `/${net.prefix} leaves no room for a gateway and an endpoint`,
      `use a prefix of /${max} or shorter`,
    );
  return net;
}

/** Each endpoint's address in `subnet` (none without one); `prop` is the endpoint prop that names one. */
export function allocate<E extends Construct>(
  subnet: Subnet | undefined,
  gateway: string | undefined,
  endpoints: readonly E[],
  requested: (e: E) => string | undefined,
  prop: string,
): Map<E, string> {
  const out = new Map<E, string>();
  if (!subnet) return out;
  const family = subnet.family;
  const taken = new Map<string, E | null>([[gateway!, null]]);
  for (const e of endpoints.filter((e) => requested(e))) {
    const a = canonical(requested(e)!);
    const other = taken.get(a);
    if (other)
      throw new NslabValidationError(
        e,
        "Endpoint",
        prop,
        `${a} is already used by ${other.node.path}`,
        "give each endpoint its own address, or leave it out",
      );
    taken.set(a, e);
    out.set(e, a);
  }
  let next = subnet.first + 1n;
  for (const e of endpoints.filter((e) => !requested(e))) {
    while (isHost(subnet, next) && taken.has(fromBig(next, family))) next++;
    if (!isHost(subnet, next)) {
      throw new NslabValidationError(
        e,
        "Endpoint",
        prop,
        `subnet ${cidrOf(subnet)} is exhausted (${hostCount(subnet)} host addresses, ${endpoints.length} endpoints + gateway)`,
        "use a larger subnet (shorter prefix) or fewer endpoints",
      );
    }
    taken.set(fromBig(next, family), e);
    out.set(e, fromBig(next, family));
  }
  return out;
}
