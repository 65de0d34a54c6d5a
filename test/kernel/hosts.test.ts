// Kernel tier: the simulated hosts the multi-host tests stand on (issue 13). Each host's
// sshd runs in a mount namespace of its own: a namespace made on one host is seen there
// only, and neither on the other host nor on the machine. Root only.
import { existsSync } from "node:fs";
import { startTime } from "../../netops/proc";
import { requireRoot } from "../helpers/cmd";
import { simHosts, type SimHosts } from "../helpers/hosts";
import { uniq } from "../helpers/sandbox";

requireRoot("kernel");
jest.setTimeout(60_000);

let sim: SimHosts;
beforeAll(() => {
  sim = simHosts(uniq("nls"), 2);
});
afterAll(() => sim?.remove());

test("two simulated hosts: reached by ssh from the controller, each with its own namespace names and ledger folder", () => {
  const [a, b] = sim.hosts;
  const inner = uniq("nlsi");
  expect(sim.ssh(a, ["ip", "netns", "add", inner]).code).toBe(0);
  expect(sim.ssh(a, ["ip", "netns", "list"]).stdout).toContain(inner);
  expect(sim.ssh(b, ["ip", "netns", "list"]).stdout).not.toContain(inner);
  expect(existsSync(`/run/netns/${inner}`)).toBe(false);
  // each host is itself on the underlay: its own address, not the other's
  expect(sim.ssh(b, ["ip", "-br", "addr", "show", "eth0"]).stdout).toContain(b.address);
  expect(sim.ssh(a, ["touch", "/run/nslab/mark"]).code).toBe(0);
  expect(sim.ssh(b, ["ls", "/run/nslab"]).stdout).toBe("");
  expect(existsSync("/run/nslab/mark")).toBe(false);
  expect(sim.ssh(a, ["ip", "netns", "del", inner]).code).toBe(0);
});

test("removal stops every sshd it started, and what a failed destroy left running there, and deletes the namespaces it made", () => {
  const other = simHosts(uniq("nlt"), 1);
  const h = other.hosts[0];
  expect(other.ssh(h, ["true"]).code).toBe(0);
  // a process in a namespace made on the host, as a workload a destroy did not stop
  const inner = uniq("nlti");
  const started = other.ssh(h, [
    "sh",
    "-c",
    `'ip netns add ${inner} && (ip netns exec ${inner} sleep 300 </dev/null >/dev/null 2>&1 &) && sleep 0.2 && ip netns pids ${inner}'`,
  ]);
  const pid = Number(started.stdout.trim());
  expect(pid).toBeGreaterThan(1);
  expect(startTime(pid)).not.toBeNull();
  other.remove();
  expect(startTime(pid)).toBeNull();
  expect(existsSync(`/run/netns/${h.name}`)).toBe(false);
  expect(existsSync(`/run/netns/${other.controller}`)).toBe(false);
  expect(other.ssh(h, ["true"]).code).not.toBe(0);
});
