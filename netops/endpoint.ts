// An endpoint: a network namespace (the "container") joined to a bridge by a veth pair.
// The inside end is created directly in the namespace under its final name (no move,
// no clash with the host's own eth0); addresses and routes go in with one batch.
import type { EndpointSpec } from "../spec/schema";
import { hostLink, netnsExists, nsLinks, nsRoutes, type Link, type Route } from "./observe";
import { ForeignObjectError, type Ops } from "./resource";
import { onHost, ownerMark, type Step } from "./step";

export interface EndpointObs {
  readonly nsExists: boolean;
  readonly hostLink: Link | null;
  readonly inside: Link[] | null;
  readonly routes: Route[] | null;
}

const isUp = (l: Link) => l.flags.includes("UP");

function insideProblems(s: EndpointSpec, o: EndpointObs): string[] {
  const out: string[] = [];
  const byName = new Map((o.inside ?? []).map((l) => [l.ifname, l]));
  const lo = byName.get("lo");
  const eth = byName.get(s.ifname);
  if (!lo || !isUp(lo)) out.push(`different: lo is down in ${s.netns}`);
  if (!eth) return [...out, `missing: ${s.ifname} in ${s.netns}`];
  if (!(eth.addr_info ?? []).some((a) => a.family === "inet" && a.local === s.address && a.prefixlen === s.prefix)) {
    out.push(`missing: address ${s.address}/${s.prefix} on ${s.netns}/${s.ifname}`);
  }
  if (!isUp(eth)) out.push(`different: ${s.netns}/${s.ifname} is down`);
  if (eth.mtu !== s.mtu) out.push(`different: ${s.netns}/${s.ifname} mtu ${eth.mtu}, want ${s.mtu}`);
  if (s.mac && eth.address !== s.mac) out.push(`different: ${s.netns}/${s.ifname} mac ${eth.address}, want ${s.mac}`);
  if (!(o.routes ?? []).some((r) => r.dst === "default" && r.gateway === s.gateway)) {
    out.push(`missing: default route via ${s.gateway} in ${s.netns}`);
  }
  return out;
}

const nsOwned = (s: EndpointSpec, o: EndpointObs) => (o.inside ?? []).some((l) => l.ifname === "lo" && l.ifalias === ownerMark(s.stack));
const linkOwned = (s: EndpointSpec, o: EndpointObs) => o.hostLink?.ifalias === ownerMark(s.stack);

export const endpointOps: Ops<EndpointSpec, EndpointObs> = {
  label: (s) => `endpoint ${s.netns}`,

  async observe(s) {
    const nsExists = netnsExists(s.netns);
    const [link, inside, routes] = await Promise.all([
      hostLink(s, s.hostIf),
      nsExists ? nsLinks(s.netns) : null,
      nsExists ? nsRoutes(s.netns) : null,
    ]);
    return { nsExists, hostLink: link, inside, routes };
  },

  drift(s, o, claimed) {
    if (o.nsExists && !nsOwned(s, o) && !claimed) {
      throw new ForeignObjectError(`namespace ${s.netns} exists and is not netlab's; remove it or choose another netns name`);
    }
    if (o.hostLink && !linkOwned(s, o) && !claimed) {
      throw new ForeignObjectError(`link ${s.hostIf} exists and is not netlab's; remove it or choose another hostInterfaceName`);
    }
    const out: string[] = [];
    if (!o.nsExists) out.push(`missing: namespace ${s.netns}`);
    else out.push(...insideProblems(s, o));
    const h = o.hostLink;
    if (!h) out.push(`missing: veth ${s.hostIf}`);
    else {
      if (h.master !== s.bridge) out.push(`different: ${s.hostIf} attached to ${h.master ?? "nothing"}, want ${s.bridge}`);
      if (!isUp(h)) out.push(`different: ${s.hostIf} is down`);
    }
    return out;
  },

  converge(s, o) {
    const mark = ownerMark(s.stack);
    // Inside config uses replace forms, so it is idempotent: a repair re-runs it in place
    // and workloads in the namespace keep running.
    const configure: Step = {
      what: `configure ${s.netns}: ${s.ifname} ${s.address}/${s.prefix}, default via ${s.gateway}`,
      argv: ["ip", "-n", s.netns, "-batch", "-"],
      input: [
        `link set dev lo alias ${mark} up`,
        `link set dev ${s.ifname} addrgenmode none`,
        `addr replace ${s.address}/${s.prefix} dev ${s.ifname}`,
        `link set dev ${s.ifname} up`,
        `route replace default via ${s.gateway} dev ${s.ifname}`,
        "",
      ].join("\n"),
    };
    const attach: Step = {
      what: `attach ${s.hostIf} to ${s.bridge}`,
      argv: onHost(s, ["ip", "link", "set", "dev", s.hostIf, "alias", mark, "master", s.bridge, "addrgenmode", "none", "up"]),
    };
    const inside = (o.inside ?? []).find((l) => l.ifname === s.ifname);
    if (o.nsExists && o.hostLink && inside && (!s.mac || inside.address === s.mac) && inside.mtu === s.mtu) {
      return [attach, configure];
    }
    // Anything more broken (a crash mid-create, a deleted veth) is rebuilt from scratch:
    // the whole endpoint costs three commands, and one path is easier to trust than repairs.
    const peer = ["peer", "name", s.ifname, "netns", s.netns, "mtu", String(s.mtu), ...(s.mac ? ["address", s.mac] : [])];
    return [
      ...endpointOps.remove(s, o, true),
      {
        what: `create namespace ${s.netns}`,
        argv: ["ip", "netns", "add", s.netns],
        undo: { what: `delete namespace ${s.netns}`, argv: ["ip", "netns", "del", s.netns] },
      },
      {
        what: `create veth ${s.hostIf} <-> ${s.netns}/${s.ifname} on ${s.bridge}`,
        argv: onHost(s, ["ip", "-batch", "-"]),
        input: [
          `link add name ${s.hostIf} mtu ${s.mtu} type veth ${peer.join(" ")}`,
          `link set dev ${s.hostIf} alias ${mark} master ${s.bridge} addrgenmode none up`,
          "",
        ].join("\n"),
        undo: { what: `delete veth ${s.hostIf}`, argv: onHost(s, ["ip", "link", "del", "dev", s.hostIf]) },
      },
      configure,
    ];
  },

  remove(s, o, claimed) {
    const steps: Step[] = [];
    // Delete the veth explicitly: it is then gone synchronously, so a replace that
    // reuses the name does not race the namespace's asynchronous cleanup.
    if (o.hostLink && (linkOwned(s, o) || claimed)) {
      steps.push({ what: `delete veth ${s.hostIf}`, argv: onHost(s, ["ip", "link", "del", "dev", s.hostIf]) });
    }
    if (o.nsExists && (nsOwned(s, o) || claimed)) {
      steps.push({ what: `delete namespace ${s.netns}`, argv: ["ip", "netns", "del", s.netns] });
    }
    return steps;
  },

};
