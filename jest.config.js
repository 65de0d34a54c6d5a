// Tiers: unit (pure), constructs (synth), kernel (runner on real namespaces, root),
// e2e (real cdktf deploy/destroy, root); the constructs tier runs under cdktf and cdktn.
const { buildSync } = require("esbuild");
const { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } = require("node:fs");
const { dirname } = require("node:path");

// execa is ESM-only; the runner bundles it with esbuild, and jest gets the same bundle
// as CommonJS (the unit tier imports plan modules that import the executor).
const out = `${__dirname}/dist/execa.cjs`;
const [built] = buildSync({
  stdin: { contents: 'module.exports = require("execa");', resolveDir: __dirname },
  outfile: out,
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  logLevel: "error",
  write: false,
}).outputFiles;
// written only when it changed, and by a rename: a jest run started beside another (CI
// runs the pure tiers on two nodes at once) never reads it half-written
if (!existsSync(out) || !readFileSync(out).equals(Buffer.from(built.contents))) {
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(`${out}.${process.pid}`, built.contents);
  renameSync(`${out}.${process.pid}`, out);
}

const tier = {
  testEnvironment: "node",
  testMatch: ["**/*.test.ts"],
  transform: { "^.+\\.ts$": ["ts-jest", { tsconfig: "tsconfig.jest.json" }] },
  setupFilesAfterEnv: ["<rootDir>/test/helpers/setup.ts"],
};

module.exports = {
  projects: [
    {
      ...tier,
      displayName: "cdktf",
      roots: ["<rootDir>/test"],
      moduleNameMapper: { "^execa$": "<rootDir>/dist/execa.cjs" },
    },
    // the constructs tier again on CDK Terrain, against the same snapshots: every import of
    // cdktf (nslab's synth/engine.ts, the stacks, the tests, provider-null) gets cdktn, so a
    // stack whose JSON differs between the two engines fails here
    {
      ...tier,
      displayName: "cdktn",
      roots: ["<rootDir>/test/constructs"],
      moduleNameMapper: { "^cdktf$": "cdktn", "^cdktf/(.*)$": "cdktn/$1" },
    },
  ],
  // npm test's shards get files by their durations (scripts/test.cjs)
  testSequencer: "<rootDir>/test/helpers/sequencer.js",
  globalSetup: "<rootDir>/test/helpers/global-setup.ts",
  globalTeardown: "<rootDir>/test/helpers/global-teardown.ts",
  // kernel and e2e tests share machine-wide names (/run/netns, /etc/netns): one at a time
  // in a mount namespace (npm test runs shards side by side, each in its own: scripts/test.cjs)
  maxWorkers: 1,
};
