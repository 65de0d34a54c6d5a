// End to end, issue 4 item 7: every example stack (one per seed scenario, with the seeds'
// own names and addresses) deploys with the real cdktf, does what its seed shows, and
// leaves nothing behind.
import { existsSync, readFileSync } from "node:fs";
import { cmd, must, ok, requireRoot } from "../helpers/cmd";
import { e2eSandbox } from "../helpers/e2e";
import { EXT_ADDR, EXT_ADDR6, HOST_ADDR, HOST_ADDR6, hostState, inNs } from "../helpers/sandbox";
import { http, ping, request, serve } from "../helpers/traffic";

requireRoot("e2e");
jest.setTimeout(300_000);

const { host, ext, project, servers } = e2eSandbox(["ns1", "ns2", "ns3", "test01", "test02", "net1", "web", "client"]);
let pristine: ReturnType<typeof hostState>;
beforeAll(() => {
  pristine = hostState(host);
});

const deploy = (stack: string) =>
  must(project.cdktf(["deploy", stack, "--auto-approve"], host), `cdktf deploy ${stack}`);
const destroy = (stack: string) => {
  must(project.cdktf(["destroy", stack, "--auto-approve"], host), `cdktf destroy ${stack}`);
  expect(hostState(host)).toEqual(pristine);
};
const wait = async (cond: () => boolean) => {
  for (let i = 0; i < 50 && !cond(); i++) await new Promise((r) => setTimeout(r, 100));
  return cond();
};

test("seed000-veth: one veth pair, one subnet", () => {
  deploy("seed000-veth");
  expect(ping("ns1", "172.18.0.3")).toBe(true);
  expect(ping("ns2", "172.18.0.2")).toBe(true);
  destroy("seed000-veth");
});

test("seed000-bridge: three namespaces on br0; the host reaches them through it", () => {
  deploy("seed000-bridge");
  expect(ping("ns1", "172.25.0.13")).toBe(true);
  expect(ping("ns3", "172.25.0.12")).toBe(true);
  expect(ping(host, "172.25.0.11")).toBe(true);
  destroy("seed000-bridge");
});

test("seed000-routes: two subnets on one veth pair, a route on each side", () => {
  deploy("seed000-routes");
  expect(ping("ns1", "192.168.21.11")).toBe(true);
  expect(ping("ns2", "192.168.20.11")).toBe(true);
  destroy("seed000-routes");
});

test("seed001-veth: a veth pair between test01 and the host itself; repaired when cut; gone on destroy", () => {
  deploy("seed001-veth");
  expect(ping(host, "172.16.0.111")).toBe(true);
  expect(ping("test01", "172.16.0.112")).toBe(true);
  const hostEnd = JSON.parse(ok(inNs(host, ["ip", "-j", "addr", "show", "dev", "veth"])))[0];
  expect(hostEnd.addr_info.map((a: { local: string; prefixlen: number }) => `${a.local}/${a.prefixlen}`)).toEqual([
    "172.16.0.112/20",
  ]);
  // cut out of band: verify says so, repair makes the pair again
  ok(inNs(host, ["ip", "link", "del", "dev", "veth"]));
  expect(ping(host, "172.16.0.111")).toBe(false);
  const drift = project.nslab(["verify", "seed001-veth"], host);
  expect(drift.code).toBe(1);
  expect(drift.stdout).toMatch(/link test01\/veth001 <-> host\/veth: missing: host\/veth/);
  must(project.nslab(["repair", "seed001-veth"], host), "nslab repair");
  expect(ping(host, "172.16.0.111")).toBe(true);
  destroy("seed001-veth");
});

test("seed001-modes: bridge, host, none and container modes", async () => {
  deploy("seed001-modes");
  expect(http(ext, `http://${HOST_ADDR}:8080/`)).toBe("bridge mode: test01\n");
  expect(http(ext, `http://${HOST_ADDR}:8081/`)).toBe("host mode\n");
  expect(
    (JSON.parse(ok(["ip", "-n", "test02", "-j", "link", "show"])) as { ifname: string }[]).map((l) => l.ifname),
  ).toEqual(["lo"]);
  const log = `/run/nslab/${host}/seed001-modes/workload-container-sidecar.log`;
  expect(await wait(() => existsSync(log) && readFileSync(log, "utf8").includes("bridge mode: test01"))).toBe(true);
  destroy("seed001-modes");
});

test("seed002-nat: MASQUERADE out, the host's port 80 DNAT'd to ns1", async () => {
  deploy("seed002-nat");
  servers.push(await serve("ns1", "tcp", 80, "ns1"), await serve(ext, "tcp", 9000, "ext"));
  expect(request(ext, "tcp", HOST_ADDR, 80)).toBe(`ns1 peer=${EXT_ADDR}`);
  expect(request("ns2", "tcp", EXT_ADDR, 9000)).toBe(`ext peer=${HOST_ADDR}`);
  await Promise.all(servers.splice(0).map((s) => s.stop()));
  destroy("seed002-nat");
});

test("seed003-bridge: net1 behind mybridge, reaching the host and the outside", async () => {
  deploy("seed003-bridge");
  expect(ping("net1", "10.68.0.1")).toBe(true);
  servers.push(await serve(ext, "tcp", 9000, "ext"));
  expect(request("net1", "tcp", EXT_ADDR, 9000)).toBe(`ext peer=${HOST_ADDR}`);
  expect(ok(["ip", "-n", "net1", "-o", "link", "show", "veth1"])).toMatch(/veth1@/);
  await Promise.all(servers.splice(0).map((s) => s.stop()));
  destroy("seed003-bridge");
});

test("dual-stack: one network, both families; the published port answers over IPv4 and IPv6; its expectations hold", async () => {
  deploy("dual-stack");
  const get = (url: string) => cmd(inNs(ext, ["curl", "-g", "-s", "-m", "3", url])).stdout;
  // the web server starts with the deploy: give it a moment to listen
  expect(await wait(() => get(`http://${HOST_ADDR}:8080/`) !== "")).toBe(true);
  expect(get(`http://${HOST_ADDR}:8080/`)).toBe(`hello from web, you are ${EXT_ADDR}\n`);
  expect(get(`http://[${HOST_ADDR6}]:8080/`)).toBe(`hello from web, you are ${EXT_ADDR6}\n`);
  expect(ok(["ip", "-n", "web", "-br", "addr", "show", "eth0"])).toMatch(/10\.88\.0\.2\/24 fd00:88::2\/64/);
  const t = project.nslab(["test", "dual-stack"], host);
  expect(t.code).toBe(0);
  expect(t.stdout).toMatch(/ClientReachesWebOverIpv6/);
  expect(t.stdout).toMatch(/4 of 4 hold/);
  destroy("dual-stack");
});
