// A direct link: a veth pair straight between two namespaces, or between a namespace and
// the host (seed 001's veth001 <-> veth), no bridge. Made from the host end when there is
// one, else from end a; the other end is created directly in its namespace.
import type { LinkSpec } from "../model/schema";
import { impairmentDrift, impairSteps, impairText, observeImpairment, type ImpairObs, type Wire } from "./impair";
import { inetOf, stateOf, type HostView, type Link } from "./observe";
import { ForeignObjectError, type Ops } from "./resource";
import { onHost, ownerMark, type Step } from "./step";

export interface LinkObs {
  readonly a: Link | null;
  readonly b: Link | null;
  /** Read only when an impairment is declared and both ends exist. */
  readonly impair?: ImpairObs;
}

/** The pair as impair.ts sees it: end a, its peer b. */
export const wireOf = (s: LinkSpec): Wire => ({
  stack: s.stack,
  host: s.host,
  netns: s.a.netns,
  ifname: s.a.ifname,
  peer: s.b,
});

type End = LinkSpec["a"];
const where = (e: End) => `${e.netns ?? "host"}/${e.ifname}`;
/** `ip` in the end's namespace, or on the host (the sandbox host when there is one). */
const ip = (s: LinkSpec, e: End, args: readonly string[]) =>
  e.netns ? ["ip", "-n", e.netns, ...args] : onHost(s, ["ip", ...args]);
const find = (links: Link[] | null, ifname: string) => (links ?? []).find((l) => l.ifname === ifname) ?? null;
const hasAddr = (l: Link, cidr: string) =>
  (l.addr_info ?? []).some((i) => i.family === "inet" && `${i.local}/${i.prefixlen}` === cidr);

async function observeEnd(e: End, view: HostView): Promise<Link | null> {
  return e.netns ? find((await view.netns(e.netns)).links, e.ifname) : view.link(e.ifname);
}

/** The end the pair is made from (and deleted by): the host's, else a. */
const ends = (s: LinkSpec): [End, End] => (s.b.netns === undefined ? [s.b, s.a] : [s.a, s.b]);

const configure = (s: LinkSpec, e: End): Step => ({
  what: `configure ${where(e)}${e.address ? ` ${e.address}` : ""}`,
  argv: ip(s, e, ["-batch", "-"]),
  input: [
    `link set dev ${e.ifname} alias ${ownerMark(s.stack)} addrgenmode none up`,
    ...(e.address ? [`addr replace ${e.address} dev ${e.ifname}`] : []),
    "",
  ].join("\n"),
});

const del = (s: LinkSpec, e: End, what = "delete veth"): Step => ({
  what: `${what} ${where(e)}`,
  argv: ip(s, e, ["link", "del", "dev", e.ifname]),
});

const endOf = (e: End, l: Link | null) => ({
  netns: e.netns ?? null,
  interface: e.ifname,
  addresses: inetOf(l),
  state: stateOf(l),
});

export const linkOps: Ops<LinkSpec, LinkObs> = {
  describe: (s, o) => ({
    a: endOf(s.a, o.a),
    b: endOf(s.b, o.b),
    mtu: s.mtu,
    impairment: o.impair ? impairText(o.impair) : null,
  }),
  label: (s) => `link ${where(s.a)} <-> ${where(s.b)}`,
  async observe(s, view) {
    const [a, b] = await Promise.all([observeEnd(s.a, view), observeEnd(s.b, view)]);
    return { a, b, impair: s.impair && a && b ? await observeImpairment(wireOf(s)) : undefined };
  },
  drift(s, o, claimed) {
    const out: string[] = [];
    for (const [end, l] of [
      [s.a, o.a],
      [s.b, o.b],
    ] as const) {
      if (!l) {
        out.push(`missing: ${where(end)}`);
        continue;
      }
      if (l.ifalias !== ownerMark(s.stack) && !claimed)
        throw new ForeignObjectError(
          `${where(end)} exists and is not netlab's; remove it or choose another interface name`,
        );
      if (end.address && !hasAddr(l, end.address)) out.push(`missing: address ${end.address} on ${where(end)}`);
      if (!l.flags.includes("UP")) out.push(`different: ${where(end)} is down`);
    }
    if (o.impair) out.push(...impairmentDrift(wireOf(s), s.impair, o.impair));
    return out;
  },
  converge(s, o) {
    const steps: Step[] = [];
    if (!o.a || !o.b) {
      if (o.a) steps.push(del(s, s.a, "delete half a link"));
      if (o.b) steps.push(del(s, s.b, "delete half a link"));
      const [first, second] = ends(s);
      if (!second.netns) throw new Error(`${linkOps.label(s)}: at most one end can be on the host`);
      const mtu = String(s.mtu);
      steps.push({
        what: `create veth ${where(first)} <-> ${where(second)}`,
        argv: ip(s, first, [
          ...["link", "add", "name", first.ifname, "mtu", mtu, "type", "veth"],
          ...["peer", "name", second.ifname, "netns", second.netns, "mtu", mtu],
        ]),
        undo: del(s, first),
      });
    }
    const impair = s.impair ? impairSteps(wireOf(s), s.impair, `impair ${where(s.a)}`) : [];
    return [...steps, configure(s, s.a), configure(s, s.b), ...impair];
  },
  // deleting one end deletes the pair
  remove(s, o, claimed) {
    const [first, second] = ends(s);
    const l = first === s.a ? o.a : o.b;
    const other = first === s.a ? o.b : o.a;
    const ours = (x: Link | null) => x && (claimed || x.ifalias === ownerMark(s.stack));
    // the impairment's table is on end a's side, which may outlive the pair (the host, a sandbox)
    const table = s.impair && ours(o.a) ? impairSteps(wireOf(s), undefined, `impair ${where(s.a)}`).slice(0, 1) : [];
    if (ours(l)) return [...table, del(s, first)];
    return ours(other) ? [...table, del(s, second)] : [];
  },
};
