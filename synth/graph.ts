// A lab object's place in the Terraform graph, from the registry of kinds (model/kinds.ts):
// its parents, the objects whose specs provide what its spec needs (it is rebuilt with
// them), and its predecessors, its parents and what it is only made after.
import { parentsOf, predecessorsOf } from "../model/kinds";
import type { ObjectSpec } from "../model/schema";

export interface Place<T> {
  readonly parents: T[];
  readonly predecessors: T[];
}

export function graphOf<T extends { readonly spec: unknown }>(objects: readonly T[]): Map<T, Place<T>> {
  const specs = objects.map((o) => o.spec as ObjectSpec);
  const [parents, preds] = [parentsOf(specs), predecessorsOf(specs)];
  return new Map(
    objects.map((o, i) => [
      o,
      { parents: parents[i].map((j) => objects[j]), predecessors: preds[i].map((j) => objects[j]) },
    ]),
  );
}
