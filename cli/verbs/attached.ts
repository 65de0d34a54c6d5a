// `nslab exec`, `shell` and `capture`: the stack's runner, attached to this terminal or
// these pipes (netops/enter.ts and netops/capture.ts do the work, on whichever machine the
// target is).
import { closeSync, openSync, rmSync, statSync } from "node:fs";
import { constants } from "node:os";
import type { DeployedLab } from "../deployed";
import { CliError } from "../manifest";
import { startRunner } from "../runner";
import { onKernel } from "./on-kernel";
import type { Handler } from "./types";

export const exec: Handler<"exec"> = ({ pos, flags, rest }) =>
  execOrShell(onKernel(pos.stack, flags.out), pos.target, rest);

export const shell: Handler<"shell"> = ({ pos, flags }) => execOrShell(onKernel(pos.stack, flags.out), pos.target, []);

/** The command (none: a shell) gets the terminal's Ctrl-C itself, and we wait for it. */
function execOrShell(d: DeployedLab, target: string, command: readonly string[]): Promise<number> {
  // a terminal on the other machine too, for a shell or an interactive command on a Host
  const tty = !!(process.stdin.isTTY && process.stdout.isTTY);
  const child = startRunner(d, "exec", { pos: { target }, flags: { tty }, rest: command }, { stdio: "inherit" });
  return attachedTo(d, child, () => child.kill("SIGTERM"));
}

export const capture: Handler<"capture"> = async ({ pos, flags, rest }) => {
  const d = onKernel(pos.stack, flags.out);
  const file = flags.write !== undefined ? openSync(flags.write, "w") : undefined;
  // a terminal gets lines as tcpdump prints them; a file or a pipe, the pcap
  const text = file === undefined && !!process.stdout.isTTY;
  const call = { pos: { target: pos.target }, flags: { count: flags.count, seconds: flags.seconds, text }, rest };
  // the runner in a group of its own, stopped by us once (a Ctrl-C would reach it twice)
  const child = startRunner(d, "capture", call, {
    stdio: ["ignore", file ?? "inherit", "inherit"] as unknown as ["pipe", "pipe", "pipe"],
    detached: true,
  });
  let code: number | undefined;
  try {
    return (code = await attachedTo(
      d,
      child,
      () => child.kill("SIGINT"),
      () => child.kill("SIGINT"),
    ));
  } finally {
    if (file !== undefined) {
      closeSync(file);
      // a capture that never started (a wrong target, no tcpdump) leaves no empty file behind
      if (code !== 0 && statSync(flags.write!).size === 0) rmSync(flags.write!, { force: true });
    }
  }
};

/** Wait for the attached runner, passing on SIGTERM (and SIGINT, when `onInt`); its exit code, or 128+n for a signal. */
export async function attachedTo(
  d: DeployedLab,
  child: ReturnType<typeof startRunner>,
  onTerm: () => void,
  onInt: () => void = () => {},
): Promise<number> {
  process.on("SIGINT", onInt);
  process.on("SIGTERM", onTerm);
  try {
    const r = await child;
    if (r.exitCode !== undefined) return r.exitCode;
    if (r.signal) return 128 + (constants.signals[r.signal] ?? 0);
    throw new CliError(`the runner of stack ${d.stack} did not run: ${r.shortMessage}`, undefined, { exitCode: 1 });
  } finally {
    process.off("SIGINT", onInt);
    process.off("SIGTERM", onTerm);
  }
}
