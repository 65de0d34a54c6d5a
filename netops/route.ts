// A static route, in a namespace or on the (sandbox) host. Routes carry no alias, so
// nslab's own are marked by their protocol number (ROUTE_PROTO): a route to the same
// destination made by anyone else is foreign and left alone.
import type { RouteSpec } from "../model/schema";
import type { Route } from "./observe";
import { ForeignObjectError, type Ops } from "./resource";
import { inSandboxHost, type Step } from "./step";

/** `ip route ... proto 77`: unassigned in /etc/iproute2/rt_protos, so it reads as nslab's. */
const ROUTE_PROTO = "77";

export interface RouteObs {
  readonly route: Route | null;
}

const argvFor = (s: RouteSpec, verb: string[]): string[] => {
  const tail = [
    ...verb,
    s.dst,
    ...(s.via ? ["via", s.via] : []),
    ...(s.dev ? ["dev", s.dev] : []),
    "proto",
    ROUTE_PROTO,
  ];
  return s.netns ? ["ip", "-n", s.netns, "route", ...tail] : inSandboxHost(s, ["ip", "route", ...tail]);
};
const where = (s: RouteSpec) => (s.netns ? `in ${s.netns}` : "on the host");
const ours = (r: Route) => r.protocol === ROUTE_PROTO;

export const routeOps: Ops<RouteSpec, RouteObs> = {
  describe: (s, o) => ({
    netns: s.netns ?? null,
    destination: s.dst,
    via: o.route?.gateway ?? null,
    device: o.route?.dev ?? null,
    state: o.route ? "present" : "absent",
  }),
  async observe(s, view) {
    const six = s.dst.includes(":");
    const routes = six
      ? ((await view.routes6(s.netns)) ?? [])
      : s.netns
        ? ((await view.netns(s.netns)).routes ?? [])
        : await view.hostRoutes();
    // ip prints a host route without its prefix
    const dst = s.dst.endsWith(six ? "/128" : "/32") ? s.dst.slice(0, s.dst.lastIndexOf("/")) : s.dst;
    return { route: routes.find((r) => r.dst === dst) ?? null };
  },
  drift(s, o, claimed) {
    if (!s.via && !s.dev) throw new Error(`route ${s.dst}: needs a gateway (via) or a device (dev)`);
    const r = o.route;
    if (!r)
      return [`missing: route ${s.dst}${s.via ? ` via ${s.via}` : ""}${s.dev ? ` dev ${s.dev}` : ""} ${where(s)}`];
    if (!ours(r) && !claimed)
      throw new ForeignObjectError(
        `a route to ${s.dst} ${where(s)} exists and is not nslab's; remove it or route another destination`,
      );
    const out: string[] = [];
    if (s.via && r.gateway !== s.via) out.push(`different: route ${s.dst} via ${r.gateway ?? "none"}, want ${s.via}`);
    if (s.dev && r.dev !== s.dev) out.push(`different: route ${s.dst} dev ${r.dev ?? "none"}, want ${s.dev}`);
    return out;
  },
  converge: (s, o): Step[] => [
    {
      what: `route ${s.dst}${s.via ? ` via ${s.via}` : ""}${s.dev ? ` dev ${s.dev}` : ""} ${where(s)}`,
      argv: argvFor(s, ["replace"]),
      undo: o.route ? undefined : { what: `delete route ${s.dst} ${where(s)}`, argv: argvFor(s, ["del"]) },
    },
  ],
  remove: (s, o, claimed) =>
    o.route && (claimed || ours(o.route))
      ? [{ what: `delete route ${s.dst} ${where(s)}`, argv: argvFor(s, ["del"]) }]
      : [],
};
