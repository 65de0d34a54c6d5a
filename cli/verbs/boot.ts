// `nslab boot enable|disable <stack>` and `nslab boot status [stack] [--json]`: the
// systemd unit that rebuilds a deployed lab from its record at boot, on every machine of
// the lab (netops/boot.ts writes it, the deployed lab's own runner runs it).
import { existsSync } from "node:fs";
import type { DeployedRecord } from "../../model/record";
import { loadDeployed, placeWords, recordsOf } from "../deployed";
import { CliError } from "../manifest";
import { runRunner } from "../runner";
import { table } from "../../netops/table";
import type { Handler } from "./types";

export const boot: Handler<"boot"> = async ({ pos, flags }) => {
  if (pos.action === "status") return status(pos.stack, !!flags.json);
  if (!pos.stack) throw new CliError(`boot ${pos.action}: which stack?`, "usage: nslab boot enable|disable <stack>");
  if (flags.json) throw new CliError(`boot ${pos.action}: --json is for boot status`);
  const d = loadDeployed(pos.stack);
  const on = pos.action === "enable";
  const { code } = await runRunner(d, "boot", { flags: { enable: on, disable: !on } });
  if (code === 0)
    process.stdout.write(
      `nslab: ${pos.stack}: ${on ? "rebuilt at every boot from its deployed record" : "no longer rebuilt at boot"}\n`,
    );
  return code;
};

interface Row {
  readonly stack: string;
  /** The sandbox host; null: the machine's root namespace (as inspect --json says it). */
  readonly hostNetns: string | null;
  readonly state: DeployedRecord["state"];
  readonly deployed: string;
  readonly boot: "enabled" | "disabled";
  readonly unit: string | null;
  readonly from: string | null;
}

/** Every record on this machine (or one stack's), with its boot unit's state. */
function status(stack: string | undefined, json: boolean): number {
  const rows: Row[] = recordsOf(stack).map((r) => ({
    stack: r.stack,
    hostNetns: r.host ?? null,
    state: r.state,
    deployed: r.at,
    boot: r.boot && existsSync(r.boot.unit) && existsSync(r.boot.wants) ? "enabled" : "disabled",
    unit: r.boot?.unit ?? null,
    from: r.from ?? null,
  }));
  if (json) process.stdout.write(`${JSON.stringify({ v: 1, labs: rows }, null, 1)}\n`);
  else if (!rows.length)
    process.stdout.write(
      stack ? `stack ${stack} is not deployed on this machine\n` : "no lab is deployed on this machine\n",
    );
  else
    process.stdout.write(
      table(
        ["STACK", "WHERE", "STATE", "DEPLOYED", "BOOT", "UNIT"],
        rows.map((r) => [r.stack, placeWords(r.hostNetns ?? undefined), r.state, r.deployed, r.boot, r.unit ?? "-"]),
      ) + "\n",
    );
  return stack && !rows.length ? 1 : 0;
}
