// Simulated hosts for multi-host labs (issue 13): each "host" is a network namespace on an
// underlay bridge, running its own sshd inside a mount namespace of its own, where /run,
// /etc/netns and /var/lib are private tmpfs: two hosts never see each other's namespace
// names, files, ledgers or runner copies. A controller namespace on the same underlay is
// where terraform and ssh run. Keys are made here, in a folder removed with the rest;
// every sshd is stopped by its own pid, and so is whatever a failed destroy left running
// in a host's namespaces.
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, rmdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cmd, ok } from "./cmd";
import { addHost, addNs, delNs, inNs, primeTables } from "./sandbox";
import { pidIn, signalOwn, type Own } from "./pids";
import { CONTROL_ROOT, controlDir } from "../../netops/remote";
import { startTime } from "../../netops/proc";

export interface SimHost {
  readonly name: string; // its namespace
  readonly address: string; // on the underlay
}

export interface SimHosts {
  readonly controller: string; // namespace where terraform and ssh run
  readonly hosts: readonly SimHost[];
  readonly keyFile: string; // the client's private key, authorized on every host
  /** Run argv on a host over ssh, from the controller (argv joined for the remote shell). */
  ssh(host: SimHost, argv: readonly string[]): ReturnType<typeof cmd>;
  remove(): void;
}

const UNDERLAY = "10.199.0";

/**
 * Each host's own /run, /etc/netns and /var/lib: tmpfs mounted in its mount namespace,
 * over folders every machine has, so nothing is made on the machine itself (a folder
 * made there and removed by one test run would take the mounts of another's hosts with
 * it). sshd needs /run/sshd; /var/lib/nslab is left for the runner to make, as on a
 * machine it has never been on.
 */
const PRIVATE = [
  "mount -t tmpfs HOST /run",
  "mkdir -p /run/netns /run/sshd /run/nslab",
  "mount -t tmpfs HOST /etc/netns",
  "mount -t tmpfs HOST /var/lib",
];

/**
 * Processes left in a host's namespaces: a destroy that failed leaves a workload or a
 * delay line's relay running there. Every namespace of a host (its own, and those its
 * runner made, named in its private /run/netns) is this test's, and so is every process
 * in one: each is ended by its pid and start time.
 */
function endLeftovers(host: SimHost, sshd: Own): void {
  const inMount = (argv: string[]) => cmd(["nsenter", "-t", String(sshd.pid), "-m", "--", ...argv]).stdout;
  const names = inMount(["ls", "/run/netns"]).split("\n").filter(Boolean);
  const inodes = new Set(
    [
      ...(names.length ? inMount(["stat", "-L", "-c", "%i", ...names.map((n) => `/run/netns/${n}`)]).split("\n") : []),
      cmd(["stat", "-L", "-c", "%i", `/run/netns/${host.name}`]).stdout,
    ]
      .map((i) => i.trim())
      .filter(Boolean),
  );
  for (const pid of readdirSync("/proc")
    .filter((p) => /^\d+$/.test(p))
    .map(Number)) {
    let ino: string | undefined;
    try {
      ino = /net:\[(\d+)\]/.exec(readlinkSync(`/proc/${pid}/ns/net`))?.[1];
    } catch {
      continue; // gone meanwhile
    }
    const start = ino && inodes.has(ino) ? startTime(pid) : null;
    if (start !== null) signalOwn({ pid, start }, "SIGKILL");
  }
}

export function simHosts(prefix: string, count: number): SimHosts {
  const dir = mkdtempSync(join(tmpdir(), "nslab-hosts-"));
  const controller = `${prefix}c`;
  const hosts = Array.from({ length: count }, (_, i) => ({ name: `${prefix}h${i}`, address: `${UNDERLAY}.${i + 2}` }));
  const keyFile = join(dir, "client_key");
  const sshds: Own[] = [];
  const remove = () => {
    sshds.forEach((own, i) => endLeftovers(hosts[i], own));
    for (const own of sshds.splice(0)) signalOwn(own);
    // the runner's shared ssh connections from the controller (netops/remote.ts): their
    // folder goes, so no later run finds them (a master left ends by itself, 10 s idle)
    const ino = cmd(["stat", "-L", "-c", "%i", `/run/netns/${controller}`]).stdout.trim();
    if (ino) {
      const control = controlDir(
        { name: "", address: "", user: "root", port: 22, identityFile: keyFile, knownHosts: join(dir, "known_hosts") },
        `net:[${ino}]`,
      );
      rmSync(control, { recursive: true, force: true });
      try {
        rmdirSync(CONTROL_ROOT);
      } catch {
        // another run's folders are there
      }
    }
    delNs(...hosts.map((h) => h.name), controller);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    ok(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", join(dir, "client_key")]);
    ok(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", join(dir, "host_key")]);
    writeFileSync(join(dir, "authorized_keys"), readFileSync(join(dir, "client_key.pub")));
    // the underlay: a bridge in the controller, a veth to each host
    addHost(controller); // also this machine's sandbox host, for labs that span it
    ok(inNs(controller, ["ip", "link", "add", "ul", "type", "bridge"]));
    ok(inNs(controller, ["ip", "addr", "add", `${UNDERLAY}.1/24`, "dev", "ul"]));
    ok(inNs(controller, ["ip", "link", "set", "ul", "up"]));
    hosts.forEach((h, i) => {
      addNs(h.name);
      primeTables(h.name);
      ok(inNs(controller, ["ip", "link", "add", `ul${i}`, "type", "veth", "peer", "name", "eth0", "netns", h.name]));
      ok(inNs(controller, ["ip", "link", "set", `ul${i}`, "master", "ul", "up"]));
      ok(["ip", "-n", h.name, "addr", "add", `${h.address}/24`, "dev", "eth0"]);
      ok(["ip", "-n", h.name, "link", "set", "eth0", "up"]);
      ok(["ip", "-n", h.name, "route", "add", "default", "via", `${UNDERLAY}.1`]);
      const config = join(dir, `sshd-${h.name}`);
      writeFileSync(
        config,
        [
          `ListenAddress ${h.address}`,
          `HostKey ${join(dir, "host_key")}`,
          `PidFile ${join(dir, `${h.name}.pid`)}`,
          `AuthorizedKeysFile ${join(dir, "authorized_keys")}`,
          "PermitRootLogin prohibit-password",
          "StrictModes no",
          "UsePAM no",
          "PasswordAuthentication no",
          "KbdInteractiveAuthentication no",
          "",
        ].join("\n"),
      );
      // the host's own mount namespace, so its names are its own; sshd detaches, its pid file says where it is
      const private_ = PRIVATE.map((m) => m.replace("HOST", h.name)).join(" && ");
      ok(
        inNs(h.name, [
          "unshare",
          "--mount",
          "--propagation",
          "private",
          "--",
          "sh",
          "-c",
          `${private_} && exec /usr/sbin/sshd -f ${config}`,
        ]),
      );
      sshds.push(pidIn(join(dir, `${h.name}.pid`)));
    });
  } catch (e) {
    remove();
    throw e;
  }
  return {
    controller,
    hosts,
    keyFile,
    ssh: (h, argv) =>
      cmd(
        inNs(controller, [
          "ssh",
          ...[
            "-i",
            keyFile,
            "-o",
            "BatchMode=yes",
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            "UserKnownHostsFile=/dev/null",
          ],
          ...["-o", "LogLevel=ERROR", "-o", "ConnectTimeout=5", `root@${h.address}`, "--", ...argv],
        ]),
      ),
    remove,
  };
}
