// Issue 19 item 4: every limit the schema enforces reaches the user like any other bad
// prop, with the construct path, the prop and a fix, and each limit has one source (the
// schema; model/limits.ts reads the fix from it). The test walks every kind's schema,
// breaks each numeric and string limit in turn, and checks the message a construct gives.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Testing } from "cdktf";
import { z } from "zod";
import { LabStack, Sandbox, VethLink, type Host } from "../../constructs";
import { LabObject } from "../../constructs/lab-object";
import type { SpecBody } from "../../constructs/netops-resource";
import { fixOf } from "../../model/limits";
import { LIMITS, parseSpec, Spec, SpecError } from "../../model/schema";

type Path = (string | number)[];
interface Leaf {
  path: Path;
  schema: z.ZodTypeAny;
}

const unwrap = (s: z.ZodTypeAny): z.ZodTypeAny => (s instanceof z.ZodOptional ? unwrap(s.unwrap()) : s);

/** Every value of a schema that has a limit: a number's bounds, a string's format or length, a list's length. */
function leaves(schema: z.ZodTypeAny, path: Path = []): Leaf[] {
  const s = unwrap(schema);
  if (s instanceof z.ZodObject)
    return Object.entries(s.shape as Record<string, z.ZodTypeAny>).flatMap(([k, v]) => leaves(v, [...path, k]));
  if (s instanceof z.ZodTuple) return (s.items as z.ZodTypeAny[]).flatMap((v, i) => leaves(v, [...path, i]));
  const own = badValues(s).length ? [{ path, schema: s }] : [];
  if (s instanceof z.ZodArray) return [...own, ...leaves(s.element as z.ZodTypeAny, [...path, 0])];
  return own;
}

/** Values that break the limit of `s` (none: it has no limit to break). */
function badValues(s: z.ZodTypeAny): unknown[] {
  if (s instanceof z.ZodNumber) {
    const out: unknown[] = [];
    if (s.minValue !== null) out.push(s.minValue - 1);
    if (s.maxValue !== null) out.push(s.maxValue + 1);
    if (s.isInt) out.push((s.minValue ?? 0) + 0.5);
    return out;
  }
  if (s instanceof z.ZodArray) return (s._def as { minLength?: unknown }).minLength ? [[]] : [];
  // strings: a format (regex, refinement, prefix) or a length; those it refuses
  if (s instanceof z.ZodString || s instanceof z.ZodEffects || s instanceof z.ZodUnion)
    return ["no good!", "", "a\0b", "x".repeat(300)].filter((v) => !s.safeParse(v).success);
  return [];
}

const fixture = (kind: string) =>
  JSON.parse(readFileSync(join(__dirname, "../fixtures/specs/v1", `${kind}.json`), "utf8")) as Record<string, unknown>;

/** Valid values for optional parts that the fixtures leave out, so a break is the only fault. */
const SAMPLES: Record<string, unknown> = {
  impair: { lossPercent: 1, rateKbit: 1000 },
  remote: { name: "b", address: "10.0.0.2", user: "root", port: 22 },
  line: { a: { bridge: "nlpa", peer: "nlva" }, b: { bridge: "nlpb", peer: "nlvb" } },
};

function withValue(base: Record<string, unknown>, path: Path, value: unknown): Record<string, unknown> {
  const out = structuredClone(base);
  let at: Record<string | number, unknown> = out;
  path.slice(0, -1).forEach((k, i) => {
    at[k] ??= structuredClone(SAMPLES[k]) ?? (typeof path[i + 1] === "number" ? [] : {});
    at = at[k] as Record<string | number, unknown>;
  });
  at[path[path.length - 1]] = value;
  return out;
}

const kinds = Spec.options.map((o) => o.shape.kind.value as string).filter((k) => k !== "sweep");
const casesOf = (kind: string) =>
  leaves(Spec.optionsMap.get(kind)!)
    .filter((l) => !["v", "kind"].includes(String(l.path[0])))
    .flatMap((l) => badValues(l.schema).map((bad) => ({ field: l.path.join("."), path: l.path, bad })));

test("the walk finds the limits (a kind added without them would show here)", () => {
  const fields = new Set(kinds.flatMap((k) => casesOf(k).map((c) => `${k}.${c.field}`)));
  for (const f of ["link.mtu", "endpoint.hostIf", "vxlan.vni", "delayline.delayMs", "portmap.hostPort"])
    expect(fields).toContain(f);
  expect(fields).toContain("endpoint.impair.lossPercent");
  expect(fields).toContain("names.endpoints.0.1");
  expect(fields).toContain("workload.command.0");
  expect(kinds.flatMap(casesOf).length).toBeGreaterThan(300);
});

/** What is wrong with the message for one broken limit: nothing, when it has path, prop and fix. */
function faultOf(kind: string, { field, path, bad }: ReturnType<typeof casesOf>[number]): string | null {
  const input = withValue(fixture(kind), path, bad);
  // the runner's own check names the field and the fix
  let violations: SpecError["violations"] = [];
  try {
    parseSpec(input);
  } catch (e) {
    violations = (e as SpecError).violations;
  }
  const own = violations.find((x) => x.field === field);
  if (!own) return `parseSpec: no violation of ${field} in ${JSON.stringify(violations)}`;
  if (own.fix === fixOf(undefined) || own.fix === "see the prop's documentation") return `no fix: ${own.fix}`;
  // what a user sees at synth: the path of the construct, the prop, what is wrong, the fix
  // (the owner mark and the sandbox host come from the LabStack, which checks them itself)
  if (path[0] === "stack" || path[0] === "host") return null;
  const { v: _v, stack: _s, host: _h, remote, ...body } = input;
  const stack = new LabStack(Testing.app(), "vstack");
  const r = new LabObject(stack, "X", {
    stack,
    kind: kind as never,
    spec: () => body as unknown as SpecBody,
    host: () => (remote ? ({ remote } as unknown as Host) : undefined),
  });
  try {
    void r.spec;
    return "synth: no error";
  } catch (e) {
    const m = (e as Error).message;
    return /^vstack: LabStack prop `[^`]+`: .+\. Fix: .+\.$/.test(m) ? null : `synth: ${m}`;
  }
}

test.each(kinds)("%s: every limit broken in turn gives the construct path, the prop and the fix", (kind) => {
  const faults = casesOf(kind).flatMap((c) => {
    const f = faultOf(kind, c);
    return f ? [`${c.field} = ${JSON.stringify(c.bad)}: ${f}`] : [];
  });
  expect(faults).toEqual([]);
});

test("VethLink mtu 10: the link's path, its prop, and the range from the schema, when it is made", () => {
  const stack = new LabStack(Testing.app(), "vstack");
  const s = new Sandbox(stack, "S", { netns: "s1" });
  const link = () =>
    new VethLink(stack, "L", {
      a: { sandbox: s, interfaceName: "v0", address: "10.0.0.1/30" },
      b: { interfaceName: "v1", address: "10.0.0.2/30" },
      mtu: 10,
    });
  expect(link).toThrow(
    `vstack/L: VethLink prop \`mtu\`: 10 is out of range. Fix: use a whole number from ${LIMITS.mtu.min} to ${LIMITS.mtu.max}.`,
  );
});
