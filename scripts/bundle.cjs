// One way to build the project's bundles with esbuild (one CommonJS file for node 20,
// dependencies inside): the runner shipped into every stack, and the nslab CLI. A
// bundle is rebuilt only when one of its source folders or the lockfile is newer, so an
// unchanged one costs no esbuild run (~90 ms).
const { buildSync } = require("esbuild");
const { existsSync, readdirSync, statSync } = require("node:fs");
const { join } = require("node:path");

const ROOT = join(__dirname, "..");

function upToDate(out, dirs) {
  if (!existsSync(out)) return false;
  const built = statSync(out).mtimeMs;
  const sources = dirs.flatMap((d) => readdirSync(join(ROOT, d)).map((f) => join(ROOT, d, f)));
  return [...sources, join(ROOT, "package-lock.json")].every((f) => !existsSync(f) || statSync(f).mtimeMs <= built);
}

/**
 * Bundle `entry` (relative to the project) into dist/`name`.cjs unless it is up to date;
 * its path. `external` packages are left to node_modules (only for what runs in the project).
 */
function bundle(entry, name, dirs, external = []) {
  const out = join(ROOT, "dist", `${name}.cjs`);
  if (upToDate(out, dirs)) return out;
  buildSync({
    entryPoints: [join(ROOT, entry)],
    outfile: out,
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    minify: true,
    legalComments: "none",
    logLevel: "error",
    external,
  });
  return out;
}

module.exports = {
  /** The netops runner: one file, copied into every synthesized stack. */
  buildRunner: () => bundle("netops/main.ts", "netops", ["netops", "model"]),
  /** The nslab CLI (bin/nslab.js runs it). */
  // Graphviz's WebAssembly (1.2 MB) stays in node_modules: only `nslab graph` loads it
  buildCli: () => bundle("cli/main.ts", "nslab", ["cli", "model", "netops"], ["@viz-js/viz"]),
};
