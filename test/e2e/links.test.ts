// End to end, issue 4 items 1 and 3: a direct veth link between two sandboxes and static
// routes (seed 000's cross-subnet case, with its own names and addresses: reachable both
// ways only once both sides have their route), a route on the host, a sandbox with
// nothing but lo (none mode), and a sandbox on two networks (multi-homed, one default
// route, chosen explicitly).
import { existsSync } from "node:fs";
import { must, ok, requireRoot } from "../helpers/cmd";
import { e2eSandbox } from "../helpers/e2e";
import { EXT_ADDR, HOST_ADDR, hostState, inNs } from "../helpers/sandbox";
import { ping, request, serve } from "../helpers/traffic";

requireRoot("e2e");
jest.setTimeout(300_000);

const { host, ext, project, servers } = e2eSandbox(["ns1", "ns2", "lk-none", "lk-mh", "lk-pa"]);

const main = (bothRoutes: boolean) => `import { App } from "cdktf";
import { ContainerNetwork, LabStack, Route, Sandbox, VethLink } from "./constructs";
const app = new App();
const stack = new LabStack(app, "lab-stack");
// seed 000: ns1 and ns2 on one veth pair, in two subnets
const ns1 = new Sandbox(stack, "Ns1", { netns: "ns1" });
const ns2 = new Sandbox(stack, "Ns2", { netns: "ns2" });
new VethLink(stack, "Veth0", {
  a: { sandbox: ns1, interfaceName: "veth0-1", address: "192.168.20.11/24" },
  b: { sandbox: ns2, interfaceName: "veth0-2", address: "192.168.21.11/24" },
});
new Route(stack, "Ns1To21", { sandbox: ns1, destination: "192.168.21.0/24", device: "veth0-1" });
${bothRoutes ? 'new Route(stack, "Ns2To20", { sandbox: ns2, destination: "192.168.20.0/24", device: "veth0-2" });' : ""}
// none mode
new Sandbox(stack, "None", { netns: "lk-none", nameservers: ["192.0.2.53", "192.0.2.54"] });
// multi-homed: on A and B, the default route through B
const a = new ContainerNetwork(stack, "A", { subnet: "10.250.30.0/24", bridgeName: "lka" });
const b = new ContainerNetwork(stack, "B", { subnet: "10.250.31.0/24", bridgeName: "lkb" });
const mh = new Sandbox(stack, "Mh", { netns: "lk-mh" });
a.addEndpoint("MhA", { sandbox: mh, address: "10.250.30.11" });
b.addEndpoint("MhB", { sandbox: mh, address: "10.250.31.11", defaultRoute: true });
a.addEndpoint("PeerA", { netns: "lk-pa", address: "10.250.30.12" });
// a host route: 10.77.0.0/24 lives behind lk-pa
new Route(stack, "HostTo77", { destination: "10.77.0.0/24", via: "10.250.30.12" });
app.synth();
`;

test("seed 000 cross-subnet link, host route, none mode, multi-homed sandbox", async () => {
  const before = hostState(host);
  project.useMain(main(false));
  must(project.cdktf(["deploy", "lab-stack", "--auto-approve"], host), "cdktf deploy (one route)");
  // one side routed: requests go out, answers cannot come back
  expect(ping("ns1", "192.168.21.11")).toBe(false);
  expect(ping("ns2", "192.168.20.11")).toBe(false);

  project.useMain(main(true));
  must(project.cdktf(["deploy", "lab-stack", "--auto-approve"], host), "cdktf deploy (both routes)");
  expect(ping("ns1", "192.168.21.11")).toBe(true);
  expect(ping("ns2", "192.168.20.11")).toBe(true);
  // no bridge between them: nobody else on that link
  expect(
    ok(["ip", "-n", "ns1", "-o", "link", "show"])
      .split("\n")
      .filter(Boolean)
      .map((l) => l.split(": ")[1].split("@")[0]),
  ).toEqual(["lo", "veth0-1"]);

  // none mode: lo and nothing else
  const none = JSON.parse(ok(["ip", "-n", "lk-none", "-j", "addr", "show"])) as { ifname: string; flags: string[] }[];
  expect(none.map((l) => l.ifname)).toEqual(["lo"]);
  expect(none[0].flags).toContain("UP");
  // its resolv.conf, as set (ip netns exec mounts /etc/netns/lk-none/resolv.conf over /etc/resolv.conf)
  expect(ok(["ip", "netns", "exec", "lk-none", "cat", "/etc/resolv.conf"])).toMatch(
    /^# nslab:lab-stack.*\nnameserver 192\.0\.2\.53\nnameserver 192\.0\.2\.54\n$/,
  );
  // a multi-homed sandbox resolves the endpoints of both its networks
  expect(ok(["ip", "netns", "exec", "lk-mh", "getent", "hosts", "lk-pa"]).trim()).toBe("10.250.30.12    lk-pa");

  // multi-homed: eth-lka on A, eth-lkb on B (named after the networks); A reached directly, everything else through B
  expect(
    ok(["ip", "-n", "lk-mh", "-o", "link", "show"])
      .split("\n")
      .filter(Boolean)
      .map((l) => l.split(": ")[1].split("@")[0])
      .sort(),
  ).toEqual(["eth-lka", "eth-lkb", "lo"]);
  expect(ping("lk-mh", "10.250.30.12")).toBe(true);
  const routes = JSON.parse(ok(["ip", "-n", "lk-mh", "-j", "route", "show", "default"])) as { gateway: string }[];
  expect(routes.map((r) => r.gateway)).toEqual(["10.250.31.1"]);
  servers.push(await serve(ext, "tcp", 9000, "ext"));
  expect(request("lk-mh", "tcp", EXT_ADDR, 9000)).toBe(`ext peer=${HOST_ADDR}`);

  // host route: 10.77.0.5 answers from behind lk-pa only because the host routes there
  ok(["ip", "-n", "lk-pa", "addr", "add", "10.77.0.5/32", "dev", "lo"]);
  expect(ping(host, "10.77.0.5")).toBe(true);
  expect(JSON.parse(ok(inNs(host, ["ip", "-j", "route", "show", "10.77.0.0/24"])))[0]).toMatchObject({
    gateway: "10.250.30.12",
    protocol: "77",
  });
  expect(must(project.nslab(["verify", "lab-stack"], host), "nslab verify")).toMatch(/objects match the kernel/);

  // the route on ns2 removed from the code: gone from the kernel, and ns1 -> ns2 stops
  project.useMain(main(false));
  must(project.cdktf(["deploy", "lab-stack", "--auto-approve"], host), "cdktf deploy (route removed)");
  expect(ok(["ip", "-n", "ns2", "route", "show", "192.168.20.0/24"]).trim()).toBe("");
  expect(ping("ns1", "192.168.21.11")).toBe(false);

  must(project.cdktf(["destroy", "lab-stack", "--auto-approve"], host), "cdktf destroy");
  expect(hostState(host)).toEqual(before);
  expect(existsSync("/etc/netns/lk-none")).toBe(false);
});

// issue 10, item 7: a sandbox on F (routing by default) and B; F's endpoint deleted from
// the code. B's interface keeps its name and is not rebuilt (its ifindex and a marker
// address stay), and the deploy does not trip over F's interface on the way out.
const multiHomed = (withF: boolean) => `import { App } from "cdktf";
import { ContainerNetwork, LabStack, Sandbox } from "./constructs";
const app = new App();
const stack = new LabStack(app, "lab-stack");
const f = new ContainerNetwork(stack, "F", { subnet: "10.250.40.0/24", bridgeName: "lkf" });
const b = new ContainerNetwork(stack, "B", { subnet: "10.250.41.0/24", bridgeName: "lkb" });
const mh = new Sandbox(stack, "Mh", { netns: "lk-mh" });
${withF ? 'f.addEndpoint("MhF", { sandbox: mh, address: "10.250.40.11", defaultRoute: true });' : ""}
b.addEndpoint("MhB", { sandbox: mh, address: "10.250.41.11" });
app.synth();
`;

test("an endpoint leaving a multi-homed sandbox leaves the other's interface as it was", () => {
  const before = hostState(host);
  project.useMain(multiHomed(true));
  must(project.cdktf(["deploy", "lab-stack", "--auto-approve"], host), "cdktf deploy (F and B)");
  const links = () =>
    JSON.parse(ok(["ip", "-n", "lk-mh", "-j", "addr", "show"])) as {
      ifname: string;
      ifindex: number;
      addr_info: { local: string }[];
    }[];
  const onB = () => links().find((l) => l.addr_info.some((a) => a.local === "10.250.41.11"));
  const b0 = onB()!;
  expect(links().filter((l) => l.ifname !== "lo")).toHaveLength(2);
  ok(["ip", "-n", "lk-mh", "addr", "add", "192.0.2.99/32", "dev", b0.ifname]); // a marker only the same interface keeps

  project.useMain(multiHomed(false));
  must(project.cdktf(["deploy", "lab-stack", "--auto-approve"], host), "cdktf deploy (F's endpoint deleted)");
  const b1 = onB();
  expect(b1).toMatchObject({ ifname: b0.ifname, ifindex: b0.ifindex });
  expect(b1!.addr_info.map((a) => a.local)).toContain("192.0.2.99");
  expect(links().map((l) => l.ifname)).toEqual(["lo", b0.ifname]);
  expect(ping("lk-mh", "10.250.41.1")).toBe(true);
  ok(["ip", "-n", "lk-mh", "addr", "del", "192.0.2.99/32", "dev", b0.ifname]);
  expect(must(project.nslab(["verify", "lab-stack"], host), "nslab verify")).toMatch(/objects match the kernel/);

  must(project.cdktf(["destroy", "lab-stack", "--auto-approve"], host), "cdktf destroy");
  expect(hostState(host)).toEqual(before);
});
