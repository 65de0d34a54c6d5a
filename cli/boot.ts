// `nslab boot enable|disable <stack>` and `nslab boot status [stack] [--json]`: the
// systemd unit that rebuilds a deployed lab from its record at boot, on every machine of
// the lab (netops/boot.ts writes it, the deployed lab's own runner runs it).
import { existsSync } from "node:fs";
import type { DeployedRecord } from "../model/record";
import { loadDeployed, placeWords, recordsOf, runner } from "./deployed";
import { CliError } from "./manifest";
import { table } from "../netops/table";

export const BOOT_USAGE =
  "       nslab boot enable|disable <stack>                 rebuild the deployed lab at every boot (systemd), or not\n" +
  "       nslab boot status [stack] [--json]                the labs deployed on this machine, and their boot units\n";

export async function boot([action, ...rest]: readonly string[]): Promise<number> {
  if (action === "status") return status(rest);
  const [stack, ...more] = rest;
  if ((action !== "enable" && action !== "disable") || !stack || stack.startsWith("-") || more.length)
    throw new CliError("boot: say enable or disable, and which stack", BOOT_USAGE);
  const d = loadDeployed(stack);
  const { code } = await runner(d, "boot", false, [`--${action}`]);
  if (code === 0)
    process.stdout.write(
      `nslab: ${stack}: ${action === "enable" ? "rebuilt at every boot from its deployed record" : "no longer rebuilt at boot"}\n`,
    );
  return code;
}

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
function status(args: readonly string[]): number {
  const json = args.includes("--json");
  const named = args.filter((a) => a !== "--json");
  if (named.length > 1 || named.some((a) => a.startsWith("-")))
    throw new CliError(`boot status: unknown argument ${named.find((a) => a.startsWith("-")) ?? named[1]}`, BOOT_USAGE);
  const rows: Row[] = recordsOf(named[0]).map((r) => ({
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
      named.length ? `stack ${named[0]} is not deployed on this machine\n` : "no lab is deployed on this machine\n",
    );
  else
    process.stdout.write(
      table(
        ["STACK", "WHERE", "STATE", "DEPLOYED", "BOOT", "UNIT"],
        rows.map((r) => [r.stack, placeWords(r.hostNetns ?? undefined), r.state, r.deployed, r.boot, r.unit ?? "-"]),
      ) + "\n",
    );
  return named.length && !rows.length ? 1 : 0;
}
