// `nslab capture`: tcpdump on a lab's interface, named as the lab names it, on whichever
// machine it is (on a Host, its runner there runs tcpdump and the packets come back over
// ssh). A pcap on stdout (to a file, or a pipe into wireshark or tcpdump -r -), or lines as
// tcpdump prints them. Stopping it (Ctrl-C, --seconds, --count) lets tcpdump end as it
// does on Ctrl-C: what it captured is written out, the file complete.
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";
import type { CaptureMessage } from "../model/messages";
import { enterArgv } from "./enter";
import { attach, waitHandling, type Attached } from "./exec";
import { machineLabel, type Place } from "./places";
import { hostAt } from "./host-at";

export type CaptureHow = Omit<CaptureMessage, "netns" | "sandboxHost" | "ifname">;

export function tcpdumpArgv(c: CaptureMessage): string[] {
  return enterArgv(c, [
    "tcpdump",
    ...["-i", c.ifname, "-n"],
    // each packet passed on as it comes, not when a buffer fills: a live wireshark sees it at once
    "--immediate-mode",
    ...(c.text ? ["-l"] : ["-U", "-w", "-"]),
    ...(c.count ? ["-c", String(c.count)] : []),
    ...c.filter,
  ]);
}

const onPath = (cmd: string) =>
  (process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin").split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, cmd), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });

/** Capture at the place; tcpdump's exit status. */
export async function captureAt(place: Place, how: CaptureHow): Promise<number> {
  const message: CaptureMessage = {
    ...(place.netns ? { netns: place.netns } : {}),
    ...(place.sandboxHost ? { sandboxHost: place.sandboxHost } : {}),
    ifname: place.ifname!,
    ...how,
  };
  if (!place.remote) return captureHere(message, false);
  const child = await hostAt(place.remote).capture(message);
  const code = await stopOnSignal(child, () => child.stdin?.end());
  if (code !== 0) process.stderr.write(`netops capture: on ${machineLabel(place)}, exit ${code}\n`);
  return code;
}

/**
 * This machine's part. `stopOnStdinEnd`: forwarded from another machine's runner, whose
 * closing of the connection's input means stop.
 */
export async function captureHere(c: CaptureMessage, stopOnStdinEnd: boolean): Promise<number> {
  if (!onPath("tcpdump"))
    throw new Error(
      "tcpdump is not installed on the machine of the capture: install it there (Debian: apt-get install tcpdump)",
    );
  const child = attach(tcpdumpArgv(c), ["ignore", "inherit", "inherit"], true);
  const stop = () => child.pid && process.kill(child.pid, "SIGINT");
  const timer = c.seconds ? setTimeout(stop, c.seconds * 1000) : undefined;
  if (stopOnStdinEnd) process.stdin.on("end", stop).resume();
  try {
    return await stopOnSignal(child, stop);
  } finally {
    clearTimeout(timer);
    if (stopOnStdinEnd) process.stdin.pause();
  }
}

/** Wait for the child; a SIGINT or SIGTERM here stops it with `stop`, once. */
function stopOnSignal(child: Attached, stop: () => unknown): Promise<number> {
  let stopped = false;
  const once = () => {
    if (!stopped) stop();
    stopped = true;
  };
  return waitHandling(child, { SIGINT: once, SIGTERM: once });
}
