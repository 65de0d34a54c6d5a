// End to end, issue 12: IPv6, dual-stack and IPv6-only networks, on both firewall
// backends, in a sandbox host whose uplink has an IPv6 address too (fd00:231::1, the
// external client fd00:231::2): ping6, a published port over both families, outbound NAT
// (the host's address) and routed mode (the endpoint's own), isolation, internal; and
// after destroy, ip6tables, nftables and the IPv6 forwarding sysctl as they were.
import { cmd, must, ok, requireRoot } from "../helpers/cmd";
import { e2eSandbox } from "../helpers/e2e";
import { EXT_ADDR, EXT_ADDR6, HOST_ADDR, HOST_ADDR6, hostState, inNs } from "../helpers/sandbox";
import { request, serve } from "../helpers/traffic";

requireRoot("e2e");
jest.setTimeout(300_000);

const { host, ext, project, servers } = e2eSandbox([
  "v6-a",
  "v6-b",
  "v6-d",
  "v6-r",
  "v6-i",
  "v6-i2",
  "v6-c",
  "v6-s1",
  "v6-s2",
]);
beforeAll(() => {
  // nftables cannot open what the host's iptables FORWARD policy drops (as with Docker's
  // nftables backend): both backends run here on a host whose policy accepts, both families
  ok(inNs(host, ["iptables", "-w", "-P", "FORWARD", "ACCEPT"]));
  // the outside routes the routed network to the host, as a router upstream would
  ok(["ip", "-n", ext, "route", "add", "fd00:77::/64", "via", HOST_ADDR6]);
});

const main = (firewall: "IPTABLES" | "NFTABLES") => `import { App } from "cdktf";
import { ContainerNetwork, Expectation, Firewall, LabStack, Route, Sandbox, Vantage, VethLink } from "./constructs";
const app = new App();
const stack = new LabStack(app, "lab-stack", { firewall: Firewall.${firewall} });
// dual stack: IPv4 and IPv6, both masqueraded on the way out
const n = new ContainerNetwork(stack, "N", { subnet: "10.88.0.0/24", ipv6Subnet: "fd00:88::/64", bridgeName: "v6n" });
const a = n.addEndpoint("A", { netns: "v6-a" });
const web = n.addEndpoint("B", { netns: "v6-b" }).publish("Web", { hostPort: 8080, containerPort: 80 });
// from outside (a client on the host's LAN): over both families, and over IPv6 alone
new Expectation(stack, "OutsideReachesWeb", { from: Vantage.OUTSIDE, to: web });
// 30 ms each way through a delay line, whose relay finishes IPv6 checksums too
n.addEndpoint("D", { netns: "v6-d", impairment: { delayMs: 30 } });
// IPv6 only, routed: the outside sees the endpoint's own address
const r = new ContainerNetwork(stack, "R", { ipv6Subnet: "fd00:77::/64", ipv6Masquerade: false, bridgeName: "v6r" });
const rp = r.addEndpoint("R1", { netns: "v6-r" }).publish("Web", { hostPort: 8081, containerPort: 80 });
// published over IPv6 only: the host reaches it on the routed network's gateway, A on its own
new Expectation(stack, "HostReachesRouted", { from: Vantage.HOST, to: rp });
new Expectation(stack, "AReachesRouted", { from: a, to: rp });
new Expectation(stack, "OutsideReachesRouted", { from: Vantage.OUTSIDE, to: rp });
// IPv6 only, internal and ICC off: no way out, and its endpoints do not reach each other
const i = new ContainerNetwork(stack, "I", { ipv6Subnet: "fd00:66::/64", internal: true, icc: false, bridgeName: "v6i" });
i.addEndpoint("I1", { netns: "v6-i" });
i.addEndpoint("I2", { netns: "v6-i2" });
// IPv6 only, connected to N: they reach each other with their own addresses
const c = new ContainerNetwork(stack, "C", { ipv6Subnet: "fd00:55::/64", bridgeName: "v6c" });
c.addEndpoint("C1", { netns: "v6-c" });
n.connect(c);
// seed 000's two subnets over one veth, in IPv6: a route on each side
const s1 = new Sandbox(stack, "S1", { netns: "v6-s1" });
const s2 = new Sandbox(stack, "S2", { netns: "v6-s2" });
new VethLink(stack, "L", {
  a: { sandbox: s1, interfaceName: "l0", address: "fd00:20::1/64" },
  b: { sandbox: s2, interfaceName: "l0", address: "fd00:21:0::1/64" },
});
new Route(stack, "R1", { sandbox: s1, destination: "fd00:21::/64", device: "l0" });
new Route(stack, "R2", { sandbox: s2, destination: "fd00:20::/64", device: "l0" });
app.synth();
`;

const ping6 = (ns: string, addr: string) => cmd(inNs(ns, ["ping", "-6", "-c", "1", "-W", "2", addr])).code === 0;

test.each(["IPTABLES", "NFTABLES"] as const)(
  "%s: ping6, a published port on both families, NAT and routed mode, isolation, internal, ICC off, connected; nothing left",
  async (firewall) => {
    const before = hostState(host);
    expect(before.ipv6Forward).toBe("0");
    project.useMain(main(firewall));
    must(project.cdktf(["deploy", "lab-stack", "--auto-approve"], host), "cdktf deploy");
    expect(must(project.nslab(["verify", "lab-stack"], host), "nslab verify")).toMatch(/match the kernel/);
    expect(ok(inNs(host, ["sysctl", "-n", "net.ipv6.conf.all.forwarding"])).trim()).toBe("1");
    // addresses as allocated: the gateway is ::1, endpoints from ::2; both families on A
    const a = ok(["ip", "-n", "v6-a", "-br", "addr", "show", "eth0"]);
    expect(a).toMatch(/10\.88\.0\.2\/24 fd00:88::2\/64/);
    expect(a).not.toMatch(/fe80::/); // no link-local: nothing to flood the bridge with
    // the hosts file lists both addresses
    expect(ok(["ip", "netns", "exec", "v6-a", "cat", "/etc/hosts"])).toMatch(/fd00:88::3\s+v6-b/);

    // ping6 between endpoints and to the gateway; by name too
    expect(ping6("v6-a", "fd00:88::3")).toBe(true);
    expect(ping6("v6-a", "fd00:88::1")).toBe(true);
    expect(cmd(["ip", "netns", "exec", "v6-a", "ping", "-6", "-c", "1", "-W", "2", "v6-b"]).code).toBe(0);

    servers.push(
      await serve("v6-b", "tcp", 80, "b", "::"),
      await serve(ext, "tcp", 9000, "ext", "::"),
      await serve("v6-r", "tcp", 80, "r", "::"),
      await serve("v6-d", "tcp", 80, "d", "::"),
    );
    // IPv6 through a delay line: ping6 takes the round trip's 60 ms, TCP gets through
    expect(ping6("v6-a", "fd00:88::4")).toBe(true);
    const rtt = cmd(inNs("v6-a", ["ping", "-6", "-c", "3", "-i", "0.2", "fd00:88::4"])).stdout;
    expect(Number(/= ([\d.]+)\//.exec(rtt)?.[1])).toBeGreaterThanOrEqual(59);
    expect(request("v6-a", "tcp", "fd00:88::4", 80)).toBe("d peer=fd00:88::2");

    // the published port from outside, over IPv6 and over IPv4 (DNAT keeps the client's address)
    expect(request(ext, "tcp", HOST_ADDR6, 8080)).toBe(`b peer=${EXT_ADDR6}`);
    expect(request(ext, "tcp", HOST_ADDR, 8080)).toBe(`b peer=${EXT_ADDR}`);
    // and from the host itself, and hairpin from its own network, over IPv6
    expect(request(host, "tcp", HOST_ADDR6, 8080)).toMatch(/^b peer=/);
    expect(request("v6-a", "tcp", HOST_ADDR6, 8080)).toBe("b peer=fd00:88::1");
    // outbound: masqueraded behind the host's address; routed: its own
    expect(request("v6-a", "tcp", EXT_ADDR6, 9000)).toBe(`ext peer=${HOST_ADDR6}`);
    expect(request("v6-a", "tcp", EXT_ADDR, 9000)).toBe(`ext peer=${HOST_ADDR}`);
    expect(request("v6-r", "tcp", EXT_ADDR6, 9000)).toBe("ext peer=fd00:77::2");
    // isolation: the host reaches both servers, the other network does not; the outside
    // reaches the routed network's address only as a reply (nothing published there)
    expect(request(host, "tcp", "fd00:77::2", 80)).toBe("r peer=fd00:77::1");
    expect(request("v6-a", "tcp", "fd00:77::2", 80)).toBeNull();
    expect(request("v6-r", "tcp", "fd00:88::3", 80)).toBeNull();
    expect(request(ext, "tcp", "fd00:77::2", 80)).toBeNull();
    // internal: its gateway answers, the outside does not
    expect(ping6("v6-i", "fd00:66::1")).toBe(true);
    expect(request("v6-i", "tcp", EXT_ADDR6, 9000)).toBeNull();
    expect(ping6("v6-i", EXT_ADDR6)).toBe(false);
    expect(ping6("v6-i2", "fd00:66::1")).toBe(true); // ICC off: the gateway only
    expect(ping6("v6-i2", "fd00:66::2")).toBe(false);
    // connected networks: no NAT between them, either way
    expect(request("v6-c", "tcp", "fd00:88::3", 80)).toBe("b peer=fd00:55::2");
    expect(ping6("v6-a", "fd00:55::2")).toBe(true);

    // a veth and routes in IPv6: across the two subnets; without s2's route back, no answer
    expect(ping6("v6-s1", "fd00:21::1")).toBe(true);
    ok(["ip", "-n", "v6-s2", "-6", "route", "del", "fd00:20::/64"]);
    expect(ping6("v6-s1", "fd00:21::1")).toBe(false);
    expect(project.nslab(["verify", "lab-stack"], host).stdout).toMatch(/missing: route fd00:20::\/64 dev l0 in v6-s2/);
    must(project.nslab(["repair", "lab-stack"], host), "nslab repair");
    expect(ping6("v6-s1", "fd00:21::1")).toBe(true);

    // the expectations hold: an IPv6-only port mapping's, and from outside over both
    // families (issue 19 item 7: the outside client has an IPv6 address too)
    const declared = project.nslab(["test", "lab-stack"], host);
    expect(declared.stdout).toMatch(
      /OutsideReachesWeb +outside +host:8080\/tcp .* reachable +reachable \(IPv4: connected, IPv6: connected\) +pass/,
    );
    expect(declared.stdout).toMatch(
      /OutsideReachesRouted +outside +host:8081\/tcp .* reachable +reachable \(connected\) +pass/,
    );
    expect(declared.stdout).toMatch(/\n4 of 4 hold\n$/);
    expect(declared.code).toBe(0);

    // nslab test --all-pairs: the lab's reachability matrix, every address of every other
    // endpoint, both families, each pair judged as the lab says (issue 19 item 6):
    // isolated networks, ICC off and internal do not answer, and that is a pass
    const pairs = project.nslab(["test", "lab-stack", "--all-pairs", "--json"], host);
    const { outcomes, matrix } = JSON.parse(pairs.stdout) as {
      outcomes: { from: string; to: string; want: boolean | null; got: boolean }[];
      matrix: { cells: Record<string, Record<string, { got: string; pass: boolean | null }>> };
    };
    expect(outcomes.filter((o) => o.want !== o.got)).toEqual([]);
    expect(pairs.code).toBe(0);
    const cell = (from: string, to: string) => [matrix.cells[from][to].got, matrix.cells[from][to].pass];
    expect(cell("v6-a", "v6-b")).toEqual(["yes", true]); // one network, both families
    expect(cell("v6-a", "v6-r")).toEqual(["no", true]); // isolated networks
    expect(cell("v6-i", "v6-i2")).toEqual(["no", true]); // ICC off
    expect(cell("v6-c", "v6-b")).toEqual(["partly", true]); // connected: IPv6 yes, IPv4 (c has none) no
    expect(cell("v6-a", "v6-c")).toEqual(["yes", true]);
    const table = must(project.nslab(["test", "lab-stack", "--all-pairs"], host), "nslab test --all-pairs");
    expect(table).toMatch(
      /\nREACHABILITY .*\nFROM \\ TO +v6-a +v6-b +v6-c +v6-d +v6-i +v6-i2 +v6-r\nv6-a +- +yes +yes +yes +no +no +no\n/,
    );

    must(project.cdktf(["destroy", "lab-stack", "--auto-approve"], host), "cdktf destroy");
    expect(hostState(host)).toEqual(before);
  },
);
