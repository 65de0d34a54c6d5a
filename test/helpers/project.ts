// A copy of this project in a temp dir, so end-to-end tests run the real cdktf CLI with
// their own cdktf.out and Terraform state, never touching a user's lab-stack state.
import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cmd, type Out } from "./cmd";
import { mainFor, type HostShape, type LabShape } from "./lab-shape";

const ROOT = join(__dirname, "..", "..");
const SOURCES = [
  "bin",
  "main.ts",
  "cdktf.json",
  "package.json",
  "tsconfig.json",
  "constructs",
  "synth",
  "stacks",
  "model",
  "netops",
  "cli",
  "scripts",
];

/** This project's code, or its code at `commit` (git's), into `dir`; a user's main.ts is left as it is. */
function useVersion(dir: string, commit?: string): void {
  const code = SOURCES.filter((s) => s !== "main.ts");
  for (const s of [...code, "dist"]) rmSync(join(dir, s), { recursive: true, force: true });
  if (!commit) for (const s of code) cpSync(join(ROOT, s), join(dir, s), { recursive: true });
  else {
    // the paths that version had (a folder added since was not there)
    const had = execFileSync("git", ["-C", ROOT, "ls-tree", "--name-only", commit], { encoding: "utf8" }).split("\n");
    const paths = code.filter((p) => had.includes(p));
    const tar = execFileSync("git", ["-C", ROOT, "archive", commit, ...paths], { maxBuffer: 64 << 20 });
    execFileSync("tar", ["-x", "-C", dir], { input: tar });
  }
}

export function projectCopy() {
  const dir = mkdtempSync(join(tmpdir(), "nslab-e2e-"));
  for (const s of SOURCES) cpSync(join(ROOT, s), join(dir, s), { recursive: true });
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
  const env = (host: string) => ({ ...process.env, NSLAB_HOST_NETNS: host, CI: "true" });
  return {
    dir,
    stackDir: join(dir, "cdktf.out", "stacks", "lab-stack"),
    cdktf: (args: string[], host: string, extraEnv: Record<string, string> = {}): Out =>
      cmd([join(ROOT, "node_modules", ".bin", "cdktf"), ...args], { cwd: dir, env: { ...env(host), ...extraEnv } }),
    /** Plain terraform on a synthesized stack (`out` as given to `cdktf synth --output`). */
    terraform: (args: string[], host: string, extraEnv: Record<string, string> = {}, out = "cdktf.out"): Out =>
      cmd(["terraform", `-chdir=${join(dir, out, "stacks", "lab-stack")}`, ...args], {
        cwd: dir,
        env: { ...env(host), ...extraEnv },
      }),
    /** Replace main.ts with a lab-stack built from `lab`, as a user edits their code. */
    useLab: (lab: LabShape, host?: HostShape) => writeFileSync(join(dir, "main.ts"), mainFor(lab, "lab-stack", host)),
    /** Replace main.ts with this source (it builds a LabStack "lab-stack" from ./constructs). */
    useMain: (source: string) => writeFileSync(join(dir, "main.ts"), source),
    nslab: (args: string[], host: string): Out =>
      cmd(["node", join(dir, "bin", "nslab.js"), ...args], { cwd: dir, env: env(host) }),
    /** The project's code as `commit` had it (a user's project before an upgrade), or as it is now. */
    useVersion: (commit?: string) => useVersion(dir, commit),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
