// Kernel names derived from construct ids, when not given (given ones: prop-values.ts kernelName).
import { IFNAME_RE } from "../model/schema";

import { MAX_IFNAME, shortHash } from "../model/kernel-names";

export { MAX_IFNAME, shortHash };

function slug(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
}

/** `base` if it is a valid name, else a cut-down `base` plus a hash of `seed` (stable, unique). */
export function deriveName(base: string, seed: string): string {
  const s = slug(base) || "x";
  if (IFNAME_RE.test(s)) return s;
  return `${s.slice(0, MAX_IFNAME - 6).replace(/-+$/, "")}-${shortHash(seed)}`;
}
