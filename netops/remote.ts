// Objects on another machine (issue 13): the runner Terraform starts here forwards the
// verb over ssh to a copy of itself on that machine, which does the work there. The spec
// travels as base64 (only [A-Za-z0-9+/=]), so the remote shell ssh hands its command to
// never sees a user's string; everything else in that command is fixed text. The copy
// is named after its content, so each version is copied once and checked before first use.
import { createHash } from "node:crypto";
import { readFileSync, readlinkSync, rmdirSync, rmSync } from "node:fs";
import { dirname } from "node:path";
import { NAME } from "../model/name";
import type { RemoteSpec } from "../model/schema";
import type { RunnerVerb } from "../model/verbs";
import { retireFormerCopies } from "./former-name";
import { attach, run, type Attached } from "./exec";
import { anythingRecorded } from "./ledger";

/** Where a machine keeps its copies of the runner. */
export const REMOTE_DIR = `/var/lib/${NAME}`;

/** The remote copy of this runner: one file per version (its content's hash). */
export function remoteRunner(localRunner = process.argv[1]): string {
  const hash = createHash("sha256").update(readFileSync(localRunner)).digest("hex").slice(0, 12);
  return `${REMOTE_DIR}/netops-${hash}.cjs`;
}

/** The V8 code cache a runner keeps next to itself (scripts/bundle.cjs writes it). */
const CODE_CACHE = ".v8cache";

/** How failure messages name a machine. */
export const hostLabel = (r: RemoteSpec) => `host ${r.name} (${r.user}@${r.address}:${r.port})`;

/** Where ssh keeps the shared connections: one folder per network namespace and credentials. */
export const CONTROL_ROOT = `/run/${NAME}-ssh`;

/**
 * The folder of the shared connections to `r`. The same address may be another machine
 * from another network namespace (a sandboxed controller, whose inode number the kernel
 * soon gives to the next one), or with other keys: either makes another folder.
 */
export function controlDir(r: RemoteSpec, netns = readlinkSync("/proc/self/ns/net")): string {
  const h = createHash("sha256").update(`${netns}|${r.identityFile ?? ""}|${r.knownHosts ?? ""}`);
  return `${CONTROL_ROOT}/${h.digest("hex").slice(0, 12)}`;
}

/**
 * ssh to the machine, never asking anything (no password prompt, no host key question).
 * Calls share one connection per machine (ControlMaster, as Ansible does): Terraform's
 * parallel provisioners log in once rather than each, so they neither pay a handshake
 * apiece nor meet sshd's limit on logins in progress (MaxStartups). The shared connection
 * ends 10 s after its last call.
 */
export function sshArgv(
  r: RemoteSpec,
  command: readonly string[],
  control: string | null = controlDir(r),
  tty = false,
): string[] {
  return [
    "ssh",
    // a terminal there, for a user's interactive command (nslab shell)
    ...(tty ? ["-t"] : []),
    ...["-o", "BatchMode=yes", "-o", "ConnectTimeout=10", "-o", "LogLevel=ERROR"],
    // a connection that stops answering (the machine or its network gone mid-call) ends
    // within 15 s: every call sharing it fails then, rather than hanging until TCP gives up
    ...["-o", "ServerAliveInterval=5", "-o", "ServerAliveCountMax=3"],
    // (null: the folder could not be made, e.g. a user who may not write /run: one connection per call)
    ...(control ? ["-o", "ControlMaster=auto", "-o", "ControlPersist=10s", "-o", `ControlPath=${control}/%C`] : []),
    // a machine met for the first time is remembered; a changed key fails the call
    ...["-o", "StrictHostKeyChecking=accept-new"],
    ...(r.knownHosts ? ["-o", `UserKnownHostsFile=${r.knownHosts}`] : []),
    ...(r.identityFile ? ["-i", r.identityFile, "-o", "IdentitiesOnly=yes"] : []),
    ...["-p", String(r.port), "-l", r.user, r.address, "--"],
    ...command,
  ];
}

/** The runner's own command on the machine: fixed words and base64, nothing a shell would read. */
export function forwardCommand(runnerPath: string, verb: RunnerVerb, lines: readonly string[]): string[] {
  return ["node", runnerPath, verb, "--b64", ...lines.map((l) => Buffer.from(l, "utf8").toString("base64"))];
}

/** The lines of a `--b64` call, decoded. */
export const decodeLines = (args: readonly string[]) => args.map((a) => Buffer.from(a, "base64").toString("utf8"));

/**
 * sshd drops connections that have not logged in yet once too many are pending
 * (MaxStartups, 10 by default): Terraform's ten parallel provisioners, each an ssh call,
 * meet it on any stock machine. Such a refusal comes before anything ran there, so the
 * call is made again, a little later each time, with jitter so they do not meet again.
 */
const REFUSED = /kex_exchange_identification|banner exchange/;
const ATTEMPTS = 8;

/** The folder of shared connections, made (through the exec seam, as every command is) once per runner; null if it cannot be. */
const made = new Map<string, Promise<string | null>>();
const madeOnce = (dir: string) => {
  if (!made.has(dir))
    made.set(
      dir,
      run(["mkdir", "-p", "-m", "0700", dir]).then((r) => (r.ok ? dir : null)),
    );
  return made.get(dir)!;
};

async function sshRetrying(r: RemoteSpec, command: readonly string[], input?: string) {
  const control = await madeOnce(controlDir(r));
  for (let attempt = 1; ; attempt++) {
    const res = await run(sshArgv(r, command, control), input);
    if (res.ok || res.code !== 255 || !REFUSED.test(res.stderr) || attempt === ATTEMPTS) return res;
    await new Promise((done) => setTimeout(done, 100 * 2 ** attempt * (0.5 + Math.random())));
  }
}

/** What the machine must have; checked once, when its copy of the runner is made. */
const CHECK =
  'command -v node >/dev/null || { echo "node is missing"; exit 3; }; ' +
  'command -v ip >/dev/null || { echo "ip (iproute2) is missing"; exit 3; }; ' +
  'command -v iptables >/dev/null || command -v nft >/dev/null || { echo "iptables and nft are missing"; exit 3; }';

async function install(r: RemoteSpec, path: string, local: string): Promise<void> {
  const check = await sshRetrying(r, ["sh", "-c", `'${CHECK}'`]);
  if (!check.ok)
    throw new Error(
      `${hostLabel(r)}: ${(check.stdout + check.stderr).trim() || `cannot be reached (exit ${check.code})`}`,
    );
  // written aside (a name of this call's own: parallel provisioners install at once),
  // then renamed: a runner started meanwhile never sees half a file
  const copy = await sshRetrying(
    r,
    ["sh", "-c", `'mkdir -p ${REMOTE_DIR} && cat > ${path}.$$ && mv ${path}.$$ ${path}'`],
    readFileSync(local, "utf8"),
  );
  if (!copy.ok) throw new Error(`${hostLabel(r)}: copying the runner to ${path}: ${copy.stderr.trim()}`);
}

/**
 * Run `verb` on these lines (one object's, or several of one machine) on the machine, with
 * its own copy of the runner, made first when it is not there. Its output is passed on.
 */
export async function forward(r: RemoteSpec, verb: RunnerVerb, lines: readonly string[]): Promise<number> {
  const res = await forwardQuietly(r, verb, lines);
  process.stdout.write(res.stdout);
  if (!res.ok) {
    process.stderr.write(`${res.why}\n${res.stderr}`);
    return res.code || 1;
  }
  process.stderr.write(res.stderr);
  return 0;
}

/** As forward, with the output handed back rather than passed on; `why` names the host when it failed. */
export async function forwardQuietly(r: RemoteSpec, verb: RunnerVerb, lines: readonly string[]) {
  const local = process.argv[1];
  const path = remoteRunner(local);
  const call = () => sshRetrying(r, forwardCommand(path, verb, lines));
  let res = await call();
  // ssh's own failures exit 255; node's for a missing file say so
  if (!res.ok && res.code !== 255 && /Cannot find module/.test(res.stderr)) {
    await install(r, path, local);
    res = await call();
  }
  const why = res.ok
    ? ""
    : `${hostLabel(r)}: ${res.code === 255 ? "cannot be reached" : `the runner there failed (exit ${res.code})`}`;
  return { ...res, why };
}

/** The runner's copy on the machine, made first when it is not there; its path. */
async function copyThere(r: RemoteSpec, local = process.argv[1]): Promise<string> {
  const path = remoteRunner(local);
  const there = await sshRetrying(r, ["test", "-f", path]);
  if (there.code === 255) throw new Error(`${hostLabel(r)}: cannot be reached: ${there.stderr.trim()}`);
  if (!there.ok) await install(r, path, local);
  return path;
}

/**
 * Run `verb` on the machine with its copy of the runner, attached to `stdio` as a user's
 * command is (exec.ts attach): what it prints comes straight through, as it comes.
 */
export async function forwardAttached(
  r: RemoteSpec,
  verb: RunnerVerb,
  lines: readonly string[],
  stdio: Parameters<typeof attach>[1],
  how: { tty?: boolean; detached?: boolean } = {},
): Promise<Attached> {
  const path = await copyThere(r);
  const control = await madeOnce(controlDir(r));
  return attach(sshArgv(r, forwardCommand(path, verb, lines), control, how.tty), stdio, how.detached);
}

/**
 * On the machine, after a stack's owner there is destroyed: when no stack has anything
 * left here, this copy of the runner goes too (and its folder, when empty), so the
 * machine is as it was before the first deploy. A runner of another stack that starts
 * meanwhile finds no copy and makes it again (forward); one running has it loaded.
 */
export function retireCopy(path = process.argv[1]): void {
  if (dirname(path) !== REMOTE_DIR || anythingRecorded()) return; // only a copy this file made
  rmSync(path, { force: true });
  rmSync(`${path}${CODE_CACHE}`, { force: true });
  retireFormerCopies();
  try {
    rmdirSync(REMOTE_DIR);
  } catch {
    // another version's copy, or a file of someone else's: the folder stays
  }
}
