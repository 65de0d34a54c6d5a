// cdktf's `app` (cdktf.json): bundle main.ts and the project's own sources into one
// CommonJS file with esbuild (packages stay external), then run it. Running the
// TypeScript through tsx's loader hooks cost ~0.5 s of every synth, deploy and destroy;
// the bundle is made again only when a source is newer (~65 ms otherwise, on every one).
// No type-check here, as with tsx: `npm run typecheck` (and `npm test`) does that.
const { buildApp, buildRunner } = require("./bundle.cjs");

// the runner the stacks ship, rebuilt first when its sources changed (the library itself
// only finds it: synth/runner-bundle.ts)
buildRunner();
// in dist/, one level down like constructs/: the runner bundle is found from there
require(buildApp());
