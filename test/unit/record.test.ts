// Pure tier: the runner's side of the deployed lab's record (netops/record.ts) and its boot
// unit (netops/boot.ts), in folders of the test's own (NSLAB_RECORD_DIR, NSLAB_SYSTEMD_DIR).
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { recordDir } from "../../model/record";
import { disableBoot, enableBoot, unitName, unitText } from "../../netops/boot";
import { readRecord, removeRecord, writeRecord } from "../../netops/record";

let root: string;
const lab = { stack: "lab" };
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "nslab-record-"));
  process.env.NSLAB_RECORD_DIR = join(root, "labs");
  process.env.NSLAB_SYSTEMD_DIR = join(root, "units");
  writeFileSync(join(root, "runner.cjs"), "// the runner\n");
  jest.spyOn(process.stdout, "write").mockImplementation(() => true);
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
  delete process.env.NSLAB_RECORD_DIR;
  delete process.env.NSLAB_SYSTEMD_DIR;
  jest.restoreAllMocks();
});

test("GIVEN a deploy's steps THEN the record holds the lab and the runner, deploying then deployed; destroy removes it all", async () => {
  const dir = recordDir(undefined, "lab");
  writeRecord(lab, "{}\n", "deploying", join(root, "runner.cjs"));
  expect(readRecord(lab)).toMatchObject({ v: 1, stack: "lab", state: "deploying", from: process.cwd() });
  expect(readRecord(lab)?.host).toBeUndefined();
  expect(readFileSync(join(dir, "lab.json"), "utf8")).toBe("{}\n");
  expect(readFileSync(join(dir, "netops.cjs"), "utf8")).toBe("// the runner\n");
  writeRecord(lab, "{}\n", "deployed", join(root, "runner.cjs"));
  expect(readRecord(lab)?.state).toBe("deployed");
  expect(readdirSync(dir).sort()).toEqual(["lab.json", "netops.cjs", "record.json"]); // nothing half-written left

  const unit = await enableBoot(lab);
  expect(unit).toBe(join(root, "units", unitName(lab)));
  expect(readlinkSync(join(root, "units", "multi-user.target.wants", unitName(lab)))).toBe(unit);
  expect(readFileSync(unit, "utf8")).toBe(unitText(lab));
  // a later deploy keeps the unit
  writeRecord(lab, "{}\n", "deployed", join(root, "runner.cjs"));
  expect(readRecord(lab)?.boot).toEqual({ unit, wants: join(root, "units", "multi-user.target.wants", unitName(lab)) });
  expect(await disableBoot(lab)).toBe(true);
  expect(existsSync(unit)).toBe(false);
  expect(readRecord(lab)?.boot).toBeUndefined();
  expect(await disableBoot(lab)).toBe(false);

  await removeRecord(lab);
  expect(existsSync(join(root, "labs"))).toBe(false);
});

test("GIVEN a stack in a sandbox host THEN its unit restores it from the record alone, named apart from the same stack elsewhere", () => {
  const there = { stack: "lab", host: "sbx" };
  const text = unitText(there, "/usr/bin/node");
  const dir = recordDir("sbx", "lab");
  expect(text).toContain(`ExecStart=/usr/bin/node ${dir}/netops.cjs restore ${dir}\n`);
  expect(text).toContain(`WorkingDirectory=${dir}\n`);
  expect(text).toContain("Description=nslab: lab lab on sandbox host sbx, rebuilt from its deployed record\n");
  expect(text).toMatch(/^Type=oneshot$/m);
  expect(text).toMatch(/^KillMode=process$/m);
  expect(text).toMatch(/^WantedBy=multi-user.target$/m);
  expect(unitName(there)).toMatch(/^nslab-lab-[0-9a-f]{8}\.service$/);
  expect(unitName(there)).not.toBe(unitName(lab));
});

test("GIVEN no record THEN boot enable refuses", async () => {
  await expect(enableBoot(lab)).rejects.toThrow("stack lab has no deployed record on this machine: deploy it first");
});
