// The netops runner ships inside every synthesized stack as one bundled file: this
// package's dist/netops.cjs, built by `npm run build` and shipped prebuilt in the package
// (the repository's own synth rebuilds it first when its sources changed). Found from here
// in every layout: the sources (synth/), the compiled library (lib/synth/), the
// repository's synth bundle (dist/app.cjs).
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { NAME } from "../model/name";

/** The package's folder: the nearest one above this file with this package's package.json. */
export function packageRoot(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, "utf8")) as { name?: string }).name === NAME)
      return dir;
    if (dirname(dir) === dir) throw new Error(`${__dirname} is not inside the ${NAME} package`);
  }
}

let found: string | undefined;

/** Path of the runner bundle. */
export function runnerBundle(): string {
  if (found) return found;
  const path = join(packageRoot(), "dist", "netops.cjs");
  if (!existsSync(path))
    throw new Error(`${path} is missing: run \`npm run build\` there (the package from the registry ships it)`);
  return (found = path);
}
