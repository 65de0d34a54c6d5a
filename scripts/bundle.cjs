// One way to build the project's bundles with esbuild (one CommonJS file for node 20,
// dependencies inside): the runner shipped into every stack, and the nslab CLI. A
// bundle is rebuilt only when one of its source folders or the lockfile is newer, so an
// unchanged one costs no esbuild run (~90 ms).
const { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } = require("node:fs");
const { dirname, join } = require("node:path");

const ROOT = join(__dirname, "..");

/** `sources`: folders (their files) and files, relative to the project. */
function upToDate(out, sources) {
  if (!existsSync(out)) return false;
  const built = statSync(out).mtimeMs;
  const files = sources.flatMap((d) => {
    const path = join(ROOT, d);
    return statSync(path).isDirectory() ? readdirSync(path).map((f) => join(path, f)) : [path];
  });
  return [...files, join(ROOT, "package-lock.json")].every((f) => !existsSync(f) || statSync(f).mtimeMs <= built);
}

/**
 * Bundle `entry` (relative to the project) into dist/`name`.cjs unless it is up to date;
 * its path. `external` packages are left to node_modules (only for what runs in the
 * project); `app`: the project's own app, its packages all left there and its code as written.
 */
function bundle(entry, name, dirs, external = [], wrap = (code) => code, app = false) {
  const out = join(ROOT, "dist", `${name}.cjs`);
  if (upToDate(out, [...dirs, entry])) return out;
  // loaded only to build: an up-to-date bundle costs no esbuild load either
  const built = require("esbuild").buildSync({
    entryPoints: [join(ROOT, entry)],
    write: false,
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    minify: !app,
    legalComments: "none",
    logLevel: "error",
    external,
    packages: app ? "external" : undefined,
  });
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, wrap(built.outputFiles[0].text));
  return out;
}

/**
 * The runner as one file that keeps V8's code cache of itself next to it
 * (<file>.v8cache): a runner starts once per object and Terraform operation, and reading
 * compiled code instead of compiling ~280 KB of JavaScript saves ~35 ms of CPU each time
 * (npm run bench: per-object CPU). Node 20 has no compile cache of its own
 * (module.enableCompileCache is Node 22). The cache can never break a run: V8 checks it
 * against the source and its own version and flags, and a rejected or missing one only
 * means compiling, as without it, and writing it again (aside, then renamed: parallel
 * runners never read half a file). A read-only folder just goes without. Code compiled
 * this way cannot import() (node 20 gives a vm.Script no module loader, and a cached one
 * loses it): the build refuses a runner that does; the CLI, which imports Graphviz, is a
 * plain bundle.
 */
function selfCaching(code) {
  if (/\bimport\(/.test(code)) throw new Error("the runner bundle uses import(): it cannot keep a code cache");
  return `"use strict";
// nslab: the runner is the string below, compiled with V8's code cache (scripts/bundle.cjs)
const { Script } = require("node:vm");
const fs = require("node:fs");
const cacheFile = __filename + ".v8cache";
let cachedData;
try {
  cachedData = fs.readFileSync(cacheFile);
} catch {}
const script = new Script(require("node:module").wrap(${JSON.stringify(code)}), { filename: __filename, cachedData });
if (cachedData === undefined || script.cachedDataRejected)
  process.once("exit", () => {
    const aside = cacheFile + "." + process.pid;
    try {
      fs.writeFileSync(aside, script.createCachedData());
      fs.renameSync(aside, cacheFile);
    } catch {
      fs.rmSync(aside, { force: true });
    }
  });
script.runInThisContext()(exports, require, module, __filename, __dirname);
`;
}

module.exports = {
  /** The netops runner: one file, copied into every synthesized stack. */
  buildRunner: () => bundle("netops/main.ts", "netops", ["netops", "model"], [], selfCaching),
  /** The nslab CLI (bin/nslab.js runs it). */
  // Graphviz's WebAssembly (1.2 MB) stays in node_modules: only `nslab graph` loads it
  buildCli: () => bundle("cli/main.ts", "nslab", ["cli", "model", "netops"], ["@viz-js/viz"]),
  /** This repository's app (cdktf.json runs scripts/synth.cjs): main.ts and what it imports. */
  buildApp: () => bundle("main.ts", "app", ["constructs", "synth", "model", "stacks"], [], undefined, true),
};
