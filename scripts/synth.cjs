// cdktf's `app` (cdktf.json): bundle main.ts and the project's own sources into one
// CommonJS file with esbuild (~60 ms; packages stay external), then run it. Running the
// TypeScript through tsx's loader hooks cost ~0.5 s of every synth, deploy and destroy.
// No type-check here, as with tsx: `npm run typecheck` (and `npm test`) does that.
const { buildSync } = require("esbuild");
const { join } = require("node:path");

const root = join(__dirname, "..");
// the runner the stacks ship, rebuilt first when its sources changed (the library itself
// only finds it: constructs/runner-bundle.ts)
require("./bundle.cjs").buildRunner();
// in dist/, one level down like constructs/: the runner bundle is found from there
const out = join(root, "dist", "app.cjs");
buildSync({
  entryPoints: [join(root, "main.ts")],
  outfile: out,
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  packages: "external",
  logLevel: "error",
});
require(out);
