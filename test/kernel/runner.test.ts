// Kernel tier: the runner against real namespaces, bridges and iptables, inside a
// throwaway sandbox host namespace. Root only.
import { existsSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runnerBundle } from "../../synth/runner-bundle";
import type { EndpointSpec, NetworkSpec, PortMappingSpec, Spec } from "../../model/schema";
import { cmd, ok, requireRoot } from "../helpers/cmd";
import { runner } from "../helpers/runner";
import { addHost, addNs, delNs, hostState, inNs, uniq } from "../helpers/sandbox";
import { ping } from "../helpers/traffic";

requireRoot("kernel");

const host = uniq("nlk");
const nsA = uniq("nlka");
const nsB = uniq("nlkb");
const base = { v: 1 as const, stack: "ktest", host };
const net: NetworkSpec = {
  ...base,
  kind: "network",
  bridge: "nlkbr0",
  subnet: "10.240.0.0",
  prefix: 24,
  gateway: "10.240.0.1",
  mtu: 1500,
  masquerade: true,
};
const ep = (netns: string, address: string, hostIf: string): EndpointSpec => ({
  ...base,
  kind: "endpoint",
  netns,
  hostIf,
  ifname: "eth0",
  address,
  prefix: 24,
  gateway: "10.240.0.1",
  mtu: 1500,
  bridge: "nlkbr0",
});
const epA = ep(nsA, "10.240.0.11", "nlkva");
const epB = ep(nsB, "10.240.0.12", "nlkvb");
const pm: PortMappingSpec = {
  ...base,
  kind: "portmap",
  protocol: "tcp",
  hostPort: 8080,
  address: "10.240.0.11",
  port: 80,
  bridge: "nlkbr0",
};
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
  expect(expectOk(r.call("apply", lab))).toMatch(/create namespace/); // what the second apply must not say
  expect(ping(nsA, "10.240.0.12")).toBe(true);
  expect(ping(nsA, "10.240.0.1")).toBe(true);
  const built = hostState(host);
  const again = expectOk(r.call("apply", lab));
  expect(again.trim().split("\n")).toEqual(
    expect.arrayContaining([expect.stringMatching(/bridge nlkbr0: up to date/)]),
  );
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

test.each([1, 2])("a failure injected after step %i of an endpoint's apply leaves nothing behind", (k) => {
  expectOk(r.call("apply", [net]));
  const before = hostState(host);
  const out = r.call("apply", [epA], { NSLAB_FAIL_AFTER_STEP: String(k) });
  expect(out.code).not.toBe(0);
  expect(out.stderr).toMatch(/injected failure/);
  expect(out.stdout).toMatch(/rollback:/);
  expect(hostState(host)).toEqual(before);
  // and a clean apply afterwards works
  expectOk(r.call("apply", [epA]));
  expect(ping(nsA, "10.240.0.1")).toBe(true);
});

test.each([1, 2, 3])("a failure injected after step %i of a network's apply leaves nothing behind", (k) => {
  expect(pristine.ipForward).toBe("0");
  const out = r.call("apply", [net], { NSLAB_FAIL_AFTER_STEP: String(k) });
  expect(out.code).not.toBe(0);
  expect(out.stderr).toMatch(/injected failure/);
  // links, rules and ip_forward (the hold is let go of, and it was the only one)
  expect(hostState(host)).toEqual(pristine);
});

test.each([1, 2])("SIGKILL after step %i of an endpoint's apply: the next apply converges", (k) => {
  expectOk(r.call("apply", [net]));
  const killed = r.call("apply", [epA], { NSLAB_KILL_AFTER_STEP: String(k) });
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
  expect(out.stderr).toMatch(/link nlkbr0 exists and is not nslab's/);
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
  expect(out.stderr).toMatch(new RegExp(`namespace ${nsA} exists and is not nslab's`));
  expectOk(r.call("destroy", [epA]));
  expect(cmd(["ip", "-n", nsA, "link", "show", "lo"]).code).toBe(0);
});

test("drift: out-of-band deletions are listed by verify and repaired by apply", () => {
  expectOk(r.call("apply", lab));
  ok(inNs(host, ["ip", "link", "del", "nlkvb"]));
  ok(["ip", "-n", nsA, "route", "del", "default"]);
  ok(
    inNs(host, [
      "iptables",
      "-w",
      "-t",
      "nat",
      "-D",
      "NSLAB-DNAT-nlkbr0",
      "-p",
      "tcp",
      "-m",
      "tcp",
      "--dport",
      "8080",
      "-m",
      "comment",
      "--comment",
      "nslab:ktest",
      "-j",
      "DNAT",
      "--to-destination",
      "10.240.0.11:80",
    ]),
  );
  const v = r.call("verify", lab);
  expect(v.code).toBe(1);
  expect(v.stdout).toMatch(new RegExp(`endpoint ${nsB}: missing: veth nlkvb`));
  expect(v.stdout).toMatch(new RegExp(`endpoint ${nsA}: missing: default route via 10.240.0.1`));
  expect(v.stdout).toMatch(/port \*:8080\/tcp -> 10.240.0.11:80: missing: iptables -t nat -A NSLAB-DNAT-nlkbr0/);
  expectOk(r.call("apply", lab));
  expect(r.call("verify", lab).code).toBe(0);
  expect(ping(nsB, "10.240.0.11")).toBe(true);
});

test("repair puts a lost rule of the IN chain back in its declared place, above the final DROP", () => {
  expectOk(r.call("apply", lab));
  const inChain = () =>
    ok(inNs(host, ["iptables", "-w", "-S", "NSLAB-IN-nlkbr0"]))
      .trim()
      .split("\n")
      .slice(1); // after "-N"
  const declared = inChain();
  const related = declared.find((l) => l.includes("RELATED,ESTABLISHED"))!;
  ok(
    inNs(host, [
      "iptables",
      "-w",
      ...related
        .replace(/^-A /, "-D ")
        .split(" ")
        .map((a) => a.replace(/^"|"$/g, "")),
    ]),
  );
  expect(inChain()).not.toContain(related);
  expect(r.call("verify", lab).stdout).toMatch(
    /missing: iptables -t filter -A NSLAB-IN-nlkbr0 -m conntrack --ctstate RELATED,ESTABLISHED/,
  );
  expectOk(r.call("apply", lab));
  expect(inChain()).toEqual(declared);
  expect(inChain().at(-1)).toMatch(/-j DROP$/);
});

test("after a reboot (the ledger gone, /etc/netns on disk) the owner's destroy still removes the stack's names files, and only them", () => {
  const names: Spec = {
    ...base,
    kind: "names",
    endpoints: [["10.240.0.11", nsA, "nlkbr0"]],
    files: [{ netns: nsA, bridges: ["nlkbr0"], nameservers: ["10.240.0.1"] }],
  };
  const other: Spec = { ...names, stack: "ktest-other", files: [{ netns: nsB, bridges: ["nlkbr0"] }] };
  expectOk(r.call("apply", [names, other]));
  expect(existsSync(`/etc/netns/${nsA}/hosts`)).toBe(true);
  rmSync(r.stateDir, { recursive: true, force: true }); // tmpfs after a reboot
  expectOk(r.call("destroy", [{ ...base, kind: "stack" }]));
  expect(existsSync(`/etc/netns/${nsA}`)).toBe(false);
  expect(existsSync(`/etc/netns/${nsB}/hosts`)).toBe(true); // another stack's
  expectOk(r.call("destroy", [other]));
  expect(existsSync(`/etc/netns/${nsB}`)).toBe(false);
});

describe("shared settings", () => {
  const stack2 = "ktest2";
  const net2: NetworkSpec = { ...net, stack: stack2, bridge: "nlkbr1", subnet: "10.241.0.0", gateway: "10.241.0.1" };
  const fwd = () => ok(inNs(host, ["sysctl", "-n", "net.ipv4.ip_forward"])).trim();

  test("ip_forward returns to its prior value when the last network of any stack is destroyed", () => {
    expect(fwd()).toBe("0");
    expectOk(r.call("apply", [net]));
    expectOk(r.call("apply", [net2]));
    expect(fwd()).toBe("1");
    expectOk(r.call("destroy", [net]));
    expect(fwd()).toBe("1"); // the other stack's network still routes
    expect(ping(host, "10.241.0.1")).toBe(true);
    expectOk(r.call("destroy", [net2]));
    expect(fwd()).toBe("0");
    expect(hostState(host)).toEqual(pristine);
    expect(readdirSync(r.stateDir)).toEqual([]); // no ledger left either
  });

  test("a host that already forwarded keeps forwarding after destroy", () => {
    ok(inNs(host, ["sysctl", "-qw", "net.ipv4.ip_forward=1"]));
    expectOk(r.call("apply", lab));
    expectOk(r.call("destroy", reversed));
    expect(fwd()).toBe("1");
  });

  test("a value someone set after nslab is not overwritten on destroy", () => {
    expectOk(r.call("apply", [net]));
    ok(inNs(host, ["sysctl", "-qw", "net.ipv4.ip_forward=0"])); // an operator turned it off by hand
    expectOk(r.call("destroy", [net]));
    expect(fwd()).toBe("0");
    expect(readdirSync(r.stateDir)).toEqual([]);
  });
});

describe("converge (the stack's apply resource) and the owner", () => {
  const owner: Spec = { ...base, kind: "stack" };
  const labFile = (specs: Spec[]) => {
    const path = join(r.stateDir, `lab-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(path, JSON.stringify({ v: 1, stack: "ktest", host, kind: "lab", specs }));
    return path;
  };
  const run = (verb: "converge" | "verify", specs: Spec[], env: Record<string, string> = {}, flags: string[] = []) =>
    cmd(["node", runnerBundle(), verb, ...flags, labFile(specs)], {
      env: { ...process.env, NSLAB_STATE_DIR: r.stateDir, ...env },
    });

  test("converge builds a whole lab in one call; again, it changes nothing", () => {
    const out = expectOk(run("converge", lab));
    expect(out).toMatch(new RegExp(`endpoint ${nsA}: create namespace ${nsA}`));
    expect(ping(nsA, "10.240.0.12")).toBe(true);
    const built = hostState(host);
    const again = expectOk(run("converge", lab)).trim().split("\n");
    expect(again.slice(0, -1).every((l) => l.endsWith("up to date"))).toBe(true);
    expect(again.at(-1)).toBe("netops stack ktest: this machine: all 4 objects as declared");
    expect(hostState(host)).toEqual(built);
    expect(run("verify", lab).code).toBe(0);
    // --quiet (the converge that ends every deploy): one line, and a line per change
    expect(expectOk(run("converge", lab, {}, ["--quiet"]))).toBe(
      "netops stack ktest: this machine: all 4 objects as declared\n",
    );
    ok(inNs(host, ["ip", "link", "del", "nlkvb"]));
    const fixed = expectOk(run("converge", lab, {}, ["--quiet"]));
    expect(fixed).toMatch(new RegExp(`endpoint ${nsB}: create namespace ${nsB}`));
    expect(fixed).toMatch(new RegExp(`this machine: put right 1 of 4: endpoint ${nsB} \\(missing: `));
    expect(fixed).not.toMatch(/up to date/);
    expect(run("verify", lab).code).toBe(0);
    expect(ping(nsA, "10.240.0.12")).toBe(true);
  });

  test("a namespace file that is no namespace (an ip netns add killed half-way) reads as missing; the converge makes the namespace", () => {
    expectOk(run("converge", lab));
    ok(["ip", "netns", "del", nsB]);
    writeFileSync(`/run/netns/${nsB}`, ""); // what `ip netns add` leaves when killed before its mount
    const v = run("verify", lab);
    expect(v.code).toBe(1);
    expect(v.stdout).toMatch(new RegExp(`endpoint ${nsB}: missing: namespace ${nsB}`));
    expect(expectOk(run("converge", lab, {}, ["--quiet"]))).toMatch(new RegExp(`put right 1 of 4: endpoint ${nsB}`));
    expect(run("verify", lab).code).toBe(0);
    expect(ping(nsA, "10.240.0.12")).toBe(true);
  });

  test("converge removes what the lab no longer declares, with the spec it was applied with", () => {
    expectOk(run("converge", lab));
    const smaller = [net, epA];
    // verify names what is extra before anything is removed
    const v = run("verify", smaller);
    expect(v.code).toBe(1);
    expect(v.stdout).toMatch(new RegExp(`endpoint ${nsB}: extra: on this machine, no longer declared by stack ktest`));
    expect(v.stdout).toMatch(/port \*:8080\/tcp -> 10.240.0.11:80: extra/);
    const out = expectOk(run("converge", smaller));
    // what hangs off goes first
    expect(out.indexOf("unpublish port")).toBeLessThan(out.indexOf(`delete namespace ${nsB}`));
    expect(existsSync(`/run/netns/${nsB}`)).toBe(false);
    expect(cmd(inNs(host, ["ip", "link", "show", "nlkvb"])).code).not.toBe(0); // the veth is gone too, not just going
    expect(ok(inNs(host, ["iptables-save", "-t", "nat"]))).not.toMatch(/--dport 8080/);
    expect(run("verify", smaller).code).toBe(0);
    expect(ping(nsA, "10.240.0.1")).toBe(true);
    // the owner's destroy takes the rest
    expectOk(r.call("destroy", [owner]));
    expect(hostState(host)).toEqual(pristine);
    expect(readdirSync(r.stateDir).filter((f) => !f.startsWith("lab-"))).toEqual([]);
  });

  test("converge rebuilds what is declared differently, and what hangs off it, under the same names", () => {
    expectOk(run("converge", lab));
    ok(["ip", "-n", nsA, "link", "add", "nlkmark", "type", "veth", "peer", "name", "nlkmark2"]);
    const moved = { ...epA, mac: "02:00:0a:f0:00:0b" };
    const out = expectOk(run("converge", [net, moved, epB, pm]));
    expect(out).toMatch(new RegExp(`endpoint ${nsA}: changed: rebuilding`));
    expect(out).toMatch(/port \*:8080\/tcp -> 10.240.0.11:80: changed: rebuilding/);
    expect(out).not.toMatch(new RegExp(`endpoint ${nsB}: changed`));
    expect(cmd(["ip", "-n", nsA, "link", "show", "nlkmark"]).code).not.toBe(0); // a new namespace
    expect(JSON.parse(ok(["ip", "-n", nsA, "-j", "link", "show", "eth0"]))[0].address).toBe("02:00:0a:f0:00:0b");
    expect(run("verify", [net, moved, epB, pm]).code).toBe(0);
    expect(ping(nsB, "10.240.0.11")).toBe(true);
  });

  test.each([1, 2, 3, 4, 5])("SIGKILL after command %i of a converge: the next converge finishes the lab", (k) => {
    const killed = run("converge", lab, { NSLAB_KILL_AFTER_STEP: String(k) });
    expect(killed.code).not.toBe(0);
    expectOk(run("converge", lab));
    expect(run("verify", lab).code).toBe(0);
    expect(ping(nsA, "10.240.0.12")).toBe(true);
  });

  test.each([1, 2, 3, 4, 5])(
    "SIGKILL after command %i of a converge, then the owner's destroy: nothing is left",
    (k) => {
      const killed = run("converge", lab, { NSLAB_KILL_AFTER_STEP: String(k) });
      expect(killed.code).not.toBe(0);
      expect(hostState(host)).not.toEqual(pristine);
      expectOk(r.call("destroy", [owner]));
      expect(hostState(host)).toEqual(pristine);
      expect(readdirSync(r.stateDir).filter((f) => !f.startsWith("lab-"))).toEqual([]);
    },
  );
});

describe("a failed destroy", () => {
  test("says what is left and how to finish; running it again finishes", () => {
    expectOk(r.call("apply", [net, epA, pm]));
    const out = r.call("destroy", [pm, epA], { NSLAB_FAIL_AFTER_STEP: "1" });
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/unpublish port \*:8080\/tcp -> 10.240.0.11:80: failed: injected failure/);
    expect(out.stderr).toMatch(new RegExp(`still on this machine:\n  - namespace ${nsA}\n`));
    expect(out.stderr).toMatch(/run the same destroy again \(`cdktf destroy <stack>`\): it removes only what is left/);
    expect(existsSync(`/run/netns/${nsA}`)).toBe(true);
    expectOk(r.call("destroy", [pm, epA, net]));
    expect(hostState(host)).toEqual(pristine);
  });
});
