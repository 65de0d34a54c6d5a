// A sandbox: a network namespace of its own, lo up and marked, nothing else until
// endpoints (one per network: multi-homed) or direct links join it. Docker's "none" mode
// is a sandbox that nothing joins.
import type { SandboxSpec } from "../model/schema";
import { netnsAddLines, netnsExists, type Link } from "./observe";
import { ForeignObjectError, type Ops } from "./resource";
import { deleteNamespaces, isOwnerMark, inSandboxHost, ownerMark, type Step } from "./step";

export interface SandboxObs {
  readonly exists: boolean;
  readonly inside: Link[] | null;
}

const lo = (o: SandboxObs) => (o.inside ?? []).find((l) => l.ifname === "lo");
const owned = (s: SandboxSpec, o: SandboxObs) => isOwnerMark(lo(o)?.ifalias, s.stack);

export const sandboxOps: Ops<SandboxSpec, SandboxObs> = {
  describe: (s, o) => ({
    netns: s.netns,
    interfaces: (o.inside ?? []).map((l) => l.ifname),
    state: o.exists ? "present" : "absent",
  }),
  async observe(s, view, toRemove) {
    if (toRemove?.claimed) return { exists: netnsExists(s.netns), inside: null };
    const inside = await view.netns(s.netns);
    return { exists: inside.links !== null, inside: inside.links };
  },
  drift(s, o, claimed) {
    if (!o.exists) return [`missing: namespace ${s.netns}`];
    if (!owned(s, o) && !claimed)
      throw new ForeignObjectError(
        `namespace ${s.netns} exists and is not nslab's; remove it or choose another netns name`,
      );
    // marked under nslab's former name: marked again
    const l = lo(o);
    return l?.flags.includes("UP") && l.ifalias === ownerMark(s.stack)
      ? []
      : [`different: lo of ${s.netns} is down or unmarked`];
  },
  converge(s, o) {
    const lo: Step = {
      what: `lo up in ${s.netns}`,
      argv: ["ip", "-n", s.netns, "-batch", "-"],
      input: `link set dev lo alias ${ownerMark(s.stack)} up\n`,
    };
    if (o.exists) return [lo];
    const del = deleteNamespaces(`delete namespace ${s.netns}`, [s.netns]);
    return [
      {
        what: `create namespace ${s.netns}`,
        argv: inSandboxHost(s, ["ip", "-batch", "-"]),
        input: netnsAddLines(s.netns).join("\n") + "\n",
        undo: del,
      },
      lo,
    ];
  },
  remove: (s, o, claimed) =>
    o.exists && (claimed || owned(s, o)) ? [deleteNamespaces(`delete namespace ${s.netns}`, [s.netns])] : [],
};
