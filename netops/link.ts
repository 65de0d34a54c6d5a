// A direct link: a veth pair straight between two namespaces, no bridge (seed 000's
// ns1 <-> ns2). Made from inside namespace a, its other end created directly in b.
import type { LinkSpec } from "../model/schema";
import type { Link } from "./observe";
import { ForeignObjectError, type Ops } from "./resource";
import { ownerMark, type Step } from "./step";

export interface LinkObs {
  readonly a: Link | null;
  readonly b: Link | null;
}

type End = LinkSpec["a"];
const find = (links: Link[] | null, ifname: string) => (links ?? []).find((l) => l.ifname === ifname) ?? null;
const hasAddr = (l: Link, cidr: string) =>
  (l.addr_info ?? []).some((i) => i.family === "inet" && `${i.local}/${i.prefixlen}` === cidr);
const configure = (s: LinkSpec, e: End): Step => ({
  what: `configure ${e.netns}/${e.ifname}${e.address ? ` ${e.address}` : ""}`,
  argv: ["ip", "-n", e.netns, "-batch", "-"],
  input: [
    `link set dev ${e.ifname} alias ${ownerMark(s.stack)} addrgenmode none up`,
    ...(e.address ? [`addr replace ${e.address} dev ${e.ifname}`] : []),
    "",
  ].join("\n"),
});

export const linkOps: Ops<LinkSpec, LinkObs> = {
  label: (s) => `link ${s.a.netns}/${s.a.ifname} <-> ${s.b.netns}/${s.b.ifname}`,
  async observe(s, view) {
    const [a, b] = await Promise.all([view.netns(s.a.netns), view.netns(s.b.netns)]);
    return { a: find(a.links, s.a.ifname), b: find(b.links, s.b.ifname) };
  },
  drift(s, o, claimed) {
    const out: string[] = [];
    for (const [end, l] of [
      [s.a, o.a],
      [s.b, o.b],
    ] as const) {
      if (!l) {
        out.push(`missing: ${end.netns}/${end.ifname}`);
        continue;
      }
      if (l.ifalias !== ownerMark(s.stack) && !claimed)
        throw new ForeignObjectError(
          `${end.netns}/${end.ifname} exists and is not netlab's; remove it or choose another interface name`,
        );
      if (end.address && !hasAddr(l, end.address))
        out.push(`missing: address ${end.address} on ${end.netns}/${end.ifname}`);
      if (!l.flags.includes("UP")) out.push(`different: ${end.netns}/${end.ifname} is down`);
    }
    return out;
  },
  converge(s, o) {
    const steps: Step[] = [];
    if (!o.a || !o.b) {
      if (o.a)
        steps.push({
          what: `delete half a link ${s.a.netns}/${s.a.ifname}`,
          argv: ["ip", "-n", s.a.netns, "link", "del", "dev", s.a.ifname],
        });
      if (o.b)
        steps.push({
          what: `delete half a link ${s.b.netns}/${s.b.ifname}`,
          argv: ["ip", "-n", s.b.netns, "link", "del", "dev", s.b.ifname],
        });
      steps.push({
        what: `create veth ${s.a.netns}/${s.a.ifname} <-> ${s.b.netns}/${s.b.ifname}`,
        argv: [
          "ip",
          "-n",
          s.a.netns,
          "link",
          "add",
          "name",
          s.a.ifname,
          "mtu",
          String(s.mtu),
          "type",
          "veth",
          "peer",
          "name",
          s.b.ifname,
          "netns",
          s.b.netns,
          "mtu",
          String(s.mtu),
        ],
        undo: {
          what: `delete veth ${s.a.netns}/${s.a.ifname}`,
          argv: ["ip", "-n", s.a.netns, "link", "del", "dev", s.a.ifname],
        },
      });
    }
    return [...steps, configure(s, s.a), configure(s, s.b)];
  },
  // deleting one end deletes the pair
  remove: (s, o, claimed) =>
    o.a && (claimed || o.a.ifalias === ownerMark(s.stack))
      ? [
          {
            what: `delete veth ${s.a.netns}/${s.a.ifname}`,
            argv: ["ip", "-n", s.a.netns, "link", "del", "dev", s.a.ifname],
          },
        ]
      : [],
};
