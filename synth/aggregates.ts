// Specs derived from the whole stack rather than from one construct: a machine's names
// files and its nftables table. One resource each per machine: an endpoint listed once,
// where a resource per namespace would repeat a network's endpoints in each (N^2 in the
// synthesized JSON).
import type { NamesSpec, NftablesSpec, ObjectSpec, Spec } from "../model/schema";

/** A lab object's resource as these read it: its kind, its machine (undefined: this one) and its spec. */
export interface Placed<H> {
  readonly kind?: ObjectSpec["kind"];
  readonly host: H | undefined;
  readonly spec: Spec;
}

type Body<S> = Omit<S, "v" | "stack" | "host" | "remote">;

/**
 * /etc/netns/<ns>/hosts for every namespace of `host` with endpoints (every endpoint of
 * the networks it is on, wherever it is, by namespace name) and resolv.conf where
 * nameservers are set.
 */
export function namesOf<H>(
  objects: readonly Placed<H>[],
  nameservers: ReadonlyMap<string, readonly string[]>,
  host: H | undefined,
): Body<NamesSpec> {
  // by kind first: a spec is read only when it is one of these (the names' own would recurse)
  const endpoints = objects.flatMap((r) =>
    r.kind === "endpoint" && r.spec.kind === "endpoint" ? [{ r, e: r.spec }] : [],
  );
  const here = endpoints.filter(({ r }) => r.host === host).map(({ e }) => e);
  const bridgesOf = new Map<string, Set<string>>();
  for (const e of here) bridgesOf.set(e.netns, (bridgesOf.get(e.netns) ?? new Set()).add(e.bridge));
  const bridges = new Set(here.map((e) => e.bridge));
  const listed = endpoints.map(({ e }) => e).filter((e) => bridges.has(e.bridge));
  const ownNs = new Set(
    objects
      .filter((r) => r.host === host && (r.kind === "sandbox" || r.kind === "endpoint"))
      .flatMap((r) => (r.spec.kind === "sandbox" || r.spec.kind === "endpoint" ? [r.spec.netns] : [])),
  );
  const servers = [...nameservers.keys()].filter((ns) => ownNs.has(ns));
  const namespaces = [...new Set([...bridgesOf.keys(), ...servers])].sort();
  const files = namespaces.map((netns) => {
    const servers = nameservers.get(netns);
    return {
      netns,
      bridges: [...(bridgesOf.get(netns) ?? [])].sort(),
      ...(servers ? { nameservers: [...servers] } : {}),
    };
  });
  return {
    kind: "names",
    // both addresses of a dual-stack endpoint, IPv4 first
    endpoints: listed.flatMap((e) =>
      [e.address, e.address6].flatMap((a): [string, string, string][] => (a ? [[a, e.netns, e.bridge]] : [])),
    ),
    files,
  };
}

/** The nftables firewall's table on `host`: made of that machine's networks and port mappings. */
export function nftablesOf<H>(objects: readonly Placed<H>[], host: H | undefined): Body<NftablesSpec> {
  const all = objects
    .filter((r) => (r.kind === "network" || r.kind === "portmap") && r.host === host)
    .map((r) => r.spec);
  const networks = all.flatMap((s) =>
    s.kind === "network"
      ? [
          {
            bridge: s.bridge,
            ...(s.subnet ? { subnet: s.subnet, prefix: s.prefix } : {}),
            masquerade: s.masquerade,
            ...(s.subnet6 ? { subnet6: s.subnet6, prefix6: s.prefix6, masquerade6: s.masquerade6 } : {}),
            ...(s.icc === false ? { icc: false } : {}),
            ...(s.internal ? { internal: true } : {}),
            ...(s.connect ? { connect: s.connect } : {}),
          },
        ]
      : [],
  );
  const portmaps = all.flatMap((s) =>
    s.kind === "portmap"
      ? [
          {
            bridge: s.bridge,
            protocol: s.protocol,
            hostPort: s.hostPort,
            ...(s.hostPortEnd ? { hostPortEnd: s.hostPortEnd } : {}),
            ...(s.hostIp ? { hostIp: s.hostIp } : {}),
            ...(s.address ? { address: s.address } : {}),
            ...(s.address6 ? { address6: s.address6 } : {}),
            port: s.port,
          },
        ]
      : [],
  );
  return { kind: "nftables", networks, portmaps };
}
