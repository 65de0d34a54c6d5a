// Link impairment as props: what an Endpoint's veth or a VethLink carries, each way.
import type { IConstruct } from "constructs";
import { LIMITS, type Impairment } from "../model/schema";
import { within } from "./errors";

export interface LinkImpairment {
  /**
   * Packets dropped at random, in percent, each way (a ping's round trip sees about
   * 1 - (1 - p)^2 of its probes lost).
   * @default 0
   */
  readonly lossPercent?: number;
  /**
   * Rate limit in Mbit/s, each way (a token bucket: short bursts pass at line rate).
   * @default - unlimited
   */
  readonly rateMbit?: number;
  /**
   * Delay in milliseconds, each way (a ping's round trip sees twice it). Frames cross a
   * user-space relay, a delay line (this kernel has no netem).
   * @default 0
   */
  readonly delayMs?: number;
  /**
   * Jitter in milliseconds: each frame's delay is delayMs plus or minus up to this,
   * uniformly (frames may then overtake each other, as with netem).
   * @default 0
   */
  readonly jitterMs?: number;
}

/** Validate the delay and jitter of `imp`; null when there is none. */
export function delaySpec(
  scope: IConstruct,
  kind: string,
  prop: string,
  imp: LinkImpairment,
): { delayMs: number; jitterMs: number } | null {
  const { delayMs = 0, jitterMs = 0 } = imp;
  for (const [name, v] of [
    ["delayMs", delayMs],
    ["jitterMs", jitterMs],
  ] as const)
    within(scope, kind, `${prop}.${name}`, v, LIMITS.delayMs, { integer: false, unit: "ms" });
  return delayMs || jitterMs ? { delayMs, jitterMs } : null;
}

/** Validate `imp` (prop `prop` of `kind`) and write it as the spec holds it. */
export function impairmentSpec(scope: IConstruct, kind: string, prop: string, imp: LinkImpairment): Impairment {
  const { lossPercent, rateMbit } = imp;
  if (lossPercent !== undefined)
    within(scope, kind, `${prop}.lossPercent`, lossPercent, LIMITS.lossPercent, { integer: false, hint: "e.g. 20" });
  // the schema counts kbit/s, the prop Mbit/s
  const mbit = { min: LIMITS.rateKbit.min / 1000, max: LIMITS.rateKbit.max / 1000 };
  if (rateMbit !== undefined)
    within(scope, kind, `${prop}.rateMbit`, rateMbit, mbit, { integer: false, unit: "Mbit/s" });
  return {
    ...(lossPercent ? { lossPercent: Math.round(lossPercent * 100) / 100 } : {}),
    ...(rateMbit !== undefined ? { rateKbit: Math.round(rateMbit * 1000) } : {}),
  };
}
