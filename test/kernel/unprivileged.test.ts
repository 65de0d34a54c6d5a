// Kernel tier (it needs root only to become another user), issue 21: the pure and
// construct tiers (`npm run test:unit`) pass for a user who is not root, in a copy of
// this repository that user owns, as a contributor's clone is (two workers: no kernel there).
import { execFileSync } from "node:child_process";
import { chownSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { cmd, requireRoot } from "../helpers/cmd";

requireRoot("kernel");
jest.setTimeout(300_000);

const ROOT = join(__dirname, "..", "..");
const NOBODY = 65534;
// not under the run's own TMPDIR, which only root may enter
const dir = mkdtempSync("/tmp/nslab-unprivileged-");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("npm run test:unit passes as a user who is not root", () => {
  const tracked = execFileSync("git", ["-C", ROOT, "ls-files", "-z"]);
  const tar = execFileSync("tar", ["-c", "--null", "-T", "-", "-f", "-"], {
    cwd: ROOT,
    input: tracked,
    maxBuffer: 256 << 20,
  });
  execFileSync("tar", ["-x", "-C", dir, "-f", "-"], { input: tar });
  execFileSync("chown", ["-R", `${NOBODY}:${NOBODY}`, dir]);
  chownSync(dir, NOBODY, NOBODY);
  // node_modules as hard links (after the chown: the files stay root's, read-only to that
  // user): a symlink would fail for a checkout in a folder only root may enter (mktemp -d's);
  // across filesystems, where links cannot go, a symlink after all
  try {
    execFileSync("cp", ["-al", join(ROOT, "node_modules"), join(dir, "node_modules")]);
  } catch {
    rmSync(join(dir, "node_modules"), { recursive: true, force: true });
    symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
  }
  const r = cmd(
    [
      "setpriv",
      `--reuid=${NOBODY}`,
      `--regid=${NOBODY}`,
      "--clear-groups",
      "npm",
      "run",
      "test:unit",
      "--",
      "--maxWorkers=2",
    ],
    {
      cwd: dir,
      env: { PATH: process.env.PATH, HOME: dir, TMPDIR: dir, CI: "true" },
    },
  );
  expect(`${r.stdout}${r.stderr}`).toMatch(/Tests: +\d+ passed, \d+ total/);
  expect(r.code).toBe(0);
});
