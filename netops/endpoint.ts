// An endpoint: a network namespace (the "container") joined to a bridge by a veth pair.
// The inside end is created directly in the namespace under its final name (no move,
// no clash with the host's own eth0); addresses and routes go in with one batch.
import { sandboxHostOf } from "../model/schema";
import * as ipaddr from "ipaddr.js";
import type { EndpointSpec } from "../model/schema";
import { impairmentDrift, impairSteps, impairText, observeImpairment, type ImpairObs, type Wire } from "./impair";
import { hasAddress, inetOf, netnsAddLines, netnsExists, stateOf, type Link, type Route } from "./observe";
import { ForeignObjectError, type Ops } from "./resource";
import { deleteNamespaces, formerMark, hostBatch, isOwnerMark, ownerMark, type Step } from "./step";

export interface EndpointObs {
  readonly nsExists: boolean;
  readonly hostLink: Link | null;
  readonly inside: Link[] | null;
  readonly routes: Route[] | null;
  /** IPv6 routes, read only when the endpoint has an IPv6 address. */
  readonly routes6?: Route[] | null;
  /** Read only when an impairment is declared and both ends exist. */
  readonly impair?: ImpairObs;
}

/** The endpoint's veth as impair.ts sees it: the inside end, its peer on the host. */
export const wireOf = (s: EndpointSpec): Wire => ({
  stack: s.stack,
  host: sandboxHostOf(s),
  netns: s.netns,
  ifname: s.ifname,
  peer: { ifname: s.hostIf },
});

const isUp = (l: Link) => l.flags.includes("UP");

/**
 * The inside end's MAC: the spec's, else derived from the address as Docker does (02:42
 * and the four bytes of the IPv4 address; on an IPv6-only network, the last four of the
 * IPv6 one). A rebuilt endpoint (replace, taint, repair) keeps its MAC, so its
 * neighbours' ARP and neighbour entries stay right and it is reachable at once; a random
 * one would be unreachable until they expire (~25 s measured).
 */
function macOf(s: EndpointSpec): string {
  if (s.mac) return s.mac;
  const bytes = s.address ? s.address.split(".").map(Number) : ipaddr.IPv6.parse(s.address6!).toByteArray().slice(12);
  return ["02", "42", ...bytes.map((b) => b.toString(16).padStart(2, "0"))].join(":");
}

/** The endpoint's addresses with their prefixes and gateways, IPv4 first. */
/** Its default routes, as `ip -batch` lines (the kernel drops them when the link goes down: runtime.ts puts them back). */
export const defaultRoutes = (s: EndpointSpec) =>
  s.defaultRoute === false ? [] : families(s).map((f) => `route replace default via ${f.gateway} dev ${s.ifname}`);

const families = (s: EndpointSpec) => [
  ...(s.address !== undefined ? [{ address: s.address, prefix: s.prefix!, gateway: s.gateway!, six: false }] : []),
  ...(s.address6 !== undefined ? [{ address: s.address6, prefix: s.prefix6!, gateway: s.gateway6!, six: true }] : []),
];

function insideProblems(s: EndpointSpec, o: EndpointObs): string[] {
  const out: string[] = [];
  const byName = new Map((o.inside ?? []).map((l) => [l.ifname, l]));
  const lo = byName.get("lo");
  const eth = byName.get(s.ifname);
  if (!lo || !isUp(lo)) out.push(`different: lo is down in ${s.netns}`);
  if (!eth) return [...out, `missing: ${s.ifname} in ${s.netns}`];
  for (const f of families(s))
    if (!hasAddress(eth, f.address, f.prefix))
      out.push(`missing: address ${f.address}/${f.prefix} on ${s.netns}/${s.ifname}`);
  if (!isUp(eth)) out.push(`different: ${s.netns}/${s.ifname} is down`);
  if (eth.mtu !== s.mtu) out.push(`different: ${s.netns}/${s.ifname} mtu ${eth.mtu}, want ${s.mtu}`);
  if (eth.address !== macOf(s)) out.push(`different: ${s.netns}/${s.ifname} mac ${eth.address}, want ${macOf(s)}`);
  for (const f of s.defaultRoute === false ? [] : families(s))
    if (!((f.six ? o.routes6 : o.routes) ?? []).some((r) => r.dst === "default" && r.gateway === f.gateway))
      out.push(`missing: default route via ${f.gateway} in ${s.netns}`);
  return out;
}

const lo = (o: EndpointObs) => (o.inside ?? []).find((l) => l.ifname === "lo");
const nsOwned = (s: EndpointSpec, o: EndpointObs) => isOwnerMark(lo(o)?.ifalias, s.stack);
const linkOwned = (s: EndpointSpec, o: EndpointObs) => isOwnerMark(o.hostLink?.ifalias, s.stack);

/**
 * Delete what exists of the endpoint, only what is ours. Deleting the namespace takes
 * the veth with it, asynchronously; `now` also deletes the veth itself, synchronously,
 * for a rebuild that reuses its name right away (about 35 ms of kernel time more).
 */
function teardown(s: EndpointSpec, o: EndpointObs, claimed: boolean, now: boolean): Step[] {
  // a Sandbox's namespace is the Sandbox's to delete: only the veth goes, at once
  const nsOurs = !s.shared && o.nsExists && (nsOwned(s, o) || claimed);
  const linkToo = !!o.hostLink && (linkOwned(s, o) || claimed) && (now || !nsOurs);
  // in a Sandbox's namespace, the impairment's table outlives the veth: it goes first
  const table =
    s.shared && s.impair && o.nsExists
      ? impairSteps(wireOf(s), undefined, `impair ${s.netns}/${s.ifname}`).slice(0, 1)
      : [];
  return [
    ...table,
    ...(linkToo ? [hostBatch(s, `delete veth ${s.hostIf}`, [`link del dev ${s.hostIf}`], undefined, true)] : []),
    ...(nsOurs ? [deleteNamespaces(`delete namespace ${s.netns}`, [s.netns])] : []),
  ];
}

export const endpointOps: Ops<EndpointSpec, EndpointObs> = {
  describe(s, o) {
    const eth = (o.inside ?? []).find((l) => l.ifname === s.ifname) ?? null;
    const route = (o.routes ?? []).find((r) => r.dst === "default");
    return {
      netns: s.netns,
      interface: s.ifname,
      network: s.bridge,
      addresses: inetOf(eth),
      mac: eth?.address ?? null,
      state: stateOf(eth),
      hostInterface: s.hostIf,
      hostState: stateOf(o.hostLink),
      defaultVia: route?.gateway ?? null,
      // read when one is declared: what the veth carries now (nslab impair may have changed it)
      impairment: o.impair ? impairText(o.impair) : null,
    };
  },

  async observe(s, view, toRemove) {
    if (toRemove?.claimed) {
      // removing one of ours: existence is all that matters, and it costs no process
      return { nsExists: netnsExists(s.netns), hostLink: await view.link(s.hostIf), inside: null, routes: null };
    }
    const [link, inside] = await Promise.all([view.link(s.hostIf), view.netns(s.netns)]);
    const both = link && (inside.links ?? []).some((l) => l.ifname === s.ifname);
    const impair = s.impair && both ? await observeImpairment(wireOf(s)) : undefined;
    const routes6 = s.address6 !== undefined ? await view.routes6(s.netns) : undefined;
    return {
      nsExists: inside.links !== null,
      hostLink: link,
      inside: inside.links,
      routes: inside.routes,
      routes6,
      impair,
    };
  },

  drift(s, o, claimed) {
    if (o.nsExists && !s.shared && !nsOwned(s, o) && !claimed) {
      throw new ForeignObjectError(
        `namespace ${s.netns} exists and is not nslab's; remove it or choose another netns name`,
      );
    }
    if (o.hostLink && !linkOwned(s, o) && !claimed) {
      throw new ForeignObjectError(
        `link ${s.hostIf} exists and is not nslab's; remove it or choose another hostInterfaceName`,
      );
    }
    const out: string[] = [];
    if (!o.nsExists) out.push(`missing: namespace ${s.netns}`);
    else out.push(...insideProblems(s, o));
    const h = o.hostLink;
    if (!h) out.push(`missing: veth ${s.hostIf}`);
    else {
      if (h.master !== (s.port ?? s.bridge))
        out.push(`different: ${s.hostIf} attached to ${h.master ?? "nothing"}, want ${s.port ?? s.bridge}`);
      if (!isUp(h)) out.push(`different: ${s.hostIf} is down`);
      if ((h.linkinfo?.info_slave_data?.isolated ?? false) !== (s.isolated ?? false))
        out.push(
          `different: ${s.hostIf} port isolation ${s.isolated ? "off" : "on"}, want ${s.isolated ? "on" : "off"}`,
        );
      if (h.linkinfo?.info_slave_data?.hairpin === false) out.push(`different: ${s.hostIf} hairpin off, want on`);
    }
    if (o.impair) out.push(...impairmentDrift(wireOf(s), s.impair, o.impair));
    const former = [...(s.shared ? [] : [lo(o)]), h].filter((l) => l && l.ifalias === formerMark(s.stack));
    if (former.length)
      out.push(`different: ${former.map((l) => l!.ifname).join(", ")} marked under nslab's former name`);
    return out;
  },

  converge(s, o) {
    const mark = ownerMark(s.stack);
    // Inside config uses replace forms, so it is idempotent: a repair re-runs it in place
    // and workloads in the namespace keep running.
    const route = s.defaultRoute !== false;
    const fams = families(s);
    const configure: Step = {
      what: `configure ${s.netns}: ${s.ifname} ${fams.map((f) => `${f.address}/${f.prefix}`).join(", ")}${
        route ? `, default via ${fams.map((f) => f.gateway).join(", ")}` : ""
      }`,
      argv: ["ip", "-n", s.netns, "-batch", "-"],
      // IPv6: no link-local address (addrgenmode none), and the static one up at once
      // (nodad) rather than after a second of duplicate address detection
      input: [
        ...(s.shared ? [] : [`link set dev lo alias ${mark} up`]),
        `link set dev ${s.ifname} addrgenmode none`,
        ...fams.map((f) => `addr replace ${f.address}/${f.prefix} dev ${s.ifname}${f.six ? " nodad" : ""}`),
        `link set dev ${s.ifname} up`,
        ...defaultRoutes(s),
        "",
      ].join("\n"),
    };
    const attach = `link set dev ${s.hostIf} alias ${mark} master ${s.port ?? s.bridge} addrgenmode none up`;
    // ICC off: an isolated bridge port cannot talk to the network's other isolated ports,
    // only to the bridge itself (the gateway), at layer 2, with no netfilter involved
    // hairpin: a connection from this endpoint to a published port of its own, DNAT'd by
    // the host (br_netfilter), goes back out the port it came in by
    const isolation = `link set dev ${s.hostIf} type bridge_slave isolated ${s.isolated ? "on" : "off"} hairpin on`;
    const inside = (o.inside ?? []).find((l) => l.ifname === s.ifname);
    const impair = s.impair ? impairSteps(wireOf(s), s.impair, `impair ${s.netns}/${s.ifname}`) : [];
    if (o.nsExists && o.hostLink && inside && inside.address === macOf(s) && inside.mtu === s.mtu) {
      return [hostBatch(s, `attach ${s.hostIf} to ${s.bridge}`, [attach, isolation]), configure, ...impair];
    }
    // Anything more broken (a crash mid-create, a deleted veth) is rebuilt from scratch:
    // one path is easier to trust than many repairs. The namespace is created by the
    // same host batch as the veth, whose inside end is made in it under its final name.
    const peer = ["peer", "name", s.ifname, "netns", s.netns, "mtu", String(s.mtu), "address", macOf(s)];
    const veth = [`link add name ${s.hostIf} mtu ${s.mtu} type veth ${peer.join(" ")}`, attach, isolation];
    if (s.shared) {
      // joining a Sandbox's namespace (it exists: sandboxes are made first)
      return [
        ...teardown(s, o, true, true),
        hostBatch(
          s,
          `create veth ${s.hostIf} <-> ${s.netns}/${s.ifname} on ${s.bridge}`,
          veth,
          hostBatch(s, `delete veth ${s.hostIf}`, [`link del dev ${s.hostIf}`], undefined, true),
        ),
        configure,
        ...impair,
      ];
    }
    return [
      ...teardown(s, o, true, true),
      hostBatch(
        s,
        `create namespace ${s.netns} and veth ${s.hostIf} <-> ${s.netns}/${s.ifname} on ${s.bridge}`,
        [...netnsAddLines(s.netns), ...veth],
        hostBatch(
          s,
          `delete veth ${s.hostIf} and namespace ${s.netns}`,
          [`link del dev ${s.hostIf}`, `netns del ${s.netns}`],
          undefined,
          true,
        ),
      ),
      configure,
      ...impair,
    ];
  },

  remove: (s, o, claimed) => teardown(s, o, claimed, false),

  // the namespace's veth goes a moment after the namespace: its name is free once it has
  gone: async (s, view) => !(await view.link(s.hostIf)),
  // a process still in the namespace keeps it, and the veth, alive: delete the veth itself
  finish: (s) =>
    hostBatch(
      s,
      `delete veth ${s.hostIf} (a process holds its namespace)`,
      [`link del dev ${s.hostIf}`],
      undefined,
      true,
    ),
};
