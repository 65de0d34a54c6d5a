// A direct link: a veth pair straight between two namespaces, or between a namespace and
// the host (seed 001's veth001 <-> veth), no bridge. Made from the host end when there is
// one, else from end a; the other end is created directly in its namespace. A delayed link
// is two pairs instead, each end's peer on the host on its side of a delay line
// (delayline.ts), which carries the frames from one peer to the other.
import { sandboxHostOf } from "../model/schema";
import { labelOf } from "../model/kinds";
import type { LinkSpec } from "../model/schema";
import { impairmentDrift, impairSteps, impairText, observeImpairment, type ImpairObs, type Wire } from "./impair";
import { inetOf, stateOf, type HostView, type Link } from "./observe";
import { ForeignObjectError, type Ops } from "./resource";
import { formerMark, hostBatch, isOwnerMark, inSandboxHost, ownerMark, type Step } from "./step";

export interface LinkObs {
  readonly a: Link | null;
  readonly b: Link | null;
  /** A delayed link's host-side peers of a and b. */
  readonly peers?: readonly [Link | null, Link | null];
  /** Read only when an impairment is declared and both ends exist. */
  readonly impair?: ImpairObs;
}

/** The pair as impair.ts sees it: end a, its peer b. */
export const wireOf = (s: LinkSpec): Wire => ({
  stack: s.stack,
  host: sandboxHostOf(s),
  netns: s.a.netns,
  ifname: s.a.ifname,
  peer: s.b,
});

type End = LinkSpec["a"];
const where = (e: End) => `${e.netns ?? "host"}/${e.ifname}`;
/** `ip` in the end's namespace, or on the host (the sandbox host when there is one). */
const ip = (s: LinkSpec, e: End, args: readonly string[]) =>
  e.netns ? ["ip", "-n", e.netns, ...args] : inSandboxHost(s, ["ip", ...args]);
const find = (links: Link[] | null, ifname: string) => (links ?? []).find((l) => l.ifname === ifname) ?? null;
const hasAddr = (l: Link, cidr: string) => (l.addr_info ?? []).some((i) => `${i.local}/${i.prefixlen}` === cidr);

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
    // an IPv6 address up at once, without duplicate address detection
    ...(e.address ? [`addr replace ${e.address} dev ${e.ifname}${e.address.includes(":") ? " nodad" : ""}`] : []),
    "",
  ].join("\n"),
});

const del = (s: LinkSpec, e: End, what = "delete veth"): Step => ({
  what: `${what} ${where(e)}`,
  argv: ip(s, e, ["link", "del", "dev", e.ifname]),
});

const delPeer = (s: LinkSpec, peer: string): Step => ({
  what: `delete veth host/${peer}`,
  argv: inSandboxHost(s, ["ip", "link", "del", "dev", peer]),
});

/** A delayed link's two pairs: each end with its peer on the host, on its side's bridge. */
function halves(s: LinkSpec, line: NonNullable<LinkSpec["line"]>, o: LinkObs): Step[] {
  const mtu = String(s.mtu);
  return [s.a, s.b].flatMap((e, i) => {
    const side = [line.a, line.b][i];
    const [end, peer] = [[o.a, o.b][i], o.peers?.[i] ?? null];
    const steps: Step[] = [];
    if (!end || !peer) {
      if (peer) steps.push(delPeer(s, side.peer));
      else if (end) steps.push(del(s, e, "delete half a link"));
      steps.push({
        what: `create veth host/${side.peer} <-> ${where(e)}`,
        argv: inSandboxHost(s, [
          ...["ip", "link", "add", "name", side.peer, "mtu", mtu, "type", "veth"],
          ...["peer", "name", e.ifname, ...(e.netns ? ["netns", e.netns] : []), "mtu", mtu],
        ]),
        undo: delPeer(s, side.peer),
      });
    }
    steps.push(
      hostBatch(s, `attach ${side.peer} to ${side.bridge}`, [
        `link set dev ${side.peer} alias ${ownerMark(s.stack)} master ${side.bridge} addrgenmode none up`,
      ]),
    );
    return steps;
  });
}

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
  async observe(s, view) {
    const [a, b] = await Promise.all([observeEnd(s.a, view), observeEnd(s.b, view)]);
    const peers = s.line
      ? ((await Promise.all([s.line.a.peer, s.line.b.peer].map((p) => view.link(p)))) as [Link | null, Link | null])
      : undefined;
    return { a, b, peers, impair: s.impair && a && b ? await observeImpairment(wireOf(s)) : undefined };
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
      if (!isOwnerMark(l.ifalias, s.stack) && !claimed)
        throw new ForeignObjectError(
          `${where(end)} exists and is not nslab's; remove it or choose another interface name`,
        );
      if (l.ifalias === formerMark(s.stack)) out.push(`different: ${where(end)} marked under nslab's former name`);
      if (end.address && !hasAddr(l, end.address)) out.push(`missing: address ${end.address} on ${where(end)}`);
      if (!l.flags.includes("UP")) out.push(`different: ${where(end)} is down`);
    }
    if (s.line)
      [s.line.a, s.line.b].forEach((side, i) => {
        const l = o.peers?.[i];
        if (!l) out.push(`missing: ${side.peer} (the host side of ${where([s.a, s.b][i])})`);
        else if (l.master !== side.bridge)
          out.push(`different: ${side.peer} attached to ${l.master ?? "nothing"}, want ${side.bridge}`);
      });
    if (o.impair) out.push(...impairmentDrift(wireOf(s), s.impair, o.impair));
    return out;
  },
  converge(s, o) {
    const impair = s.impair ? impairSteps(wireOf(s), s.impair, `impair ${where(s.a)}`) : [];
    if (s.line) return [...halves(s, s.line, o), configure(s, s.a), configure(s, s.b), ...impair];
    const steps: Step[] = [];
    if (!o.a || !o.b) {
      if (o.a) steps.push(del(s, s.a, "delete half a link"));
      if (o.b) steps.push(del(s, s.b, "delete half a link"));
      const [first, second] = ends(s);
      if (!second.netns) throw new Error(`${labelOf(s)}: at most one end can be on the host`);
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
    return [...steps, configure(s, s.a), configure(s, s.b), ...impair];
  },
  // deleting one end deletes the pair
  remove(s, o, claimed) {
    const ours = (x: Link | null | undefined) => x && (claimed || isOwnerMark(x.ifalias, s.stack));
    // the impairment's table is on end a's side, which may outlive the pair (the host, a sandbox)
    const table = s.impair && ours(o.a) ? impairSteps(wireOf(s), undefined, `impair ${where(s.a)}`).slice(0, 1) : [];
    if (s.line) {
      const line = s.line;
      // each peer takes its end with it; an end whose peer is gone went with it
      return [...table, ...[line.a, line.b].flatMap((side, i) => (ours(o.peers?.[i]) ? [delPeer(s, side.peer)] : []))];
    }
    const [first, second] = ends(s);
    const l = first === s.a ? o.a : o.b;
    const other = first === s.a ? o.b : o.a;
    if (ours(l)) return [...table, del(s, first)];
    return ours(other) ? [...table, del(s, second)] : [];
  },
};
