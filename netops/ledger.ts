// The ledger: one file per resource the runner has started to apply, written before the
// first kernel step and removed after a successful destroy. It closes the window between
// "object created" and "object marked" (a crash there must not turn our own namespace
// into a foreign one), and it lists what a stack owns on this machine.
import { mkdirSync, readFileSync, renameSync, rmdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Spec } from "../spec/schema";

export function ledgerRoot(): string {
  return process.env.NETLAB_STATE_DIR || "/run/netlab";
}

function stackDir(spec: Pick<Spec, "host" | "stack">): string {
  return join(ledgerRoot(), spec.host ?? "_host", spec.stack);
}

/** Resource key: kind plus the name that makes it unique on its host. */
export function ledgerKey(spec: Spec): string {
  switch (spec.kind) {
    case "network":
      return `network-${spec.bridge}`;
    case "endpoint":
      return `endpoint-${spec.netns}`;
    case "portmap":
      return `portmap-${spec.protocol}-${spec.hostIp ?? "any"}-${spec.hostPort}`;
  }
}

export function record(spec: Spec): void {
  const dir = stackDir(spec);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${ledgerKey(spec)}.json`);
  // write-then-rename: ten runners write at once, and a crash must not leave half a file
  writeFileSync(`${file}.${process.pid}.tmp`, JSON.stringify(spec));
  renameSync(`${file}.${process.pid}.tmp`, file);
}

export function forget(spec: Spec): void {
  const dir = stackDir(spec);
  rmSync(join(dir, `${ledgerKey(spec)}.json`), { force: true });
  // the last resource of a stack takes its folders with it; a busy folder stays
  for (const d of [dir, dirname(dir)]) {
    try {
      rmdirSync(d);
    } catch {
      return;
    }
  }
}

export function recorded(spec: Spec): Spec | null {
  try {
    return JSON.parse(readFileSync(join(stackDir(spec), `${ledgerKey(spec)}.json`), "utf8")) as Spec;
  } catch {
    return null;
  }
}
