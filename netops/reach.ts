// `nslab test --all-pairs`: the lab's reachability matrix. Every endpoint namespace pings
// every address of every other one, and the answer each pair should get is derived from
// the lab file where the lab says it: one network with ICC on (yes), ICC off (no),
// networks connected to each other (yes), networks that are not (no: isolation is a
// feature, as between Docker's bridges). A pair the lab leaves to the user's own veth
// links and routes is shown as observed, neither pass nor fail: the user's Expectations
// say what those should do.
import * as ipaddr from "ipaddr.js";
import type { EndpointSpec, NetworkSpec, ObjectSpec } from "../model/schema";
import { table } from "./table";

/** One ping from a namespace to an address, with what the lab says it should get. */
export interface Pair {
  readonly from: string;
  /** The target endpoint's namespace, and the address pinged. */
  readonly to: string;
  readonly address: string;
  /** true: must answer; false: must not; null: the lab does not say (user links and routes). */
  readonly want: boolean | null;
  /** The machine the ping starts on (a Host's name), when not this one. */
  readonly remote?: EndpointSpec["remote"];
}

const family = (a: string) => (a.includes(":") ? 6 : 4);
const inSubnet = (a: string, subnet: string | undefined, prefix: number | undefined) =>
  subnet !== undefined &&
  prefix !== undefined &&
  family(a) === family(subnet) &&
  ipaddr.parse(a).match(ipaddr.parseCIDR(`${subnet}/${prefix}`));

/** Every pair of endpoint namespaces, both ways, each address of the target, with its expected answer. */
export function pairsOf(specs: readonly ObjectSpec[]): Pair[] {
  const eps = specs.filter((s): s is EndpointSpec => s.kind === "endpoint");
  const networks = new Map(specs.filter((s): s is NetworkSpec => s.kind === "network").map((n) => [n.bridge, n]));
  // namespaces the user joins by hand: a link end or a route in them, or on the host
  const userPaths = new Set<string | undefined>();
  for (const s of specs) {
    if (s.kind === "link") for (const e of [s.a, s.b]) userPaths.add(e.netns);
    if (s.kind === "route") userPaths.add(s.netns);
  }
  const byNs = new Map<string, EndpointSpec[]>();
  for (const e of eps) byNs.set(e.netns, [...(byNs.get(e.netns) ?? []), e]);
  const out: Pair[] = [];
  for (const [ns, mine] of byNs) {
    for (const target of eps.filter((e) => e.netns !== ns)) {
      for (const address of [target.address, target.address6].flatMap((a) => (a ? [a] : []))) {
        const guessed = userPaths.has(undefined) || userPaths.has(ns) || userPaths.has(target.netns);
        const want = expected(mine, target, address, networks);
        out.push({
          from: ns,
          to: target.netns,
          address,
          want: want === false && guessed ? null : want,
          ...(mine[0].remote ? { remote: mine[0].remote } : {}),
        });
      }
    }
  }
  return out;
}

/**
 * Whether a namespace with endpoints `mine` reaches `address` of `target`: on the same
 * network, as ICC says; else through the network its traffic leaves by (the one whose
 * subnet holds the address, else its default route's), if that one is connected to the
 * target's. It needs an address of the family on the way out.
 */
function expected(
  mine: readonly EndpointSpec[],
  target: EndpointSpec,
  address: string,
  networks: ReadonlyMap<string, NetworkSpec>,
): boolean {
  const own = (e: EndpointSpec) => (family(address) === 4 ? e.address : e.address6);
  const same = mine.find((e) => e.bridge === target.bridge);
  if (same) return own(same) !== undefined && networks.get(target.bridge)?.icc !== false;
  const out =
    mine.find((e) => {
      const n = networks.get(e.bridge);
      return inSubnet(address, n?.subnet, n?.prefix) || inSubnet(address, n?.subnet6, n?.prefix6);
    }) ?? mine.find((e) => e.defaultRoute !== false);
  if (!out || own(out) === undefined) return false;
  const [a, b] = [networks.get(out.bridge), networks.get(target.bridge)];
  return !!(a?.connect?.includes(target.bridge) || b?.connect?.includes(out.bridge));
}

/** How one ping of a pair went (source and target namespaces), against what the lab says. */
export interface PairResult {
  readonly from: string;
  readonly to: string;
  readonly want: boolean | null;
  readonly got: boolean;
}

/** The matrix: per source and target namespace, every address's answer and verdict. */
export function matrixOf(results: readonly PairResult[]) {
  const namespaces = [...new Set(results.flatMap((r) => [r.from, r.to]))].sort();
  const cells: Record<
    string,
    Record<string, { got: "yes" | "no" | "partly"; want: boolean | null; pass: boolean | null }>
  > = {};
  for (const from of namespaces) {
    for (const to of namespaces) {
      const rs = results.filter((r) => r.from === from && r.to === to);
      if (!rs.length) continue;
      const got = rs.every((r) => r.got) ? "yes" : rs.some((r) => r.got) ? "partly" : "no";
      const judged = rs.filter((r) => r.want !== null);
      (cells[from] ??= {})[to] = {
        got,
        want: judged.length ? judged[0].want : null,
        pass: judged.length ? judged.every((r) => r.got === r.want) : null,
      };
    }
  }
  return { namespaces, cells };
}

/** The matrix as text: a row per source, a column per target. */
export function renderMatrix(m: ReturnType<typeof matrixOf>): string {
  const mark = (c: { got: string; pass: boolean | null } | undefined) =>
    !c ? "-" : `${c.got}${c.pass === null ? " ?" : c.pass ? "" : " FAIL"}`;
  const rows = m.namespaces.map((from) => [from, ...m.namespaces.map((to) => mark(m.cells[from]?.[to]))]);
  return (
    `REACHABILITY (row pings column: yes, no or partly of its addresses; FAIL: not what the lab says; ` +
    `?: left to your links and routes)\n${table(["FROM \\ TO", ...m.namespaces], rows)}\n`
  );
}
