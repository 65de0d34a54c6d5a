// The library's flavour per CDK engine (synth/engine.ts): tsc builds lib/ on cdktf; lib/cdktn/
// is the same tree with the engine module alone pointed at cdktn. Checked here: no other
// compiled file names either engine, so the two flavours differ in that module only.
import { cpSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";

const LIB = join(__dirname, "..", "lib");
const TREES = ["constructs", "model", "synth"];
const ENGINE_MODULE = /^synth[/\\]engine\.(js|d\.ts)$/;
const IMPORTS_AN_ENGINE = /(require\(|from |import\()"cdkt[fn]["/]/;

const files = (dir: string): string[] =>
  readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? files(join(dir, f)) : [join(dir, f)]));

/** Builds lib/<engine>/ from lib/; its path. */
export function buildFlavour(engine: "cdktn"): string {
  const out = join(LIB, engine);
  rmSync(out, { recursive: true, force: true });
  for (const tree of TREES) cpSync(join(LIB, tree), join(out, tree), { recursive: true });
  for (const path of files(out)) {
    const name = relative(out, path);
    const text = readFileSync(path, "utf8");
    if (ENGINE_MODULE.test(name)) writeFileSync(path, text.replaceAll('"cdktf', `"${engine}`));
    else if (IMPORTS_AN_ENGINE.test(text))
      throw new Error(`lib/${name} imports a CDK engine: only synth/engine.ts may (the flavours differ there alone)`);
  }
  return out;
}
