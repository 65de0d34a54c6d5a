// Kernel names: derived from construct ids when not given, validated when given.
import type { IConstruct } from "constructs";
import { IFNAME_RE } from "../model/schema";
import { NslabValidationError } from "./errors";

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

/** Validate a user-given interface or namespace name; explain exactly what is wrong. */
export function checkName(scope: IConstruct, kind: string, prop: string, name: string): string {
  const fix = `use 1-${MAX_IFNAME} characters from a-z, A-Z, 0-9, '-', '_', '.', starting with a letter or digit`;
  if (name.length === 0) throw new NslabValidationError(scope, kind, prop, "is empty", fix);
  if (Buffer.byteLength(name) > MAX_IFNAME) {
    throw new NslabValidationError(
      scope,
      kind,
      prop,
      `"${name}" is ${Buffer.byteLength(name)} characters, the kernel allows ${MAX_IFNAME}`,
      `shorten it, e.g. "${name.slice(0, MAX_IFNAME)}"`,
    );
  }
  if (!IFNAME_RE.test(name)) {
    throw new NslabValidationError(
      scope,
      kind,
      prop,
      `"${name}" contains characters a kernel name or a command line must not carry (/, spaces, quotes, $;&|...)`,
      fix,
    );
  }
  return name;
}

/** Nameservers for a resolv.conf: IPv4 addresses, at most 3 (the resolver reads no more). */
export function checkNameservers(scope: IConstruct, kind: string, servers: readonly string[]): void {
  if (servers.length === 0 || servers.length > 3) {
    throw new NslabValidationError(
      scope,
      kind,
      "nameservers",
      `has ${servers.length} entries`,
      "give 1 to 3 IPv4 addresses (the resolver reads no more than 3)",
    );
  }
  const bad = servers.find((n) => !/^\d+\.\d+\.\d+\.\d+$/.test(n) || n.split(".").some((o) => Number(o) > 255));
  if (bad !== undefined)
    throw new NslabValidationError(
      scope,
      kind,
      "nameservers",
      `"${bad}" is not an IPv4 address`,
      'write each as four decimal numbers, e.g. "192.168.88.1"',
    );
}
