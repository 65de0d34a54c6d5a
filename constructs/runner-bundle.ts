// The netops runner ships inside every synthesized stack as one bundled file. It is
// rebuilt at synth when any of its sources (or the lockfile) is newer than the bundle, so
// a stack never carries a stale runner and an unchanged one costs no esbuild run (~90 ms).
import { buildSync } from "esbuild";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

const ROOT = join(__dirname, "..");
export const RUNNER_BUNDLE = join(ROOT, "dist", "netops.cjs");

let built = false;

/** Bundle netops/main.ts and its dependencies (execa, zod) into dist/netops.cjs. */
function upToDate(): boolean {
  if (!existsSync(RUNNER_BUNDLE)) return false;
  const bundle = statSync(RUNNER_BUNDLE).mtimeMs;
  const sources = ["netops", "model"].flatMap((d) => readdirSync(join(ROOT, d)).map((f) => join(ROOT, d, f)));
  return [...sources, join(ROOT, "package-lock.json")].every((f) => !existsSync(f) || statSync(f).mtimeMs <= bundle);
}

export function buildRunner(): string {
  if (built || upToDate()) return RUNNER_BUNDLE;
  buildSync({
    entryPoints: [join(ROOT, "netops", "main.ts")],
    outfile: RUNNER_BUNDLE,
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    minify: true,
    legalComments: "none",
    logLevel: "error",
  });
  built = true;
  return RUNNER_BUNDLE;
}
