// Link impairments on an interface and its veth peer, both directions, with what this
// kernel has: loss by an nftables netdev table on the interface (ingress and egress hooks,
// `numgen random`), rate by a tbf qdisc on each end's egress. The table carries a comment
// saying what it does, so verify compares one line. Applied on deploy for what is declared,
// and at run time by `nslab impair` (which `reset` and `repair` undo).
import type { Impairment } from "../model/schema";
import { run } from "./exec";
import { ownTable, tableCommentBy } from "./nftables";
import { inNetns, ownerMark, type Step } from "./step";

/** An interface to impair: where it is (netns absent: the host), and its veth peer. */
export interface Wire {
  readonly stack: string;
  readonly host?: string;
  readonly netns?: string;
  readonly ifname: string;
  readonly peer: { readonly netns?: string; readonly ifname: string };
}

/** What a wire carries now, as read from the kernel (null: nothing nslab put there). */
export interface ImpairObs {
  readonly comment: string | null;
  readonly rateKbit: readonly (number | null)[]; // the interface's, then its peer's
}

/** tbf's queue: how long a packet may wait for its turn before it is dropped. */
const TBF_LATENCY = "100ms";

const tableOf = (ifname: string) => `nslab-impair-${ifname}`;
const ends = (w: Wire) => [{ netns: w.netns, ifname: w.ifname }, w.peer];

/** The comment of a wire's table: the stack's mark and the loss it applies. */
export const lossComment = (stack: string, lossPercent: number) => `${ownerMark(stack)} loss ${lossPercent}%`;

/** Steps that make the wire carry exactly `imp` (nothing: no loss, no rate limit). */
export function impairSteps(w: Wire, imp: Impairment | undefined, label: string): Step[] {
  const loss = imp?.lossPercent ?? 0;
  // IP only: a lost ARP exchange fails the neighbour entry and drops far more than p.
  // A black hole draws no number: nft's `numgen random mod 10000` stops at 9999
  const drop =
    loss >= 100
      ? "meta protocol { ip, ip6 } drop"
      : `meta protocol { ip, ip6 } numgen random mod 10000 < ${Math.round(loss * 100)} drop`;
  const chains = [
    `  chain in { type filter hook ingress device "${w.ifname}" priority 0; ${drop}; }`,
    `  chain out { type filter hook egress device "${w.ifname}" priority 0; ${drop}; }`,
  ];
  const steps: Step[] = [
    {
      what: `${label}: ${loss > 0 ? `loss ${loss}% each way` : "no loss"}`,
      argv: inNetns(w, w.netns, ["nft", "-f", "-"]),
      input: ownTable("netdev", tableOf(w.ifname), lossComment(w.stack, loss), loss > 0 ? chains : undefined),
    },
  ];
  for (const e of ends(w)) {
    const rate = imp?.rateKbit;
    // a burst of at least 20 ms at the rate (tbf needs more than one packet's worth)
    const burst = rate ? Math.max(Math.ceil((rate * 1000) / 8 / 50), 16_000) : 0;
    steps.push({
      what: `${label}: ${rate ? `rate ${rate} kbit/s` : "no rate limit"} out of ${e.netns ?? "host"}/${e.ifname}`,
      argv: inNetns(w, e.netns, [
        "tc",
        "qdisc",
        "replace",
        "dev",
        e.ifname,
        "root",
        ...(rate ? ["tbf", "rate", `${rate}kbit`, "burst", String(burst), "latency", TBF_LATENCY] : ["noqueue"]),
      ]),
    });
  }
  return steps;
}

export async function observeImpairment(w: Wire): Promise<ImpairObs> {
  const comment = await tableCommentBy(inNetns(w, w.netns, ["nft", "list", "table", "netdev", tableOf(w.ifname)]));
  const rateKbit = await Promise.all(
    ends(w).map(async (e) => {
      const r = await run(inNetns(w, e.netns, ["tc", "-j", "qdisc", "show", "dev", e.ifname]));
      if (!r.ok) return null;
      const tbf = (
        JSON.parse(r.stdout || "[]") as { kind: string; root?: boolean; options?: { rate?: number } }[]
      ).find((q) => q.root && q.kind === "tbf");
      return tbf?.options?.rate !== undefined ? Math.round((tbf.options.rate * 8) / 1000) : null;
    }),
  );
  return { comment, rateKbit };
}

/** What a wire carries, for `nslab inspect`: "loss 20%, rate 2000/2000 kbit/s", or "none". */
export function impairText(o: ImpairObs): string {
  const loss = o.comment ? /loss ([\d.]+%)/.exec(o.comment)?.[1] : undefined;
  const rates = o.rateKbit.some((r) => r !== null) ? o.rateKbit.map((r) => r ?? "unlimited").join("/") : undefined;
  return [loss && `loss ${loss}`, rates && `rate ${rates} kbit/s`].filter(Boolean).join(", ") || "none";
}

/** Differences between what the wire carries and what is declared, one line each. */
export function impairmentDrift(w: Wire, imp: Impairment | undefined, o: ImpairObs): string[] {
  const out: string[] = [];
  const loss = imp?.lossPercent ?? 0;
  const want = loss > 0 ? lossComment(w.stack, loss) : null;
  if (o.comment !== want)
    out.push(
      `different: ${w.netns ?? "host"}/${w.ifname} ${o.comment ? `"${o.comment}"` : "no loss"}, want ${want ? `"${want}"` : "no loss"}`,
    );
  ends(w).forEach((e, i) => {
    const got = o.rateKbit[i];
    if (got !== (imp?.rateKbit ?? null))
      out.push(
        `different: ${e.netns ?? "host"}/${e.ifname} rate ${got ?? "unlimited"}, want ${imp?.rateKbit ?? "unlimited"} kbit/s`,
      );
  });
  return out;
}
