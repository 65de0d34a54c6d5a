// Host-wide locks for what several runners change at once: Terraform starts ten
// provisioners at a time, and two stacks may deploy together. A lock is a folder next to
// the ledger (mkdir is atomic), with the holder's pid inside so that a runner killed while
// holding it does not block the others forever.
import { mkdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { hostDir } from "./ledger";

/** How long a runner waits for a lock before it gives up with an error naming the holder. */
const LOCK_WAIT_MS = 60_000;
const POLL_MS = 5;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

function readOr(file: string, fallback: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return fallback;
  }
}

/** Remove a folder if it is empty; a folder someone still uses stays. */
export function tryRmdir(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    // not empty, or already gone
  }
}

/**
 * Run `body` holding the lock `name` of `host` (e.g. "sysctl", "firewall"). Locks of one
 * host are independent; a runner that takes two takes them in the same order every time
 * (firewall, then sysctl).
 */
export async function withLock<T>(host: string | undefined, name: string, body: () => Promise<T>): Promise<T> {
  const base = hostDir(host);
  const lock = join(base, `_${name}.lock`);
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      mkdirSync(base, { recursive: true });
      mkdirSync(lock);
      writeFileSync(join(lock, "pid"), String(process.pid));
      break;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // ENOENT: the last holder of another lock removed the host folder between our two
      // mkdirs; take it from the top
      if (code !== "EEXIST" && code !== "ENOENT") throw err;
      if (code === "EEXIST") {
        const owner = Number(readOr(join(lock, "pid"), "0"));
        if (owner > 0 && !alive(owner)) rmSync(lock, { recursive: true, force: true });
        else if (Date.now() > deadline)
          throw new Error(`waiting for ${lock} (held by pid ${owner}) timed out`, { cause: err });
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  }
  try {
    return await body();
  } finally {
    rmSync(lock, { recursive: true, force: true });
    tryRmdir(base); // the last nslab object of a host takes its folder with it
  }
}
