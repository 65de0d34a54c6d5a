// `nslab diff` of a batched stack. Its objects have no Terraform resource each: its
// nslab-apply holds every object's line in its trigger (synth/provisioners.ts), and is
// replaced on every apply. What the apply's converge will change is read from the saved
// plan (`terraform show -json`): the objects in that trigger before and after, each
// machine's change as the converge computes it (model/lab-change.ts), so a changed
// network lists what is rebuilt with it, as Terraform's replace_triggered_by would.
import { labelOf } from "../model/kinds";
import { labChange } from "../model/lab-change";
import { fromLine } from "../model/line";
import { batchKey, type StackManifest } from "../model/manifest";
import { isObjectSpec, parseSpec, type ObjectSpec } from "../model/schema";
import type { ObjectResult } from "./progress";

/** The parts of `terraform show -json <plan>` read here. */
export interface PlanJson {
  readonly resource_changes?: readonly {
    readonly address: string;
    readonly change: { readonly actions: readonly string[]; readonly before: unknown; readonly after: unknown };
  }[];
}

type Trigger = Record<string, unknown> | null | undefined;

/** The lines an apply's trigger holds (terraform_data's `objects`, or null_resource's flat map). */
function linesOf(values: unknown): string[] {
  const v = values as { triggers_replace?: unknown; triggers?: Trigger } | null;
  if (!v) return [];
  const data = v.triggers_replace;
  const objects =
    data && typeof data === "object" ? (data as { objects?: Trigger }).objects : v.triggers ? v.triggers : undefined;
  return Object.values(objects ?? {}).filter((l): l is string => typeof l === "string" && l.includes(" {"));
}

/** A lab object's line (not an owner's, nor a lab file's path). */
function isObjectLine(line: string): boolean {
  try {
    return isObjectSpec(parseSpec(fromLine(line).json));
  } catch {
    return false;
  }
}

function specsOf(lines: readonly string[]): ObjectSpec[] {
  return lines.map((l) => parseSpec(fromLine(l).json)).filter(isObjectSpec);
}

/** What the batched apply will change, object by object; the stack's `gate` is its apply's address. */
export function batchChanges(plan: PlanJson, gate: string, manifest: StackManifest): ObjectResult[] {
  const changes = plan.resource_changes ?? [];
  const apply = changes.find((c) => c.address === gate);
  let before = linesOf(apply?.change.before);
  // a stack an older nslab deployed: one tracking resource per object, each with its line
  if (!before.length)
    before = changes.flatMap((c) => {
      const v = (c.change.before ?? {}) as { triggers_replace?: unknown; triggers?: { spec?: unknown } };
      const line = typeof v.triggers_replace === "string" ? v.triggers_replace : v.triggers?.spec;
      return c.address !== gate && typeof line === "string" && isObjectLine(line) ? [line] : [];
    });
  const after = linesOf(apply?.change.after);
  const was = specsOf(before);
  const now = specsOf(after);
  const machines = new Set([...was, ...now].map((s) => s.remote?.name ?? ""));
  const out: ObjectResult[] = [];
  for (const m of machines) {
    const on = (s: ObjectSpec) => (s.remote?.name ?? "") === m;
    const c = labChange(was.filter(on), now.filter(on));
    const result = (s: ObjectSpec, action: string): ObjectResult => {
      const known = manifest.objects?.[batchKey(s)];
      return {
        address: batchKey(s),
        label: known?.label ?? labelOf(s),
        path: known?.path ?? "",
        role: "object",
        action,
        output: [],
      };
    };
    out.push(
      ...c.removed.map((s) => result(s, "delete")),
      ...c.rebuilt.map((s) => result(s, "replace")),
      ...c.made.map((s) => result(s, "create")),
    );
  }
  return out;
}
