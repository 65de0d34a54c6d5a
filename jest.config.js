// Tiers: unit (pure), constructs (synth), kernel (runner on real namespaces, root),
// e2e (real cdktf deploy/destroy, root).
const { buildSync } = require("esbuild");

// execa is ESM-only; the runner bundles it with esbuild, and jest gets the same bundle
// as CommonJS (the unit tier imports plan modules that import the executor).
buildSync({
  stdin: { contents: 'module.exports = require("execa");', resolveDir: __dirname },
  outfile: `${__dirname}/dist/execa.cjs`,
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  logLevel: "error",
});

module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  transform: { "^.+\\.ts$": ["ts-jest", { tsconfig: "tsconfig.jest.json" }] },
  moduleNameMapper: { "^execa$": "<rootDir>/dist/execa.cjs" },
  setupFilesAfterEnv: ["<rootDir>/test/helpers/setup.ts"],
  globalSetup: "<rootDir>/test/helpers/global-setup.ts",
  globalTeardown: "<rootDir>/test/helpers/global-teardown.ts",
  // kernel and e2e tests share machine-wide names (/run/netns, /etc/netns): one at a time
  maxWorkers: 1,
};
