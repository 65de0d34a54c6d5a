// Labs that come back after a reboot by themselves: a systemd unit per stack and machine
// that converges the deployed record at boot (`netops restore <record folder>`), with
// nothing but the record: no project folder, no Terraform, no network. `nslab boot
// enable|disable` write and remove it (on every machine of the lab: machines.ts), destroy
// removes it with the record. NSLAB_SYSTEMD_DIR moves the unit folder (machines where
// systemd is not PID 1: the tests).
import { sandboxHostOf } from "../model/schema";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { NAME } from "../model/name";
import { placeOf, RECORD_FILE, RECORD_LAB, RECORD_RUNNER, recordDir } from "../model/record";
import { readLab } from "../model/lab-file";
import { run } from "./exec";
import { log } from "./engine";
import { convergeHere } from "./lab";
import { readRecord, setBoot, type Where } from "./record";

const unitDir = () => process.env.NSLAB_SYSTEMD_DIR || "/etc/systemd/system";
const WANTED_BY = "multi-user.target";

/**
 * The unit's name: the stack's, and a hash of where it is (the same stack name may be
 * deployed in two sandbox hosts; unit names cannot hold every character ours may).
 */
export function unitName(lab: Where): string {
  const h = createHash("sha256")
    .update(`${placeOf(sandboxHostOf(lab))}/${lab.stack}`)
    .digest("hex")
    .slice(0, 8);
  return `${NAME}-${lab.stack}-${h}.service`;
}

/** The unit file: a oneshot that runs the record's runner on the record, once, at boot. */
export function unitText(lab: Where, node = process.execPath): string {
  const dir = recordDir(sandboxHostOf(lab), lab.stack);
  const where = sandboxHostOf(lab) ? `sandbox host ${sandboxHostOf(lab)}` : "this machine";
  return [
    "[Unit]",
    `Description=${NAME}: lab ${lab.stack} on ${where}, rebuilt from its deployed record`,
    `Documentation=https://www.npmjs.com/package/${NAME}`,
    // the record lives on disk; nothing else is needed (no network: a lab is local)
    "After=local-fs.target",
    `ConditionPathExists=${join(dir, RECORD_FILE)}`,
    "",
    "[Service]",
    "Type=oneshot",
    "RemainAfterExit=yes",
    // the lab's workloads outlive the restore that started them, and a stop of the unit
    "KillMode=process",
    `WorkingDirectory=${dir}`,
    `ExecStart=${node} ${join(dir, RECORD_RUNNER)} restore ${dir}`,
    "",
    "[Install]",
    `WantedBy=${WANTED_BY}`,
    "",
  ].join("\n");
}

/** systemd running here (PID 1): it is told of a unit added or removed. */
const systemdRuns = () => existsSync("/run/systemd/system") && !process.env.NSLAB_SYSTEMD_DIR;

async function reload(): Promise<void> {
  if (systemdRuns()) await run(["systemctl", "daemon-reload"]);
}

/**
 * Write the unit and enable it as `systemctl enable` does (the link in the target's
 * `.wants` folder), so it works whether systemd runs now or only at the next boot.
 */
export async function enableBoot(lab: Where): Promise<string> {
  if (!readRecord(lab)) throw new Error(`stack ${lab.stack} has no deployed record on this machine: deploy it first`);
  const dir = unitDir();
  const name = unitName(lab);
  const unit = join(dir, name);
  const wants = join(dir, `${WANTED_BY}.wants`, name);
  mkdirSync(join(dir, `${WANTED_BY}.wants`), { recursive: true });
  writeFileSync(unit, unitText(lab));
  rmSync(wants, { force: true });
  symlinkSync(unit, wants);
  setBoot(lab, { unit, wants });
  await reload();
  return unit;
}

/** Remove the record's unit, if it has one; false when it had none. */
export async function disableBoot(lab: Where): Promise<boolean> {
  const boot = readRecord(lab)?.boot;
  if (!boot) return false;
  rmSync(boot.wants, { force: true });
  rmSync(boot.unit, { force: true });
  setBoot(lab, null);
  await reload();
  return true;
}

/**
 * The unit's ExecStart: this machine's part of the deployed lab, made again as its deploy
 * made it (the sandbox host first, when a reboot took it), from the record alone.
 */
export async function restore(dir: string): Promise<number> {
  const { lab, specs } = readLab(join(dir, RECORD_LAB));
  const record = readRecord(lab);
  if (!record) throw new Error(`${dir} holds no deployed record of stack ${lab.stack}`);
  log(`stack ${lab.stack}`)(`restoring the lab deployed ${record.at} (${record.state})`);
  await convergeHere(
    lab,
    specs.filter((s) => !s.remote),
    "this machine",
    { quiet: false, apply: false, by: "boot" },
  );
  return 0;
}
