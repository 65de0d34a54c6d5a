// Every bad input is reported at synth, before anything touches the kernel, as
// "<construct path>: <Construct> prop `<prop>`: <what is wrong>. Fix: <what to do>."
import type { IConstruct } from "constructs";

export class NetlabValidationError extends Error {
  constructor(scope: IConstruct, kind: string, prop: string, problem: string, fix: string) {
    super(`${scope.node.path}: ${kind} prop \`${prop}\`: ${problem}. Fix: ${fix}.`);
    this.name = "NetlabValidationError";
  }
}

/** A check that runs once the whole stack is known (cross-construct); returns messages. */
export function message(kind: string, prop: string, problem: string, fix: string): string {
  return `${kind} prop \`${prop}\`: ${problem}. Fix: ${fix}.`;
}
