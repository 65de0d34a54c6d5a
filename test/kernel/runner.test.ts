// Kernel tier: the runner against real namespaces, bridges and iptables, inside a
// throwaway sandbox host namespace. Root only.
import type { EndpointSpec, NetworkSpec, PortMappingSpec, Spec } from "../../spec/schema";
import { cmd, ok, requireRoot } from "../helpers/cmd";
import { runner } from "../helpers/runner";
import { addHost, addNs, delNs, hostState, inNs, uniq } from "../helpers/sandbox";
import { ping } from "../helpers/traffic";

requireRoot("kernel");

const host = uniq("nlk");
const nsA = uniq("nlka");
const nsB = uniq("nlkb");
const base = { v: 1 as const, stack: "ktest", host };
const net: NetworkSpec = { ...base, kind: "network", bridge: "nlkbr0", subnet: "10.240.0.0", prefix: 24, gateway: "10.240.0.1", mtu: 1500, masquerade: true };
const ep = (netns: string, address: string, hostIf: string): EndpointSpec => ({ ...base, kind: "endpoint", netns, hostIf, ifname: "eth0", address, prefix: 24, gateway: "10.240.0.1", mtu: 1500, bridge: "nlkbr0" });
const epA = ep(nsA, "10.240.0.11", "nlkva");
const epB = ep(nsB, "10.240.0.12", "nlkvb");
const pm: PortMappingSpec = { ...base, kind: "portmap", protocol: "tcp", hostPort: 8080, address: "10.240.0.11", port: 80, bridge: "nlkbr0" };
const lab: Spec[] = [net, epA, epB, pm];
const reversed = [...lab].reverse();

let r: ReturnType<typeof runner>;
let pristine: ReturnType<typeof hostState>;

beforeEach(() => {
  delNs(host, nsA, nsB);
  addHost(host);
  r = runner();
  pristine = hostState(host);
});
afterEach(() => {
  r.call("destroy", reversed);
  delNs(nsA, nsB, host);
});

const expectOk = (o: { code: number; stdout: string; stderr: string }) => {
  if (o.code !== 0) throw new Error(`runner failed (${o.code}):\n${o.stdout}\n${o.stderr}`);
  return o.stdout;
};

test("apply builds a working lab; apply again changes nothing", () => {
  expectOk(r.call("apply", lab));
  expect(ping(nsA, "10.240.0.12")).toBe(true);
  expect(ping(nsA, "10.240.0.1")).toBe(true);
  const built = hostState(host);
  const again = expectOk(r.call("apply", lab));
  expect(again.trim().split("\n")).toEqual(expect.arrayContaining([expect.stringMatching(/bridge nlkbr0: up to date/)]));
  expect(again).not.toMatch(/create|configure|publish|enable/);
  expect(hostState(host)).toEqual(built);
  expect(r.call("verify", lab).code).toBe(0);
});

test("destroy removes everything; destroy again succeeds", () => {
  expectOk(r.call("apply", lab));
  expectOk(r.call("destroy", reversed));
  expect(hostState(host)).toEqual(pristine);
  const again = expectOk(r.call("destroy", reversed));
  expect(again).toMatch(/endpoint .*: already gone/);
  expect(hostState(host)).toEqual(pristine);
});

test.each([1, 2, 3])("a failure injected after step %i of an endpoint's apply leaves nothing behind", (k) => {
  expectOk(r.call("apply", [net]));
  const before = hostState(host);
  const out = r.call("apply", [epA], { NETLAB_FAIL_AFTER_STEP: String(k) });
  expect(out.code).not.toBe(0);
  expect(out.stderr).toMatch(/injected failure/);
  expect(out.stdout).toMatch(/rollback:/);
  expect(hostState(host)).toEqual(before);
  // and a clean apply afterwards works
  expectOk(r.call("apply", [epA]));
  expect(ping(nsA, "10.240.0.1")).toBe(true);
});

test.each([1, 2, 3, 4])("a failure injected after step %i of a network's apply leaves nothing behind", (k) => {
  ok(inNs(host, ["sysctl", "-qw", "net.ipv4.ip_forward=0"]));
  const out = r.call("apply", [net], { NETLAB_FAIL_AFTER_STEP: String(k) });
  expect(out.code).not.toBe(0);
  const after = hostState(host);
  expect(after.links).toEqual(pristine.links);
  expect(after.rules).toEqual(pristine.rules);
  expect(ok(inNs(host, ["sysctl", "-n", "net.ipv4.ip_forward"])).trim()).toBe("0");
});

test.each([1, 2, 3])("SIGKILL after step %i of an endpoint's apply: the next apply converges", (k) => {
  expectOk(r.call("apply", [net]));
  const killed = r.call("apply", [epA], { NETLAB_KILL_AFTER_STEP: String(k) });
  expect(killed.code).not.toBe(0);
  expectOk(r.call("apply", [epA]));
  expect(r.call("verify", [epA]).code).toBe(0);
  expect(ping(nsA, "10.240.0.1")).toBe(true);
});

test("a foreign link with the bridge's name: apply fails clearly and leaves it untouched", () => {
  ok(inNs(host, ["ip", "link", "add", "nlkbr0", "type", "bridge"]));
  const before = hostState(host);
  const out = r.call("apply", [net]);
  expect(out.code).toBe(1);
  expect(out.stderr).toMatch(/link nlkbr0 exists and is not netlab's/);
  expect(hostState(host)).toEqual(before);
  expectOk(r.call("destroy", [net]));
  expect(hostState(host)).toEqual(before);
  ok(inNs(host, ["ip", "link", "del", "nlkbr0"]));
});

test("a foreign namespace with an endpoint's name: apply fails clearly, destroy leaves it", () => {
  expectOk(r.call("apply", [net]));
  addNs(nsA);
  const out = r.call("apply", [epA]);
  expect(out.code).toBe(1);
  expect(out.stderr).toMatch(new RegExp(`namespace ${nsA} exists and is not netlab's`));
  expectOk(r.call("destroy", [epA]));
  expect(cmd(["ip", "-n", nsA, "link", "show", "lo"]).code).toBe(0);
});

test("drift: out-of-band deletions are listed by verify and repaired by apply", () => {
  expectOk(r.call("apply", lab));
  ok(inNs(host, ["ip", "link", "del", "nlkvb"]));
  ok(["ip", "-n", nsA, "route", "del", "default"]);
  ok(inNs(host, ["iptables", "-w", "-t", "nat", "-D", "NETLAB-DNAT-nlkbr0", "-p", "tcp", "-m", "tcp", "--dport", "8080", "-m", "comment", "--comment", "netlab:ktest", "-j", "DNAT", "--to-destination", "10.240.0.11:80"]));
  const v = r.call("verify", lab);
  expect(v.code).toBe(1);
  expect(v.stdout).toMatch(new RegExp(`endpoint ${nsB}: missing: veth nlkvb`));
  expect(v.stdout).toMatch(new RegExp(`endpoint ${nsA}: missing: default route via 10.240.0.1`));
  expect(v.stdout).toMatch(/port \*:8080\/tcp -> 10.240.0.11:80: missing: iptables -t nat -A NETLAB-DNAT-nlkbr0/);
  expectOk(r.call("apply", lab));
  expect(r.call("verify", lab).code).toBe(0);
  expect(ping(nsB, "10.240.0.11")).toBe(true);
});
