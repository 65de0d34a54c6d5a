// Link impairment as props: what an Endpoint's veth or a VethLink carries, each way.
import type { IConstruct } from "constructs";
import type { Impairment } from "../model/schema";
import { NetlabValidationError } from "./errors";

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
}

/** Validate `imp` (prop `prop` of `kind`) and write it as the spec holds it. */
export function impairmentSpec(scope: IConstruct, kind: string, prop: string, imp: LinkImpairment): Impairment {
  const { lossPercent, rateMbit } = imp;
  if (lossPercent !== undefined && !(lossPercent >= 0 && lossPercent <= 100))
    throw new NetlabValidationError(
      scope,
      kind,
      `${prop}.lossPercent`,
      `${lossPercent} is not a percentage`,
      "use 0 to 100, e.g. 20",
    );
  if (rateMbit !== undefined && !(rateMbit >= 0.008 && rateMbit <= 100_000))
    throw new NetlabValidationError(
      scope,
      kind,
      `${prop}.rateMbit`,
      `${rateMbit} is out of range`,
      "use 0.008 (8 kbit/s) to 100000 Mbit/s, e.g. 10",
    );
  return {
    ...(lossPercent ? { lossPercent: Math.round(lossPercent * 100) / 100 } : {}),
    ...(rateMbit !== undefined ? { rateKbit: Math.round(rateMbit * 1000) } : {}),
  };
}
