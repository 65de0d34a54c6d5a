// `nslab exec` and `nslab shell`: a user's command in a lab's namespace (or a machine's host
// side), on whichever machine it is: here directly, on a Host through its copy of the
// runner over ssh (with a terminal there when there is one here). The command's exit
// status is the runner's.
import type { ExecMessage } from "../model/messages";
import { attach, waitHandling } from "./exec";
import { fullName, machineLabel, type Place } from "./places";
import { hostAt } from "./host-at";

type Where = Pick<Place, "netns" | "sandboxHost">;

/**
 * The argv that runs `argv` there. `ip netns exec` also gives the command the namespace's
 * /etc/netns files (the lab's hosts and resolv.conf) and its own /sys.
 */
export function enterArgv(at: Where, argv: readonly string[]): string[] {
  const ns = at.netns ?? at.sandboxHost;
  return ns ? ["ip", "netns", "exec", ns, ...argv] : [...argv];
}

/** No command: the user's shell (this machine's $SHELL; on a Host, the login shell there). */
const orShell = (argv: readonly string[]) => (argv.length ? argv : [process.env.SHELL || "/bin/sh"]);

/** Run `argv` (none: a shell) at the place; its exit status. */
export async function execAt(place: Place, argv: readonly string[], tty: boolean): Promise<number> {
  if (!argv.length)
    process.stderr.write(`nslab: a shell in ${fullName(place)} on ${machineLabel(place)}; exit to leave\n`);
  const where: Where = {
    ...(place.netns ? { netns: place.netns } : {}),
    ...(place.sandboxHost ? { sandboxHost: place.sandboxHost } : {}),
  };
  if (!place.remote) return execHere(where, argv);
  const message: ExecMessage = { ...where, argv: [...argv] };
  const child = await hostAt(place.remote).exec(message, tty);
  return waitPassingTerm(child);
}

/** This machine's part (forwarded from another machine's runner, or the whole of it). */
export function execHere(at: Where, argv: readonly string[]): Promise<number> {
  return waitPassingTerm(attach(enterArgv(at, orShell(argv)), ["inherit", "inherit", "inherit"]));
}

/**
 * Wait for the command. A Ctrl-C at the terminal reaches it directly (it is in this
 * process group): this runner only outlives it, or it would be counted twice. A SIGTERM,
 * which no terminal sends (a script's kill), is passed on.
 */
function waitPassingTerm(child: ReturnType<typeof attach>): Promise<number> {
  return waitHandling(child, {
    SIGINT: () => undefined,
    SIGTERM: () => child.pid && process.kill(child.pid, "SIGTERM"),
  });
}
