// A copy of this project in a temp dir, so end-to-end tests run the real cdktf CLI with
// their own cdktf.out and Terraform state, never touching a user's lab-stack state.
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
  "stacks",
  "model",
  "netops",
  "cli",
  "scripts",
];

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
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
