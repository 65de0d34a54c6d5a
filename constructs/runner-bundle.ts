// The netops runner ships inside every synthesized stack as one bundled file, rebuilt at
// synth when its sources changed (scripts/bundle.cjs), so a stack never carries a stale
// runner.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- shared with the JS scripts
const bundles = require("../scripts/bundle.cjs") as { buildRunner(): string };

let built: string | undefined;

/** Path of the runner bundle (dist/netops.cjs), built once per synth when stale. */
export function buildRunner(): string {
  return (built ??= bundles.buildRunner());
}
