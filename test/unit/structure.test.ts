// Pure tier: the code's shape, measured rather than eyed: no product function over 80
// lines (the TypeScript compiler's own parse), no import cycle at run time, bad input said
// through the props schemas rather than by hand, and no comment pointing at a file that
// is not there.
import { readdirSync, readFileSync } from "node:fs";
import { basename, dirname, join, normalize, relative } from "node:path";
import * as ts from "typescript";

const ROOT = join(__dirname, "..", "..");
const PRODUCT = ["constructs", "model", "synth", "netops", "cli"];
const everything = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? everything(join(dir, e.name)) : [join(dir, e.name)],
  );
const files = (dir: string) => everything(dir).filter((f) => /\.(ts|cjs|js)$/.test(f));
const product = PRODUCT.flatMap((d) => files(join(ROOT, d))).filter((f) => f.endsWith(".ts"));
const rel = (f: string) => relative(ROOT, f);
const parse = (f: string) => ts.createSourceFile(f, readFileSync(f, "utf8"), ts.ScriptTarget.Latest, true);

test("GIVEN every product function THEN none is over 80 lines", () => {
  const long: string[] = [];
  for (const f of product) {
    const src = parse(f);
    const visit = (n: ts.Node): void => {
      if (ts.isFunctionLike(n) && "body" in n && n.body) {
        const lines =
          src.getLineAndCharacterOfPosition(n.getEnd()).line - src.getLineAndCharacterOfPosition(n.getStart()).line + 1;
        if (lines > 80)
          long.push(`${rel(f)}:${src.getLineAndCharacterOfPosition(n.getStart()).line + 1} (${lines} lines)`);
      }
      ts.forEachChild(n, visit);
    };
    visit(src);
  }
  expect(long).toEqual([]);
});

/** What a file imports at run time (type-only imports vanish when compiled), among the product's files. */
function runtimeImports(f: string): string[] {
  const out: string[] = [];
  for (const s of parse(f).statements) {
    if (!ts.isImportDeclaration(s) && !ts.isExportDeclaration(s)) continue;
    const spec = s.moduleSpecifier;
    if (!spec || !ts.isStringLiteral(spec) || !spec.text.startsWith(".")) continue;
    if (ts.isImportDeclaration(s)) {
      const c = s.importClause;
      if (c?.isTypeOnly) continue;
      const named = c?.namedBindings && ts.isNamedImports(c.namedBindings) ? c.namedBindings.elements : undefined;
      if (c && !c.name && named && named.every((e) => e.isTypeOnly)) continue;
    } else if (s.isTypeOnly) continue;
    const to = normalize(join(dirname(f), spec.text));
    const hit = [`${to}.ts`, join(to, "index.ts")].find((p) => product.includes(p));
    if (hit) out.push(hit);
  }
  return out;
}

test("GIVEN the product's imports THEN no cycle", () => {
  const graph = new Map(product.map((f) => [f, runtimeImports(f)]));
  const cycles: string[] = [];
  const state = new Map<string, "open" | "done">();
  const walk = (f: string, path: string[]): void => {
    if (state.get(f) === "done") return;
    if (state.get(f) === "open") return void cycles.push([...path.slice(path.indexOf(f)), f].map(rel).join(" -> "));
    state.set(f, "open");
    for (const g of graph.get(f)!) walk(g, [...path, f]);
    state.set(f, "done");
  };
  for (const f of product) walk(f, []);
  expect(cycles).toEqual([]);
});

test("GIVEN the product THEN only synth/engine.ts imports a CDK engine or a provider package", () => {
  const engineImports = product.filter((f) =>
    parse(f).statements.some(
      (s) =>
        (ts.isImportDeclaration(s) || ts.isExportDeclaration(s)) &&
        s.moduleSpecifier !== undefined &&
        ts.isStringLiteral(s.moduleSpecifier) &&
        /^(cdktf|cdktn|@cdktf\/|@cdktn\/)/.test(s.moduleSpecifier.text),
    ),
  );
  expect(engineImports.map(rel)).toEqual(["synth/engine.ts"]);
});

test("GIVEN constructs/ THEN bad input is said by the props schemas, with at most 20 hand-written errors", () => {
  const sites = files(join(ROOT, "constructs")).flatMap(
    (f) => readFileSync(f, "utf8").match(/new NslabValidationError\(/g) ?? [],
  );
  expect(sites.length).toBeLessThanOrEqual(20);
});

test("GIVEN every comment that names a file THEN the file is there", () => {
  const known = new Set(
    [...PRODUCT, "scripts", "bin", "stacks", "test", "bench", "docs"]
      .flatMap((d) => everything(join(ROOT, d)))
      .map(rel),
  );
  const names = new Set([...known].map((f) => basename(f)));
  const missing: string[] = [];
  for (const f of [...PRODUCT, "scripts", "bin", "stacks", "bench"].flatMap((d) => files(join(ROOT, d)))) {
    readFileSync(f, "utf8")
      .split("\n")
      .forEach((line, i) => {
        const comment = line.includes("//") ? line.slice(line.indexOf("//")) : /^\s*\*/.test(line) ? line : "";
        for (const [, ref] of comment.matchAll(/(?<![\w@/.-])((?:\.\.?\/)*[\w-]+(?:\/[\w.-]+)*\.(?:ts|cjs|md))\b/g)) {
          // what the build makes (dist/, the runner's bundle) is not in the tree
          if (/(^|\/)(dist\/|netops\.cjs|nslab\.cjs|app\.cjs)/.test(ref)) continue;
          const there = ref.includes("/")
            ? [normalize(join(rel(dirname(f)), ref)), normalize(ref)].some((p) => known.has(p))
            : names.has(ref);
          if (!there) missing.push(`${rel(f)}:${i + 1} ${ref}`);
        }
      });
  }
  expect(missing).toEqual([]);
});
