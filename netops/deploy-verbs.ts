// The verbs a deploy's own steps run on the lab file, on every machine of the lab
// (machines.ts): sweep, converge (and repair, the same in place), boot, and the gate's
// retire; and each one's part on a Host, forwarded from the machine Terraform runs on.
import { terraformBinary } from "../model/terraform-binary";
import { existsSync, readFileSync } from "node:fs";
import { specKey } from "../model/kinds";
import { readLab, type LabFile } from "../model/lab-file";
import { BootMessage, ConvergeMessage, type ConvergeMode, KeysMessage, readMessage } from "../model/messages";
import { isObjectSpec } from "../model/schema";
import { disableBoot, enableBoot } from "./boot";
import { log } from "./engine";
import { convergeHere, extraKeys, sweepKeys } from "./lab";
import { hostAt } from "./host-at";
import { machinesOf } from "./machines";
import { readSpec } from "./object-verbs";
import { partText, writeRecord } from "./record";
import { hostLabel } from "./remote";
import { armTestHooks } from "./test-hooks";

/** The lab file, with this machine's objects armed for the tests' fault hooks (a Host's are its copy's). */
export function labAt(labPath: string) {
  const { lab, specs } = readLab(labPath);
  armTestHooks(specs.filter((s) => !s.remote).map(specKey));
  return { lab, specs, machines: machinesOf(lab, specs) };
}

/** The first step of a deploy that changes the lab: from here on it is the deployed one. */
export async function sweepLab(labPath: string): Promise<number> {
  const { lab, machines } = labAt(labPath);
  writeRecord(lab, readFileSync(labPath), "deploying");
  for (const m of machines) {
    const code = await m.sweep();
    if (code !== 0) return code;
  }
  return 0;
}

/** Make every machine match the lab: a deploy's closing converge (recorded), or a repair (in place). */
export async function convergeLab(labPath: string, how: ConvergeMode): Promise<number> {
  const { lab, machines } = labAt(labPath);
  const all = async () => {
    let code = 0;
    for (const m of machines) code = Math.max(code, await m.converge(how));
    return code;
  };
  return how.by === "repair" ? all() : recording(lab, readFileSync(labPath), all);
}

/** Each machine's boot unit: written and enabled, or removed. */
export async function bootLab(labPath: string, on: boolean): Promise<number> {
  let code = 0;
  for (const m of labAt(labPath).machines) code = Math.max(code, await m.boot(on));
  return code;
}

/** A Host's part of the sweep. */
export async function sweepForwarded([message]: readonly string[]): Promise<number> {
  const { stack, keys } = readMessage("sweep", KeysMessage, message);
  await sweepKeys(stack, keys);
  return 0;
}

/** A Host's part of a converge: a deploy's records that machine's part, which its boot unit restores. */
export function convergeForwarded([message, ...lines]: readonly string[]): Promise<number> {
  const { stack, where, how } = readMessage("converge", ConvergeMessage, message);
  const specs = lines.map(readSpec).filter(isObjectSpec);
  armTestHooks(specs.map(specKey));
  const here = () => convergeHere({ stack }, specs, where, how).then(() => 0);
  return how.by === "deploy" ? recording({ stack }, partText(stack, specs), here) : here();
}

/** A Host's boot unit. */
export async function bootForwarded([message]: readonly string[]): Promise<number> {
  const { stack, on, unitDir } = readMessage("boot", BootMessage, message);
  if (unitDir) process.env.NSLAB_SYSTEMD_DIR = unitDir;
  if (on) log(`stack ${stack}`)(`boot: enabled ${await enableBoot({ stack })}`);
  else await disableBoot({ stack });
  return 0;
}

/** What the stack has on a Host and no longer declares, asked by verify and inspect. */
export function recordedForwarded([message]: readonly string[]): Promise<number> {
  const { stack, keys } = readMessage("recorded", KeysMessage, message);
  process.stdout.write(`${JSON.stringify(extraKeys(stack, keys))}\n`);
  return Promise.resolve(0);
}

/**
 * A deploy's converge on this machine: the record says `deploying` from its start (what a
 * killed deploy leaves: the next completes it) and `deployed` once every machine matches.
 */
async function recording(lab: Pick<LabFile, "stack" | "host">, text: string | Buffer, body: () => Promise<number>) {
  writeRecord(lab, text, "deploying");
  const code = await body();
  if (code === 0) writeRecord(lab, text, "deployed");
  return code;
}

/**
 * The old sweep's destroy (netops-resource.ts keepHosts): `hosts` are the owner lines of
 * the Hosts the stack had before this change. One the lab no longer lists was deleted from
 * the code, with its objects: none of their destroy provisioners runs, so what the stack
 * has there (its ledger there says what) is removed as that owner's destroy would, runner
 * copy included. With no lab file left, no Host is declared any more.
 */
export async function retire(labPath: string, address: string, hosts = "null"): Promise<number> {
  const declared = new Set(existsSync(labPath) ? (readLab(labPath).lab.hosts ?? []).map((r) => r.name) : []);
  const owners = (JSON.parse(hosts) ?? []) as string[];
  for (const owner of owners.map(readSpec)) {
    if (owner.kind !== "stack" || !owner.remote) throw new Error(`not a Host's owner: ${owner.kind}`);
    if (declared.has(owner.remote.name)) continue;
    log(`stack ${owner.stack}`)(
      `${hostLabel(owner.remote)} is no longer in the code: removing what the stack has there`,
    );
    const code = await hostAt(owner.remote).lines("destroy", [owner]);
    if (code !== 0) {
      process.stderr.write(
        `stack ${owner.stack} still has objects on ${hostLabel(owner.remote)}, which the code no longer has. ` +
          "Make it reachable and deploy again; if that machine is gone for good, forget it with " +
          `\`${terraformBinary()} state rm ${address}\` in the stack's folder (cdktf.out/stacks/${owner.stack}), then deploy.\n`,
      );
      return code;
    }
  }
  return 0;
}
