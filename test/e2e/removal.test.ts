// End to end, issue 3: constructs deleted from the code, props changed, a destroy that
// fails. Real `cdktf deploy` / `cdktf destroy` in a sandbox host; real traffic.
import { existsSync } from "node:fs";
import { cmd, must, ok, requireRoot } from "../helpers/cmd";
import { e2eSandbox } from "../helpers/e2e";
import type { EndpointShape, LabShape, NetworkShape, PortShape } from "../helpers/lab-shape";
import { EXT_ADDR, HOST_ADDR, hostState, inNs } from "../helpers/sandbox";
import { ping, request, serve } from "../helpers/traffic";

requireRoot("e2e");
jest.setTimeout(600_000);

const LAB_NS = ["lc-a1", "lc-a2", "lc-b1"];
const { host, ext, project, servers } = e2eSandbox(LAB_NS);

const web: PortShape = { id: "Web", props: { hostPort: 8080, containerPort: 80 } };
const dns = { id: "Dns", props: { hostPort: 5353, containerPort: 53, protocol: "udp" } } as PortShape;
const a1 = (ports: PortShape[] = [web], props = {}): EndpointShape => ({
  id: "A1",
  props: { netns: "lc-a1", hostInterfaceName: "lcv-a1", address: "10.250.1.11", ...props },
  ports,
});
const a2: EndpointShape = {
  id: "A2",
  props: { netns: "lc-a2", hostInterfaceName: "lcv-a2", address: "10.250.1.12" },
  ports: [dns],
};
const net1 = (endpoints: EndpointShape[], props = {}): NetworkShape => ({
  id: "Net1",
  props: { subnet: "10.250.1.0/24", bridgeName: "lcbr1", ...props },
  endpoints,
});
const net2: NetworkShape = {
  id: "Net2",
  props: { subnet: "10.250.2.0/24", bridgeName: "lcbr2" },
  endpoints: [{ id: "B1", props: { netns: "lc-b1", hostInterfaceName: "lcv-b1" } }],
};

const deploy = (lab: LabShape, what: string) => {
  project.useLab(lab);
  return must(project.cdktf(["deploy", "lab-stack", "--auto-approve"], host), what);
};
const verifyClean = () =>
  expect(must(project.nslab(["verify", "lab-stack"], host), "nslab verify")).toMatch(/objects match the kernel/);
const hostLinkExists = (name: string) => cmd(inNs(host, ["ip", "link", "show", "dev", name])).code === 0;
const nat = () => ok(inNs(host, ["iptables-save", "-t", "nat"]));
const ledger = `/run/nslab/${host}`;

test("every construct deleted from the code is removed from the machine on the next deploy (4 removal trials)", async () => {
  const pristine = hostState(host);
  deploy([net1([a1(), a2]), net2], "deploy of the full lab");
  servers.push(await serve("lc-a1", "tcp", 80, "a1"), await serve("lc-a2", "udp", 53, "a2"));
  expect(request(ext, "tcp", HOST_ADDR, 8080)).toBe(`a1 peer=${EXT_ADDR}`);
  expect(request(ext, "udp", HOST_ADDR, 5353)).toBe(`a2 peer=${EXT_ADDR}`);

  // trial 1: a port mapping
  const out1 = deploy([net1([a1([]), a2]), net2], "deploy without Web");
  expect(out1).toMatch(/port \*:8080\/tcp -> 10.250.1.11:80: no longer declared by stack lab-stack: removing/);
  expect(nat()).not.toMatch(/--dport 8080/);
  expect(request(ext, "tcp", HOST_ADDR, 8080)).toBeNull();
  expect(request(ext, "udp", HOST_ADDR, 5353)).toBe(`a2 peer=${EXT_ADDR}`); // the rest is untouched
  verifyClean();

  // trial 2: an endpoint with its port mapping
  deploy([net1([a1([])]), net2], "deploy without A2");
  expect(existsSync("/run/netns/lc-a2")).toBe(false);
  expect(hostLinkExists("lcv-a2")).toBe(false);
  expect(nat()).not.toMatch(/--dport 5353/);
  expect(ping("lc-a1", "10.250.1.1")).toBe(true);
  verifyClean();

  // trial 3: a whole network with its endpoint
  deploy([net1([a1([])])], "deploy without Net2");
  expect(existsSync("/run/netns/lc-b1")).toBe(false);
  expect(hostLinkExists("lcbr2")).toBe(false);
  expect(hostLinkExists("lcv-b1")).toBe(false);
  expect(ok(inNs(host, ["iptables-save"]))).not.toMatch(/lcbr2|10\.250\.2\./);
  verifyClean();

  // trial 4: every construct (the stack's owner and sweep stay, with nothing to keep)
  deploy([], "deploy of an empty stack");
  expect(hostState(host)).toEqual(pristine);
  expect(existsSync(ledger)).toBe(false);
  must(project.cdktf(["destroy", "lab-stack", "--auto-approve"], host), "cdktf destroy");
  expect(hostState(host)).toEqual(pristine);
});

test("changed props rebuild cleanly, reusing the same names; a replaced network rebuilds its endpoints and port mappings", async () => {
  const pristine = hostState(host);
  // a veth pair left inside the namespace tells whether it is still the same one
  // (nsfs inode numbers are reused, so they cannot tell)
  const mark = () => ok(["ip", "-n", "lc-a1", "link", "add", "lcmark", "type", "veth", "peer", "name", "lcmark2"]);
  const sameNs = () => cmd(["ip", "-n", "lc-a1", "link", "show", "dev", "lcmark"]).code === 0;
  const addrs = (ns: string, dev: string) =>
    (JSON.parse(ok(["ip", "-n", ns, "-j", "addr", "show", "dev", dev]))[0].addr_info as { local: string }[]).map(
      (a) => a.local,
    );
  deploy([net1([a1()])], "deploy");
  mark();

  // same netns, same veth names, new address and MAC: destroy then create, no "File exists"
  const out = deploy(
    [net1([a1([web], { address: "10.250.1.21", mac: "02:00:0a:fa:01:15" })])],
    "deploy with a new address",
  );
  expect(out).toMatch(/Destruction complete/);
  expect(sameNs()).toBe(false);
  expect(addrs("lc-a1", "eth0")).toEqual(["10.250.1.21"]);
  expect(JSON.parse(ok(["ip", "-n", "lc-a1", "-j", "link", "show", "dev", "eth0"]))[0].address).toBe(
    "02:00:0a:fa:01:15",
  );
  expect(nat()).toMatch(/--to-destination 10.250.1.21:80/);
  expect(nat()).not.toMatch(/10\.250\.1\.11/);
  servers.push(await serve("lc-a1", "tcp", 80, "a1"));
  expect(request(ext, "tcp", HOST_ADDR, 8080)).toBe(`a1 peer=${EXT_ADDR}`);
  verifyClean();

  // the network alone changes (no MASQUERADE); its endpoint's own spec does not, but it
  // hangs off the network, so it is rebuilt (a new namespace) along with its port mapping
  mark();
  deploy(
    [net1([a1([web], { address: "10.250.1.21", mac: "02:00:0a:fa:01:15" })], { masquerade: false })],
    "deploy without MASQUERADE",
  );
  expect(sameNs()).toBe(false);
  expect(nat()).not.toMatch(/-s 10\.250\.1\.0\/24 ! -o lcbr1 .*MASQUERADE/);
  expect(nat()).toMatch(/--to-destination 10.250.1.21:80/);
  await Promise.all(servers.splice(0).map((s) => s.stop()));
  servers.push(await serve("lc-a1", "tcp", 80, "a1 again"));
  expect(request(ext, "tcp", HOST_ADDR, 8080)).toBe(`a1 again peer=${EXT_ADDR}`);
  verifyClean();

  must(project.cdktf(["destroy", "lab-stack", "--auto-approve"], host), "cdktf destroy");
  expect(hostState(host)).toEqual(pristine);
  expect(existsSync(ledger)).toBe(false);
});

test("a failed destroy says what is left and how to finish; the same destroy again finishes", () => {
  const pristine = hostState(host);
  deploy([net1([a1([])])], "deploy");
  // the network's destroy fails after its first step (its firewall is gone, its bridge is not)
  const failed = project.cdktf(["destroy", "lab-stack", "--auto-approve"], host, {
    NSLAB_FAIL_AFTER_STEP: "1",
    NSLAB_HOOK_KEY: "network-lcbr1",
  });
  expect(failed.code).not.toBe(0);
  // eslint-disable-next-line no-control-regex -- cdktf colours Terraform's output: ANSI escapes out
  const said = (failed.stdout + failed.stderr).replace(/\x1b\[[0-9;]*m/g, "");
  expect(said).toMatch(/remove firewall for lcbr1: failed: injected failure/);
  // what is left follows, one object per line
  expect(said).toMatch(/still on this machine:\n.*\(local-exec\): +- bridge lcbr1\n/);
  expect(said).toMatch(/run the same destroy again \(`cdktf destroy <stack>`\): it removes only what is left/);
  expect(hostLinkExists("lcbr1")).toBe(true);
  expect(existsSync("/run/netns/lc-a1")).toBe(false); // the endpoint went first, as the graph says
  // Terraform kept the network and the owner, so the next destroy runs their provisioners again
  const state = must(project.terraform(["state", "list"], host), "terraform state list");
  expect(state).toMatch(/Net1_Bridge/);
  expect(state).toMatch(/nslab-owner/);
  expect(state).not.toMatch(/Net1_A1_Namespace/);
  must(project.cdktf(["destroy", "lab-stack", "--auto-approve"], host), "second cdktf destroy");
  expect(hostState(host)).toEqual(pristine);
  expect(existsSync(ledger)).toBe(false);
});
