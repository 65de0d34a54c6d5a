// A network's addresses: each endpoint's address of a family, its own if it named one,
// else the next free host address (the gateway and named ones taken first, so naming an
// address never moves another endpoint's).
import type { Construct } from "constructs";
import { NslabValidationError } from "./errors";
import { canonical, cidrOf, fromBig, hostCount, isHost, type Subnet } from "./ipam";

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
