// Every bad input is reported at synth, before anything touches the kernel, as
// "<construct path>: <Construct> prop `<prop>`: <what is wrong>. Fix: <what to do>."
import type { IConstruct } from "constructs";

export class NslabValidationError extends Error {
  constructor(scope: IConstruct, kind: string, prop: string, problem: string, fix: string) {
    super(`${scope.node.path}: ${kind} prop \`${prop}\`: ${problem}. Fix: ${fix}.`);
    this.name = "NslabValidationError";
  }
}

/** A check that runs once the whole stack is known (cross-construct); returns messages. */
export function message(kind: string, prop: string, problem: string, fix: string): string {
  return `${kind} prop \`${prop}\`: ${problem}. Fix: ${fix}.`;
}

/**
 * `value` if it is within `limit` (one of the schema's LIMITS, the one source of every
 * range), else an NslabValidationError whose fix gives the range.
 */
export function within(
  scope: IConstruct,
  kind: string,
  prop: string,
  value: number,
  limit: { readonly min: number; readonly max: number },
  opts: { readonly integer?: boolean; readonly unit?: string; readonly hint?: string } = {},
): number {
  const integer = opts.integer ?? true;
  if ((integer ? Number.isInteger(value) : Number.isFinite(value)) && value >= limit.min && value <= limit.max)
    return value;
  const what = integer ? "a whole number" : "a number";
  throw new NslabValidationError(
    scope,
    kind,
    prop,
    `${value} is out of range`,
    `use ${what} from ${limit.min} to ${limit.max}${opts.unit ? ` ${opts.unit}` : ""}${opts.hint ? ` (${opts.hint})` : ""}`,
  );
}
