// What a converge changes on a machine, from the specs it had applied (its ledger, or a
// batched stack's Terraform state) to the specs the lab declares: the runner's converge
// does it, `nslab diff` of a batched stack shows it beforehand, and the converge's closing
// line (written by the runner, read back by `nslab deploy` for its counts) says it after.
import { dependentsOf, labelOf, specKey } from "./kinds";
import type { ObjectSpec } from "./schema";

const same = (a: ObjectSpec, b: ObjectSpec) => JSON.stringify(a) === JSON.stringify(b);

/**
 * What a converge removes before it ensures the lab, of `recorded`: what the stack no
 * longer declares, what is declared differently (rebuilt, as Terraform replaces its
 * resource), and what hangs off either (the registry's graph, as Terraform replaces the
 * resources whose replace_triggered_by names a replaced one).
 */
export function staleOf(recorded: readonly ObjectSpec[], desired: readonly ObjectSpec[]): ObjectSpec[] {
  const want = new Map(desired.map((s) => [specKey(s), s]));
  const changed = recorded.flatMap((r, i) => (!want.has(specKey(r)) || !same(want.get(specKey(r))!, r) ? [i] : []));
  return [...dependentsOf(recorded, changed)].map((i) => recorded[i]);
}

/** A machine's change, object by object (each list in the order given). */
export interface LabChange {
  /** Declared, and not there before. */
  readonly made: readonly ObjectSpec[];
  /** Declared differently, or hanging off such an object: removed, then made again. */
  readonly rebuilt: readonly ObjectSpec[];
  /** No longer declared. */
  readonly removed: readonly ObjectSpec[];
}

/** From what one machine had applied to what the lab declares there. */
export function labChange(before: readonly ObjectSpec[], after: readonly ObjectSpec[]): LabChange {
  const stale = staleOf(before, after);
  const had = new Set(before.map(specKey));
  const declared = new Set(after.map(specKey));
  return {
    made: after.filter((s) => !had.has(specKey(s))),
    rebuilt: stale.filter((s) => declared.has(specKey(s))),
    removed: stale.filter((s) => !declared.has(specKey(s))),
  };
}

/** A converge's result on one machine: its change, and what it put right besides (drift). */
export interface Converged extends LabChange {
  readonly putRight: readonly { readonly spec: ObjectSpec; readonly drift: readonly string[] }[];
}

/** The words of the closing line, in its order; `nslab deploy` counts by them. */
const WORDS = { made: "made", rebuilt: "rebuilt", removed: "removed", putRight: "put right" } as const;
type Counted = keyof typeof WORDS;
/** A line names this many objects of each kind of change at most (a lab's first deploy makes them all). */
const NAMED = 5;

/** One line for a machine's converge: what it changed, or that nothing needed it. */
export function convergedLine(where: string, total: number, c: Converged): string {
  // what was put right says how, with commas: those are kept apart by semicolons
  const named = (labels: string[], sep: string) =>
    labels.slice(0, NAMED).join(sep) + (labels.length > NAMED ? `${sep}... (${labels.length - NAMED} more)` : "");
  const parts = (Object.keys(WORDS) as Counted[]).flatMap((k) => {
    const labels =
      k === "putRight"
        ? c.putRight.map((f) => `${labelOf(f.spec)} (${f.drift[0]}${f.drift.length > 1 ? ", ..." : ""})`)
        : c[k].map(labelOf);
    if (!labels.length) return [];
    // a first deploy makes every object: their names say nothing
    const count = `${WORDS[k]} ${labels.length}${k === "putRight" ? ` of ${total}` : ""}`;
    return [
      k === "made" && labels.length === total ? count : `${count}: ${named(labels, k === "putRight" ? "; " : ", ")}`,
    ];
  });
  return parts.length ? `${where}: ${parts.join("; ")}` : `${where}: all ${total} objects as declared`;
}

/** The counts of a closing line (`convergedLine`'s), 0 for what it does not say. */
export function convergedCounts(line: string): Record<Counted, number> {
  const out = { made: 0, rebuilt: 0, removed: 0, putRight: 0 };
  for (const k of Object.keys(WORDS) as Counted[]) {
    const m = new RegExp(`(?:: |; )${WORDS[k]} (\\d+)`).exec(line);
    if (m) out[k] = Number(m[1]);
  }
  return out;
}
