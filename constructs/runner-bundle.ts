// The netops runner ships inside every synthesized stack as one bundled file. It is
// rebuilt at synth (esbuild takes ~50 ms) so a stack never carries a stale runner.
import { buildSync } from "esbuild";
import { join } from "node:path";

const ROOT = join(__dirname, "..");
export const RUNNER_BUNDLE = join(ROOT, "dist", "netops.cjs");

let built = false;

/** Bundle netops/main.ts and its dependencies (execa, zod) into dist/netops.cjs. */
export function buildRunner(): string {
  if (built) return RUNNER_BUNDLE;
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
