// A resource's key: its kind plus the name that makes it unique on its host. The ledger
// files are named by it, the converge matches declared and recorded objects by it, and
// lab objects' trigger lines start with it: constructs and runner share this one rule.
import type { ObjectSpec } from "./schema";

export function specKey(spec: ObjectSpec): string {
  switch (spec.kind) {
    case "network":
      return `network-${spec.bridge}`;
    case "endpoint":
      return `endpoint-${spec.netns}`;
    case "portmap":
      return `portmap-${spec.protocol}-${spec.hostIp ?? "any"}-${spec.hostPort}${spec.hostPortEnd ? `-${spec.hostPortEnd}` : ""}`;
    case "workload":
      return `workload-${spec.name}`;
    case "sandbox":
      return `sandbox-${spec.netns}`;
    case "link":
      return `link-${spec.a.netns}.${spec.a.ifname}`;
    case "route":
      return `route-${spec.netns ?? "host"}-${spec.dst.replace("/", "_")}`;
    case "names":
      return "names";
    case "nftables":
      return "nftables";
  }
}

/** Removal order: what hangs off an object goes before it (a process holds its namespace). */
export const REMOVAL_ORDER: Record<ObjectSpec["kind"], number> = { workload: 0, names: 1, route: 2, nftables: 3, portmap: 4, link: 5, endpoint: 6, sandbox: 7, network: 8 };
