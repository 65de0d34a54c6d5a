// Link impairment as props: what an Endpoint's veth or a VethLink carries, each way.
import type { Impairment } from "../model/schema";

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

/** The delay and jitter of `imp` (checked by checkProps); null when there is none. */
export function delaySpec(imp: LinkImpairment): { delayMs: number; jitterMs: number } | null {
  const { delayMs = 0, jitterMs = 0 } = imp;
  return delayMs || jitterMs ? { delayMs, jitterMs } : null;
}

/** `imp` (checked by checkProps) as the spec holds it: the prop counts Mbit/s, the spec kbit/s. */
export function impairmentSpec(imp: LinkImpairment): Impairment {
  const { lossPercent, rateMbit } = imp;
  return {
    ...(lossPercent ? { lossPercent: Math.round(lossPercent * 100) / 100 } : {}),
    ...(rateMbit !== undefined ? { rateKbit: Math.round(rateMbit * 1000) } : {}),
  };
}
