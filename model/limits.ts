// What the spec's schema refuses, said to a person: for each field, the problem and the
// fix, both read from the schema itself (a number's bounds, a format's description), so
// every limit has one source, schema.ts. The constructs turn each into a message with
// the construct path and the prop (constructs/errors.ts); the runner into one line.
import { z } from "zod";

export interface Violation {
  /** Where in the spec, dotted: "mtu", "a.ifname", "files.0.netns". */
  readonly field: string;
  readonly problem: string;
  readonly fix: string;
}

type Path = readonly (string | number)[];

/** The schema of the value at `path`, through objects, arrays, tuples, optionals and unions. */
export function schemaAt(schema: z.ZodTypeAny, path: Path, input: unknown): z.ZodTypeAny | undefined {
  let s: z.ZodTypeAny | undefined = schema;
  let value = input as Record<string | number, unknown> | undefined;
  for (const step of [undefined, ...path]) {
    s = inner(s!);
    if (s instanceof z.ZodDiscriminatedUnion)
      s = unwrap(s.optionsMap.get(value?.[s.discriminator] as z.Primitive) ?? s);
    if (step === undefined) continue;
    if (s instanceof z.ZodObject) s = (s.shape as Record<string, z.ZodTypeAny>)[step];
    else if (s instanceof z.ZodArray) s = s.element as z.ZodTypeAny;
    else if (s instanceof z.ZodTuple) s = (s.items as z.ZodTypeAny[])[Number(step)];
    else return undefined;
    if (!s) return undefined;
    value = value?.[step] as typeof value;
  }
  return s && unwrap(s);
}

/** What optional and refined schemas wrap, to find the fields inside. */
function inner(s: z.ZodTypeAny): z.ZodTypeAny {
  while (s instanceof z.ZodOptional || s instanceof z.ZodEffects)
    s = s instanceof z.ZodOptional ? s.unwrap() : s.innerType();
  return s;
}

/** Optional and refined schemas by what they wrap, keeping the first description met. */
function unwrap(s: z.ZodTypeAny): z.ZodTypeAny {
  while (!s.description && (s instanceof z.ZodOptional || s instanceof z.ZodEffects))
    s = s instanceof z.ZodOptional ? s.unwrap() : s.innerType();
  return s;
}

/** How to give a valid value, from the schema: its description, else what its type and bounds allow. */
export function fixOf(schema: z.ZodTypeAny | undefined): string {
  if (!schema) return "remove it (the spec has no such field)";
  if (schema.description) return schema.description;
  if (schema instanceof z.ZodNumber) {
    const what = schema.isInt ? "a whole number" : "a number";
    const [min, max] = [schema.minValue, schema.maxValue];
    if (min !== null && max !== null) return `use ${what} from ${min} to ${max}`;
    if (min !== null) return `use ${what} of at least ${min}`;
    if (max !== null) return `use ${what} of at most ${max}`;
    return `use ${what}`;
  }
  if (schema instanceof z.ZodArray) {
    const min = (schema._def as { minLength?: { value: number } }).minLength?.value;
    return min ? `give at least ${min}` : "give a list";
  }
  if (schema instanceof z.ZodString) {
    const min = schema.minLength;
    if (min) return `give at least ${min} character${min > 1 ? "s" : ""}`;
  }
  if (schema instanceof z.ZodEnum) return `use one of ${(schema.options as string[]).join(", ")}`;
  if (schema instanceof z.ZodLiteral) return `use ${JSON.stringify(schema.value)}`;
  if (schema instanceof z.ZodBoolean) return "use true or false";
  return "see the prop's documentation";
}

const valueAt = (input: unknown, path: Path) =>
  path.reduce<unknown>((v, k) => (v as Record<string | number, unknown> | undefined)?.[k], input);

/** Each thing `schema` refuses in `input`: none when it is valid. */
export function violationsOf(schema: z.ZodTypeAny, input: unknown): Violation[] {
  const r = schema.safeParse(input);
  if (r.success) return [];
  return r.error.issues.map((i) => {
    // a check that says its own problem and fix (constructs/prop-values.ts checked)
    const fix = i.code === "custom" ? (i.params as { fix?: string } | undefined)?.fix : undefined;
    return fix
      ? { field: i.path.join("."), problem: i.message, fix }
      : {
          field: i.path.join("."),
          problem: problemOf(i, valueAt(input, i.path)),
          fix: fixOf(schemaAt(schema, i.path, input)),
        };
  });
}

const a = (type: string) => (type === "array" || type === "object" || type === "integer" ? "an" : "a");

/** What is wrong with `value`, said of it: `1500.5 is not a whole number`, `"x" is a string, not a number`. */
function problemOf(i: z.ZodIssue, value: unknown): string {
  const v = JSON.stringify(value);
  if (value === undefined) return "is missing";
  if (i.code === "invalid_type")
    return i.expected === "integer"
      ? `${v} is not a whole number`
      : `${v} is ${a(i.received)} ${i.received}, not ${a(i.expected)} ${i.expected}`;
  if (i.code === "too_small" || i.code === "too_big")
    return i.type === "number" ? `${v} is out of range` : `${v} is too ${i.code === "too_small" ? "short" : "long"}`;
  return `${v}: ${i.message}`;
}
