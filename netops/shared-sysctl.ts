// Host-wide settings a resource needs (ip_forward for a network) are shared by every
// nslab resource on that host, of any stack. Each resource holds the setting while it
// exists; the first holder notes the value it found, and the last one to let go puts
// that value back. Who holds what is kept next to the ledger:
//   <state>/<host>/_sysctl/<key>/prior            the value before nslab changed it
//   <state>/<host>/_sysctl/<key>/holders/<stack>--<resource key>
// A lock (lock.ts) makes "look, change, note" one step for the runners Terraform starts at once.
import { sandboxHostOf } from "../model/schema";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { run } from "./exec";
import { hostDir } from "./ledger";
import { tryRmdir, withLock } from "./lock";
import { netnsExists, readSysctl } from "./observe";
import { inSandboxHost, type Target } from "./step";

function readOr(file: string, fallback: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return fallback;
  }
}

const keyDir = (host: string | undefined, key: string) => join(hostDir(host), "_sysctl", key);

async function write(t: Target, key: string, value: string): Promise<void> {
  const argv = inSandboxHost(t, ["sysctl", "-qw", `${key}=${value}`]);
  const r = await run(argv);
  if (!r.ok) throw new Error(`setting ${key}=${value}: ${r.stderr.trim()}\n  command: ${argv.join(" ")}`);
}

export type Log = (line: string) => void;

/**
 * Hold `key` at `value` for `holder`. Returns true when this call added the hold (so a
 * rollback of the same apply lets go of it), false when the holder already had it.
 */
export async function hold(t: Target, key: string, value: string, holder: string, log: Log): Promise<boolean> {
  return withLock(sandboxHostOf(t), "sysctl", async () => {
    const dir = keyDir(sandboxHostOf(t), key);
    const current = await readSysctl(t, key);
    if (!existsSync(join(dir, "prior"))) {
      mkdirSync(join(dir, "holders"), { recursive: true });
      writeFileSync(join(dir, "prior"), current);
    }
    const mine = join(dir, "holders", holder);
    const added = !existsSync(mine);
    writeFileSync(mine, value);
    if (current !== value) {
      await write(t, key, value);
      log(`set ${key}=${value} (was ${current})`);
    }
    return added;
  });
}

/** Let go of `key`; the last holder restores the prior value (unless someone changed it since). */
export async function release(t: Target, key: string, holder: string, log: Log): Promise<void> {
  await withLock(sandboxHostOf(t), "sysctl", async () => {
    const dir = keyDir(sandboxHostOf(t), key);
    const mine = join(dir, "holders", holder);
    if (!existsSync(mine)) return;
    const held = readFileSync(mine, "utf8");
    rmSync(mine);
    if (readdirSync(join(dir, "holders")).length > 0) return;
    const prior = readOr(join(dir, "prior"), held);
    const sandboxHost = sandboxHostOf(t);
    const hostGone = sandboxHost !== undefined && !netnsExists(sandboxHost);
    if (!hostGone && prior !== held && (await readSysctl(t, key)) === held) {
      await write(t, key, prior);
      log(`restored ${key}=${prior} (last nslab holder gone)`);
    }
    rmSync(dir, { recursive: true, force: true });
    tryRmdir(join(hostDir(sandboxHostOf(t)), "_sysctl"));
  });
}
