// Every bad input is reported at synth, before anything touches the kernel, as
// "<construct path>: <Construct> prop `<prop>`: <what is wrong>. Fix: <what to do>."
import type { IConstruct } from "constructs";

export class NslabValidationError extends Error {
  constructor(scope: IConstruct, kind: string, prop: string, problem: string, fix: string) {
    super(`${scope.node.path}: ${kind} prop \`${prop}\`: ${problem}. Fix: ${fix}${/[.?!]$/.test(fix) ? "" : "."}`);
    this.name = "NslabValidationError";
  }
}

/** A check that runs once the whole stack is known (cross-construct); returns messages. */
export function message(kind: string, prop: string, problem: string, fix: string): string {
  return `${kind} prop \`${prop}\`: ${problem}. Fix: ${fix}.`;
}

/** A rule when it is broken: the prop it blames, what is wrong and how to fix it. */
export interface Broken {
  readonly prop: string;
  readonly problem: string;
  readonly fix: string;
}

/**
 * The first of `rules` that is broken, thrown as `scope`'s error. Each rule is asked in
 * turn, only once those before it hold (a later one may rely on them).
 */
export function refuse(scope: IConstruct, kind: string, rules: readonly (() => Broken | false | undefined)[]): void {
  for (const rule of rules) {
    const b = rule();
    if (b) throw new NslabValidationError(scope, kind, b.prop, b.problem, b.fix);
  }
}
