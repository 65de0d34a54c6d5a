// Bad input is rejected at synth with the construct path, the prop and the fix, before
// anything runs. Each row is one kind of mistake.
import { Testing, TerraformStack } from "cdktf";
import { OWNER_LINE_PREFIX } from "../../model/former-name";
import { specKey } from "../../model/kinds";
import { Check, Expectation, Host, Protocol, Vantage } from "../../constructs";
import { ExpectSpec } from "../../model/expect-spec";
import {
  ContainerNetwork,
  Endpoint,
  Firewall,
  LabStack,
  PortMapping,
  Route,
  Sandbox,
  VethLink,
  Workload,
  type ContainerNetworkProps,
} from "../../constructs";

type Build = (s: LabStack) => void;
const net = (s: LabStack, props: Partial<ContainerNetworkProps> = {}, id = "Net") =>
  new ContainerNetwork(s, id, { subnet: "10.10.0.0/24", bridgeName: "brx", ...props });

function synthError(build: Build): string {
  const stack = new LabStack(Testing.app(), "vstack");
  try {
    build(stack);
    Testing.synth(stack, true);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error("expected synth to fail");
}

const cases: [string, Build, RegExp, string][] = [
  [
    "invalid CIDR",
    (s) => net(s, { subnet: "10.10.0.0" }),
    /subnet`: "10.10.0.0" is not an IPv4 CIDR/,
    "address/prefix",
  ],
  [
    "CIDR with host bits",
    (s) => net(s, { subnet: "10.10.0.5/24" }),
    /has host bits set/,
    'did you mean "10.10.0.0/24"',
  ],
  ["prefix too long", (s) => net(s, { subnet: "10.10.0.0/31" }), /\/31 leaves no room/, "/30 or shorter"],
  [
    "gateway outside subnet",
    (s) => net(s, { gateway: "10.11.0.1" }),
    /gateway`: 10.11.0.1 is outside the subnet 10.10.0.0\/24/,
    "inside 10.10.0.0/24",
  ],
  [
    "gateway is broadcast",
    (s) => net(s, { gateway: "10.10.0.255" }),
    /gateway`: 10.10.0.255 is the broadcast address/,
    "host address",
  ],
  ["MTU too small", (s) => net(s, { mtu: 40 }), /mtu`: 40 is out of range/, "68 to 65535"],
  [
    "MTU not an integer",
    (s) => net(s, { mtu: 1500.5 }),
    /mtu`: 1500.5 is not a whole number/,
    "whole number from 68 to 65535",
  ],
  [
    "bridge name over 15",
    (s) => net(s, { bridgeName: "bridge-name-too-long" }),
    /bridgeName`: "bridge-name-too-long" is 20 characters/,
    "shorten it",
  ],
  ["bridge name empty", (s) => net(s, { bridgeName: "" }), /bridgeName`: is empty/, "1-15 characters"],
  [
    "bridge name with /",
    (s) => net(s, { bridgeName: "br/0" }),
    /bridgeName`: "br\/0" contains characters/,
    "1-15 characters",
  ],
  ["bridge name with space", (s) => net(s, { bridgeName: "br 0" }), /contains characters/, "1-15 characters"],
  [
    "netns with shell metacharacters",
    (s) => net(s).addEndpoint("E", { netns: "a;b$(x)" }),
    /Endpoint prop `netns`: "a;b\$\(x\)" contains characters/,
    "1-15 characters",
  ],
  [
    "interface name over 15",
    (s) => net(s).addEndpoint("E", { interfaceName: "eth0-inside-the-ns" }),
    /interfaceName`: .* is 18 characters/,
    "shorten it",
  ],
  [
    "host interface name with quote",
    (s) => net(s).addEndpoint("E", { hostInterfaceName: "v'1" }),
    /hostInterfaceName`: .* contains characters/,
    "1-15 characters",
  ],
  [
    "endpoint address outside subnet",
    (s) => net(s).addEndpoint("E", { address: "10.20.0.5" }),
    /address`: 10.20.0.5 is outside the subnet/,
    "inside 10.10.0.0/24",
  ],
  [
    "endpoint address = network",
    (s) => net(s).addEndpoint("E", { address: "10.10.0.0" }),
    /is the network address/,
    "host address",
  ],
  [
    "endpoint address = broadcast",
    (s) => net(s).addEndpoint("E", { address: "10.10.0.255" }),
    /is the broadcast address/,
    "host address",
  ],
  [
    "endpoint address = gateway",
    (s) => net(s).addEndpoint("E", { address: "10.10.0.1" }),
    /10.10.0.1 is the gateway/,
    "leave it out",
  ],
  [
    "endpoint address not IPv4",
    (s) => net(s).addEndpoint("E", { address: "10.10.0.300" }),
    /"10.10.0.300" is not an IP address/,
    "four decimal numbers",
  ],
  [
    "duplicate addresses",
    (s) => {
      const n = net(s);
      n.addEndpoint("A", { address: "10.10.0.9" });
      n.addEndpoint("B", { address: "10.10.0.9" });
    },
    /vstack\/Net\/B: Endpoint prop `address`: 10.10.0.9 is already used by vstack\/Net\/A/,
    "own address",
  ],
  [
    "overlapping subnets",
    (s) => {
      net(s);
      net(s, { subnet: "10.10.0.128/25", bridgeName: "bry" }, "Other");
    },
    /subnet`: 10.10.0.0\/24 overlaps vstack\/Other's 10.10.0.128\/25/,
    "non-overlapping",
  ],
  [
    "duplicate bridge names",
    (s) => {
      net(s);
      net(s, { subnet: "10.20.0.0/24" }, "Other");
    },
    /\[vstack\/Other\] ContainerNetwork prop `bridgeName`: host device "brx" is also made by vstack\/Net \(ContainerNetwork\)/,
    "its own name",
  ],
  [
    "subnet exhausted",
    (s) => {
      const n = net(s, { subnet: "10.10.0.0/30" });
      n.addEndpoint("A");
      n.addEndpoint("B");
    },
    /subnet 10.10.0.0\/30 is exhausted/,
    "larger subnet",
  ],
  [
    "duplicate netns",
    (s) => {
      const n = net(s);
      n.addEndpoint("A", { netns: "same" });
      n.addEndpoint("B", { netns: "same" });
    },
    /\[vstack\/Net\/B\] Endpoint prop `netns`: namespace "same" is also made by vstack\/Net\/A/,
    "own netns",
  ],
  [
    "MAC malformed",
    (s) => net(s).addEndpoint("E", { mac: "02:42:zz:00:00:01" }),
    /mac`: "02:42:zz:00:00:01" is not a MAC address/,
    "six hex pairs",
  ],
  ["MAC multicast", (s) => net(s).addEndpoint("E", { mac: "01:00:5e:00:00:01" }), /is a multicast address/, "unicast"],
  [
    "host port out of range",
    (s) => net(s).addEndpoint("E").publish("P", { hostPort: 70000 }),
    /PortMapping prop `hostPort`: 70000 is out of range. Fix: use a whole number from 1 to 65535/,
    "1 to 65535",
  ],
  [
    "container port zero",
    (s) => net(s).addEndpoint("E").publish("P", { hostPort: 80, containerPort: 0 }),
    /containerPort`: 0 is out of range/,
    "1 to 65535",
  ],
  [
    "host IP malformed",
    (s) => net(s).addEndpoint("E").publish("P", { hostPort: 80, hostIp: "localhost" }),
    /hostIp`: "localhost" is not an IP address/,
    '"10.0.0.1" or "2001:db8::1"',
  ],
  [
    "duplicate host port",
    (s) => {
      const e = net(s).addEndpoint("E");
      e.publish("P1", { hostPort: 80 });
      e.publish("P2", { hostPort: 80, containerPort: 81 });
    },
    /\[vstack\/Net\/E\/P2\] PortMapping prop `hostPort`: tcp port 80 on every address is also made by vstack\/Net\/E\/P1/,
    "bind each mapping",
  ],
  [
    "duplicate host port, one bound",
    (s) => {
      const e = net(s).addEndpoint("E");
      e.publish("P1", { hostPort: 80 });
      e.publish("P2", { hostPort: 80, hostIp: "10.0.0.1" });
    },
    /tcp port 80 on 10.0.0.1 is also made by vstack\/Net\/E\/P1/,
    "another hostPort",
  ],
  [
    "port mapping to an endpoint of another stack",
    (s) => {
      const other = new LabStack(Testing.app(), "other");
      const e = net(other).addEndpoint("E");
      new PortMapping(s, "P", { endpoint: e, hostPort: 80 });
    },
    /vstack\/P: PortMapping prop `endpoint`: other\/Net\/E belongs to stack "other", not "vstack"/,
    "same stack",
  ],
  [
    "sandbox name invalid",
    () => {
      new LabStack(Testing.app(), "s", { hostNetns: "bad name" });
    },
    /LabStack prop `hostNetns`: "bad name" contains characters a kernel name .* \(from hostNetns, or NSLAB_HOST_NETNS\)/,
    "1-15 characters",
  ],
  [
    "endpoint outside a LabStack",
    () => {
      const plain = new TerraformStack(Testing.app(), "plain");
      new Endpoint(plain, "E", { network: undefined as any });
    },
    /plain\/E: Endpoint prop `scope`: is in stack "plain", which is not a LabStack/,
    "inside a LabStack",
  ],
  // issue 4's constructs
  [
    "connect a network to itself",
    (s) => {
      const n = net(s);
      n.connect(n);
    },
    /ContainerNetwork prop `connect`: connects a network to itself/,
    "another network",
  ],
  [
    "endpoint with both netns and sandbox",
    (s) => net(s).addEndpoint("E", { netns: "x", sandbox: new Sandbox(s, "Sb") }),
    /Endpoint prop `netns`: is given together with sandbox/,
    "leave netns out",
  ],
  [
    "two default routes in one sandbox",
    (s) => {
      const sb = new Sandbox(s, "Sb");
      net(s).addEndpoint("A", { sandbox: sb, defaultRoute: true });
      net(s, { subnet: "10.11.0.0/24", bridgeName: "bry" }, "Net2").addEndpoint("B", {
        sandbox: sb,
        defaultRoute: true,
      });
    },
    /Endpoint prop `defaultRoute`: sandbox .* already routes by default/,
    "one endpoint of the sandbox only",
  ],
  [
    "nameservers not IPv4",
    (s) => new Sandbox(s, "Sb", { nameservers: ["dns.example"] }),
    /Sandbox prop `nameservers`: "dns.example" is not an IPv4 address/,
    "four decimal numbers",
  ],
  [
    "veth link to the same sandbox",
    (s) => {
      const sb = new Sandbox(s, "Sb");
      new VethLink(s, "L", { a: { sandbox: sb, interfaceName: "v0" }, b: { sandbox: sb, interfaceName: "v1" } });
    },
    /VethLink prop `b.sandbox`: is the same sandbox as a/,
    "two different sandboxes",
  ],
  [
    "expectation to the outside",
    (s) => new Expectation(s, "X", { from: net(s).addEndpoint("E"), to: Vantage.OUTSIDE }),
    /Expectation prop `to`: is Vantage.OUTSIDE, which is only a place to start from/,
    "check from Vantage.OUTSIDE",
  ],
  [
    "expectation to a name the source does not resolve (a typo)",
    (s) => {
      const n = net(s);
      n.addEndpoint("Db", { netns: "db" });
      n.addEndpoint("Web", { netns: "web" });
      new Expectation(s, "X", { from: n.addEndpoint("App", { netns: "app" }), to: "dbb" });
    },
    /Expectation prop `to`: "dbb" is no name app resolves: its hosts file lists the endpoints of its networks/,
    "name one of them (nearest first): db, web, app; or give an address",
  ],
  [
    "expectation to a name on a network the source is not on",
    (s) => {
      new ContainerNetwork(s, "Back", { subnet: "10.11.0.0/24" }).addEndpoint("Db", { netns: "db" });
      const sb = new Sandbox(s, "App", { netns: "app", nameservers: ["10.10.0.1"] });
      net(s).addEndpoint("AppFront", { sandbox: sb });
      new Expectation(s, "X", { from: sb, to: "db" });
    },
    /Expectation prop `to`: "db" is no name app resolves/,
    "name one of them (nearest first): app; or give an address",
  ],
  [
    "expectation with a tcp check and no port",
    (s) => new Expectation(s, "X", { from: Vantage.HOST, to: "10.10.0.9", check: Check.tcp() }),
    /Expectation prop `check`: Check.tcp\(\) needs a port here/,
    "Check.tcp(80)",
  ],
  [
    "expectation checking a tcp mapping by udp",
    (s) => {
      const p = net(s).addEndpoint("E").publish("P", { hostPort: 8080 });
      new Expectation(s, "X", { from: Vantage.OUTSIDE, to: p, check: Check.udp() });
    },
    /Expectation prop `check`: is udp, but vstack\/Net\/E\/P publishes tcp/,
    "Check.tcp()",
  ],
  [
    "throughput to an address",
    (s) =>
      new Expectation(s, "X", { from: Vantage.HOST, to: "10.10.0.9", check: Check.throughput({ atLeastMbit: 1 }) }),
    /Expectation prop `to`: is not an endpoint or a published port, and Check.throughput measures to one of those/,
    "a PortMapping whose server reads",
  ],
  [
    "throughput with no bound",
    (s) => {
      const n = net(s);
      new Expectation(s, "X", { from: n.addEndpoint("A"), to: n.addEndpoint("B"), check: Check.throughput({}) });
    },
    /Expectation prop `check`: Check.throughput\(\) has no bound/,
    "atLeastMbit, atMostMbit or both",
  ],
  [
    "throughput bounds that cannot hold",
    (s) => {
      const n = net(s);
      const check = Check.throughput({ atLeastMbit: 10, atMostMbit: 5 });
      new Expectation(s, "X", { from: n.addEndpoint("A"), to: n.addEndpoint("B"), check });
    },
    /Expectation prop `check`: atLeastMbit 10 is more than atMostMbit 5/,
    "a range that can hold",
  ],
  [
    "throughput for too long",
    (s) => {
      const n = net(s);
      const check = Check.throughput({ atLeastMbit: 1, seconds: 90 });
      new Expectation(s, "X", { from: n.addEndpoint("A"), to: n.addEndpoint("B"), check });
    },
    /Expectation prop `check.rate.seconds`: 90 is out of range/,
    "0.5 to 20",
  ],
  [
    "throughput that must not be reachable",
    (s) => {
      const n = net(s);
      const check = Check.throughput({ atMostMbit: 1 });
      new Expectation(s, "X", { from: n.addEndpoint("A"), to: n.addEndpoint("B"), check, reachable: false });
    },
    /Expectation prop `reachable`: is false, but Check.throughput measures a rate/,
    "atMostMbit for an upper bound",
  ],
  [
    "throughput to a udp port",
    (s) => {
      const p = net(s).addEndpoint("E").publish("P", { hostPort: 5001, protocol: Protocol.UDP });
      new Expectation(s, "X", { from: Vantage.OUTSIDE, to: p, check: Check.throughput({ atLeastMbit: 1 }) });
    },
    /Expectation prop `check`: is Check.throughput, which measures TCP, but vstack\/Net\/E\/P publishes udp/,
    "check a TCP port",
  ],
  [
    "expectation to something that is no address nor name",
    (s) => new Expectation(s, "X", { from: Vantage.HOST, to: "not a name" }),
    /Expectation prop `to`: "not a name" is neither an IP address nor a name/,
    "an endpoint's namespace name",
  ],
  [
    "expectation from a sandbox with no default route to a published port",
    (s) => {
      const sb = new Sandbox(s, "Sb");
      const n = net(s);
      n.addEndpoint("In", { sandbox: sb });
      new Expectation(s, "X", { from: sb, to: n.addEndpoint("E").publish("P", { hostPort: 80 }) });
    },
    /Expectation prop `from`: vstack\/Sb has no endpoint that routes by default/,
    "set defaultRoute",
  ],
  [
    "impairment loss over 100%",
    (s) => net(s).addEndpoint("E", { impairment: { lossPercent: 120 } }),
    /Endpoint prop `impairment.lossPercent`: 120 is out of range. Fix: use a number from 0 to 100/,
    "0 to 100",
  ],
  [
    "impairment rate of zero",
    (s) =>
      new VethLink(s, "L", {
        a: { sandbox: new Sandbox(s, "A"), interfaceName: "v0" },
        b: { interfaceName: "v1" },
        impairment: { rateMbit: 0 },
      }),
    /VethLink prop `impairment.rateMbit`: 0 is out of range/,
    "0.008",
  ],
  [
    "delayed veth link with jumbo frames",
    (s) =>
      new VethLink(s, "L", {
        a: { sandbox: new Sandbox(s, "A"), interfaceName: "v0" },
        b: { sandbox: new Sandbox(s, "B"), interfaceName: "v1" },
        mtu: 9000,
        impairment: { delayMs: 10 },
      }),
    /VethLink prop `mtu`: is 9000, but a delayed link carries frames of 1500 bytes at most/,
    "1500 or less",
  ],
  [
    "veth link with both ends on the host",
    (s) => new VethLink(s, "L", { a: { interfaceName: "v0" }, b: { interfaceName: "v1" } }),
    /VethLink prop `b.sandbox`: is missing, as is a.sandbox: both ends would be on the host/,
    "at least one end in a Sandbox",
  ],
  [
    "veth link's host end named as a bridge",
    (s) => {
      net(s);
      new VethLink(s, "L", { a: { sandbox: new Sandbox(s, "A"), interfaceName: "v0" }, b: { interfaceName: "brx" } });
    },
    /VethLink prop `b.interfaceName`: host device "brx" is also made by vstack\/Net \(ContainerNetwork\)/,
    "its own name",
  ],
  [
    "veth link's host end named as an endpoint's host veth",
    (s) => {
      net(s).addEndpoint("E", { netns: "e1" });
      new VethLink(s, "L", {
        a: { interfaceName: "veth-e1" },
        b: { sandbox: new Sandbox(s, "B"), interfaceName: "v0" },
      });
    },
    /VethLink prop `a.interfaceName`: host device "veth-e1" is also made by vstack\/Net\/E \(Endpoint\)/,
    "its own name",
  ],
  [
    "veth link address without prefix",
    (s) =>
      new VethLink(s, "L", {
        a: { sandbox: new Sandbox(s, "A"), interfaceName: "v0", address: "10.1.1.1" },
        b: { sandbox: new Sandbox(s, "B"), interfaceName: "v1" },
      }),
    /VethLink prop `a.address`: "10.1.1.1" is not an address with a prefix/,
    "address/prefix",
  ],
  [
    "route with neither via nor device",
    (s) => new Route(s, "R", { destination: "10.9.0.0/24" }),
    /Route prop `via`: and device are both missing/,
    "give a gateway",
  ],
  [
    "route destination with host bits",
    (s) => new Route(s, "R", { destination: "10.9.0.1/24", device: "eth0" }),
    /Route prop `destination`: "10.9.0.1\/24" has host bits set/,
    'did you mean "10.9.0.0/24"',
  ],
  [
    "workload with an empty command",
    (s) => new Workload(s, "W", { command: [] }),
    /Workload prop `command`: is empty/,
    "the program and its arguments",
  ],
  [
    "two workloads with one name",
    (s) => {
      new Workload(s, "A", { command: ["x"], name: "w" });
      new Workload(s, "B", { command: ["x"], name: "w" });
    },
    /Workload prop `name`: "w" is also the name of/,
    "its own name",
  ],
  [
    "port range shifted",
    (s) => net(s).addEndpoint("E").publish("P", { hostPort: 7000, hostPortEnd: 7005, containerPort: 8000 }),
    /PortMapping prop `containerPort`: 8000 differs from hostPort 7000 in a range/,
    "leave containerPort out",
  ],
  [
    "overlapping port ranges",
    (s) => {
      const e = net(s).addEndpoint("E");
      e.publish("A", { hostPort: 7000, hostPortEnd: 7005 });
      e.publish("B", { hostPort: 7003 });
    },
    /PortMapping prop `hostPort`: tcp port 7003 on every address is also made by vstack\/Net\/E\/A/,
    "another hostPort",
  ],
  [
    "network with neither subnet",
    (s) => new ContainerNetwork(s, "N", { bridgeName: "brx" }),
    /ContainerNetwork prop `subnet`: is missing, as is ipv6Subnet/,
    "or both",
  ],
  [
    "IPv4 CIDR as the IPv6 subnet",
    (s) => net(s, { ipv6Subnet: "10.20.0.0/24" }),
    /ContainerNetwork prop `ipv6Subnet`: "10.20.0.0\/24" is not an IPv6 CIDR \(it is of the other family\)/,
    "put it in subnet",
  ],
  [
    "IPv6 subnet with host bits",
    (s) => net(s, { ipv6Subnet: "fd00:88::1/64" }),
    /`ipv6Subnet`: "fd00:88::1\/64" has host bits set/,
    'did you mean "fd00:88::/64"?',
  ],
  [
    "IPv6 subnet too small",
    (s) => net(s, { ipv6Subnet: "fd00:88::/127" }),
    /`ipv6Subnet`: \/127 leaves no room for a gateway and an endpoint/,
    "/126 or shorter",
  ],
  [
    "IPv6 subnets overlapping",
    (s) => {
      net(s, { ipv6Subnet: "fd00:88::/64" });
      net(s, { subnet: "10.11.0.0/24", bridgeName: "bry", ipv6Subnet: "fd00:88::/48" }, "Other");
    },
    /`ipv6Subnet`: fd00:88::\/64 overlaps vstack\/Other's fd00:88::\/48/,
    "non-overlapping",
  ],
  [
    "IPv6 subnet exhausted",
    (s) => {
      const n = net(s, { ipv6Subnet: "fd00:88::/126" });
      for (const id of ["A", "B", "C"]) n.addEndpoint(id);
    },
    /vstack\/Net\/C: Endpoint prop `ipv6Address`: subnet fd00:88::\/126 is exhausted \(3 host addresses, 3 endpoints \+ gateway\)/,
    "larger subnet",
  ],
  [
    "IPv6 address outside the subnet",
    (s) => net(s, { ipv6Subnet: "fd00:88::/64" }).addEndpoint("E", { ipv6Address: "fd00:89::5" }),
    /`ipv6Address`: fd00:89::5 is outside the subnet fd00:88::\/64/,
    "inside fd00:88::/64",
  ],
  [
    "IPv6 address in the IPv4 prop",
    (s) => net(s, { ipv6Subnet: "fd00:88::/64" }).addEndpoint("E", { address: "fd00:88::5" }),
    /Endpoint prop `address`: "fd00:88::5" is an IPv6 address/,
    "put it in ipv6Address",
  ],
  [
    "IPv6 address on an IPv4-only network",
    (s) => net(s).addEndpoint("E", { ipv6Address: "fd00:88::5" }),
    /`ipv6Address`: fd00:88::5 is an IPv6 address, and vstack\/Net has no IPv6 subnet/,
    "give the network an ipv6Subnet",
  ],
  [
    "IPv6 address taken by the gateway, in another spelling",
    (s) => net(s, { ipv6Subnet: "fd00:88::/64" }).addEndpoint("E", { ipv6Address: "fd00:88:0:0::1" }),
    /`ipv6Address`: fd00:88:0:0::1 is the gateway of fd00:88::\/64/,
    "leave it out",
  ],
  [
    "port published on ::1",
    (s) => net(s, { ipv6Subnet: "fd00:88::/64" }).addEndpoint("E").publish("P", { hostPort: 80, hostIp: "::1" }),
    /PortMapping prop `hostIp`: ::1 cannot be forwarded to an endpoint/,
    '"127.0.0.1"',
  ],
  [
    "port published on an IPv6 host address for an IPv4-only endpoint",
    (s) => net(s).addEndpoint("E").publish("P", { hostPort: 80, hostIp: "2001:db8::1" }),
    /`hostIp`: 2001:db8::1 is an IPv6 address, and vstack\/Net\/E has no IPv6 address/,
    "an ipv6Subnet",
  ],
  [
    "host address with a space",
    (s) => new Host(s, "b", { address: "10.0.0.2; true" }),
    /Host prop `address`: "10.0.0.2; true" is not a host name or address/,
    '"10.0.0.2"',
  ],
  [
    "host key file not absolute",
    (s) => new Host(s, "b", { address: "10.0.0.2", identityFile: "keys/lab" }),
    /Host prop `identityFile`: "keys\/lab" is not an absolute path/,
    "full path",
  ],
  [
    "endpoint in a sandbox on a host its network is not on",
    (s) =>
      net(s).addEndpoint("E", { sandbox: new Sandbox(s, "S", { host: new Host(s, "b", { address: "10.0.0.2" }) }) }),
    /Endpoint prop `sandbox`: places it on vstack\/b, and vstack\/Net is on this machine only/,
    "add vstack/b to the network's hosts",
  ],
  [
    "endpoint on this machine, its network on hosts",
    (s) => net(s, { hosts: [new Host(s, "b", { address: "10.0.0.2" })] }).addEndpoint("E"),
    /Endpoint prop `host`: places it on this machine, and vstack\/Net is on vstack\/b only/,
    "give the endpoint one of the network's hosts",
  ],
  [
    "endpoint's host differs from its sandbox's",
    (s) => {
      const b = new Host(s, "b", { address: "10.0.0.2" });
      net(s, { hosts: [b] }).addEndpoint("E", { sandbox: new Sandbox(s, "S"), host: b });
    },
    /Endpoint prop `host`: is vstack\/b, and its sandbox is on this machine/,
    "on the sandbox's machine",
  ],
  [
    "network spanning a host known by name only",
    (s) =>
      net(s, { hosts: [new Host(s, "a", { address: "lab-a.example" }), new Host(s, "b", { address: "10.0.0.2" })] }),
    /ContainerNetwork prop `hosts`: vstack\/a has no tunnel address/,
    "give that Host a tunnelAddress",
  ],
  [
    "network spanning hosts of both families",
    (s) =>
      net(s, {
        hosts: [new Host(s, "a", { address: "10.0.0.1" }), new Host(s, "b", { address: "fd00::2" })],
      }),
    /joins hosts whose tunnel addresses are of both families/,
    "of one family",
  ],
  [
    "vni on a network on one machine",
    (s) => net(s, { vni: 42 }),
    /ContainerNetwork prop `vni`: is set on a network on one machine, which has no tunnel/,
    "list two hosts or more",
  ],
  [
    "two spanning networks, one VNI",
    (s) => {
      const hosts = [new Host(s, "a", { address: "10.0.0.1" }), new Host(s, "b", { address: "10.0.0.2" })];
      net(s, { hosts, vni: 7 });
      net(s, { hosts, vni: 7, subnet: "10.11.0.0/24", bridgeName: "bry" }, "Other");
    },
    /ContainerNetwork prop `vni`: 7 is also the VNI of vstack\/Other/,
    "its own vni",
  ],
  [
    "an expectation from a host to a port published on another machine",
    (s) => {
      const b = new Host(s, "b", { address: "10.0.0.2" });
      const e = net(s, { hosts: [b] }).addEndpoint("E", { host: b });
      const here = net(s, { subnet: "10.11.0.0/24", bridgeName: "bry" }, "Here").addEndpoint("H");
      new Expectation(s, "X", { from: e, to: here.publish("P", { hostPort: 80 }) });
    },
    /Expectation prop `to`: is published on this machine, and the check starts on vstack\/b/,
    "start it from that machine",
  ],
  [
    "veth link across machines",
    (s) =>
      new VethLink(s, "L", {
        a: { sandbox: new Sandbox(s, "A", { host: new Host(s, "b", { address: "10.0.0.2" }) }), interfaceName: "v0" },
        b: { sandbox: new Sandbox(s, "B"), interfaceName: "v1" },
      }),
    /VethLink prop `b.sandbox`: is on this machine, and a is on vstack\/b/,
    "a veth does not cross machines",
  ],
  // issue 19 item 1: what two objects would both make on one machine, whichever kinds they are
  [
    "a sandbox and an endpoint deriving one namespace from their ids",
    (s) => {
      new Sandbox(s, "App");
      net(s).addEndpoint("App");
    },
    /\[vstack\/Net\/App\] Endpoint prop `netns`: namespace "app" is also made by vstack\/App \(Sandbox\)/,
    "give each its own netns, or join them through one Sandbox",
  ],
  [
    "an endpoint and a sandbox naming one namespace",
    (s) => {
      net(s).addEndpoint("E", { netns: "dup" });
      new Sandbox(s, "S", { netns: "dup" });
    },
    /\[vstack\/S\] Sandbox prop `netns`: namespace "dup" is also made by vstack\/Net\/E \(Endpoint\)/,
    "its own netns",
  ],
  [
    "two links with one interface name in a sandbox",
    (s) => {
      const [a, b, c] = ["A", "B", "C"].map((id) => new Sandbox(s, id));
      new VethLink(s, "L1", { a: { sandbox: a, interfaceName: "v0" }, b: { sandbox: b, interfaceName: "v1" } });
      new VethLink(s, "L2", { a: { sandbox: c, interfaceName: "v2" }, b: { sandbox: a, interfaceName: "v0" } });
    },
    /\[vstack\/L2\] VethLink prop `b.interfaceName`: interface "v0" in namespace "a" is also made by vstack\/L1 \(VethLink\)/,
    "its own name",
  ],
  [
    "an endpoint's interface in a sandbox named as a link's end there",
    (s) => {
      const a = new Sandbox(s, "A");
      new VethLink(s, "L", {
        a: { sandbox: a, interfaceName: "eth0" },
        b: { sandbox: new Sandbox(s, "B"), interfaceName: "v1" },
      });
      net(s).addEndpoint("E", { sandbox: a, interfaceName: "eth0" });
    },
    /\[vstack\/Net\/E\] Endpoint prop `interfaceName`: interface "eth0" in namespace "a" is also made by vstack\/L \(VethLink\)/,
    "its own name",
  ],
  [
    "an endpoint's host veth named as another network's bridge",
    (s) => {
      net(s, { subnet: "10.11.0.0/24", bridgeName: "veth-e1" }, "Other");
      net(s).addEndpoint("E", { netns: "e1" });
    },
    /\[vstack\/Net\/E\] Endpoint prop `hostInterfaceName`: host device "veth-e1" is also made by vstack\/Other \(ContainerNetwork\)/,
    "its own name",
  ],
  [
    "one namespace twice on one Host",
    (s) => {
      const b = new Host(s, "b", { address: "10.0.0.2" });
      new Sandbox(s, "S1", { netns: "x", host: b });
      new Sandbox(s, "S2", { netns: "x", host: b });
    },
    /\[vstack\/S2\] Sandbox prop `netns`: namespace "x" on host b is also made by vstack\/S1 \(Sandbox\)/,
    "its own netns",
  ],
];

describe("bad input is rejected at synth with path, prop and fix", () => {
  test("GIVEN one namespace name on two machines THEN no clash: each machine has its own", () => {
    const stack = new LabStack(Testing.app(), "ok");
    new Sandbox(stack, "Here", { netns: "x" });
    new Sandbox(stack, "There", { netns: "x", host: new Host(stack, "b", { address: "10.0.0.2" }) });
    expect(() => Testing.synth(stack, true)).not.toThrow();
  });

  test("GIVEN one clash THEN it is reported once, on the later construct", () => {
    const msg = synthError((s) => {
      const e = net(s).addEndpoint("E", { netns: "dup" });
      e.publish("P1", { hostPort: 80 });
      e.publish("P2", { hostPort: 80 });
      new Sandbox(s, "S", { netns: "dup" });
    });
    expect(msg.match(/namespace "dup"/g)).toHaveLength(1);
    expect(msg.match(/tcp port 80/g)).toHaveLength(1);
  });

  test.each(cases)("%s", (_name, build, problem, fix) => {
    const msg = synthError(build);
    expect(msg).toMatch(problem);
    expect(msg).toContain(`Fix: `);
    expect(msg).toContain(fix);
  });

  test("GIVEN an expectation to a name its source resolves THEN it synthesizes", () => {
    const stack = new LabStack(Testing.app(), "ok");
    const n = net(stack);
    const app = n.addEndpoint("App", { netns: "app" });
    n.addEndpoint("Db", { netns: "db" });
    new Expectation(stack, "ByName", { from: app, to: "db" });
    new Expectation(stack, "Itself", { from: app, to: "app" });
    expect(() => Testing.synth(stack, true)).not.toThrow();
  });

  test("GIVEN valid input THEN addresses are allocated in order, skipping the gateway and named ones", () => {
    const stack = new LabStack(Testing.app(), "ok");
    const n = net(stack);
    const a = n.addEndpoint("A");
    const b = n.addEndpoint("B", { address: "10.10.0.3" });
    const c = n.addEndpoint("C");
    Testing.synth(stack, true);
    expect([a.address, b.address, c.address]).toEqual(["10.10.0.2", "10.10.0.3", "10.10.0.4"]);
    expect(n.bridgeName).toBe("brx");
    expect(new ContainerNetwork(stack, "A-Long_Network.Name", { subnet: "10.30.0.0/24" }).bridgeName).toMatch(
      /^nl-a-long-[0-9a-f]{5}$/,
    );
  });

  test("GIVEN an IPv6 subnet THEN each endpoint gets an address of each family, in its shortest form; IPv6-only works", () => {
    const stack = new LabStack(Testing.app(), "ok6");
    const dual = net(stack, { ipv6Subnet: "fd00:88:0::/64" });
    const a = dual.addEndpoint("A");
    const b = dual.addEndpoint("B", { ipv6Address: "fd00:88::00b" });
    const c = dual.addEndpoint("C");
    const only6 = new ContainerNetwork(stack, "Six", { ipv6Subnet: "fd00:99::/120", bridgeName: "br6" });
    const d = only6.addEndpoint("D");
    Testing.synth(stack, true);
    expect([a.address, a.ipv6Address, b.ipv6Address, c.ipv6Address]).toEqual([
      "10.10.0.2",
      "fd00:88::2",
      "fd00:88::b",
      "fd00:88::3",
    ]);
    expect([d.address, d.ipv6Address, only6.ipv6Gateway, dual.ipv6Gateway]).toEqual([
      undefined,
      "fd00:99::2",
      "fd00:99::1",
      "fd00:88::1",
    ]);
    const spec = (key: string) => stack.objectSpecs.find((x) => specKey(x) === key);
    expect(spec("network-brx")).toMatchObject({
      subnet6: "fd00:88::",
      prefix6: 64,
      gateway6: "fd00:88::1",
      masquerade6: true,
    });
    expect(spec("endpoint-a:eth0")).toMatchObject({
      address: "10.10.0.2",
      address6: "fd00:88::2",
      gateway6: "fd00:88::1",
    });
    expect(spec("endpoint-d:eth0")).not.toHaveProperty("address");
    expect(spec("network-br6")).not.toHaveProperty("subnet");
  });
});

test("an object on a Host carries where it is (and no sandbox host of this machine); the Host's owner comes before the gate", () => {
  const stack = new LabStack(Testing.app(), "mh", { hostNetns: "sbx" });
  const b = new Host(stack, "b", { address: "10.0.0.2", port: 2222, identityFile: "/keys/lab" });
  const sb = new Sandbox(stack, "S", { host: b });
  const here = new Sandbox(stack, "T");
  const json = JSON.parse(Testing.synth(stack, true));
  expect(sb.resource.spec).toMatchObject({
    kind: "sandbox",
    remote: { name: "b", address: "10.0.0.2", user: "root", port: 2222, identityFile: "/keys/lab" },
  });
  expect(sb.resource.spec).not.toHaveProperty("host");
  expect(here.resource.spec).toMatchObject({ host: "sbx" });
  const blocks = Object.entries(json.resource.terraform_data) as [string, any][];
  const gate = blocks.find(([k]) => k.startsWith("nslab-sweep"))![1];
  const owner = blocks.find(
    ([, v]) =>
      String(v.triggers_replace).startsWith(`${OWNER_LINE_PREFIX}stack `) &&
      String(v.triggers_replace).includes('"remote"'),
  );
  expect(owner).toBeDefined();
  expect(gate.depends_on).toContain(`terraform_data.${owner![0]}`);
  // its create copies and checks the runner there; its destroy clears what is left there
  expect(owner![1].provisioner.map((p: any) => p["local-exec"].when)).toEqual(["create", "destroy"]);
});

test("a network on two hosts: a bridge and a tunnel on each, the same gateway and MTU for the tunnel; endpoints and ports hang off their own host's", () => {
  const stack = new LabStack(Testing.app(), "mh");
  const a = new Host(stack, "a", { address: "10.0.0.1" });
  const b = new Host(stack, "b", { address: "lab-b.example", tunnelAddress: "10.0.0.2" });
  const lab = new ContainerNetwork(stack, "Lab", { subnet: "10.60.0.0/24", hosts: [a, b], icc: false });
  const ea = lab.addEndpoint("EA", { host: a, netns: "ea" });
  const eb = lab.addEndpoint("EB", { host: b, netns: "eb" });
  // the same port on two machines is no clash
  ea.publish("P", { hostPort: 8080, containerPort: 80 });
  eb.publish("P", { hostPort: 8080, containerPort: 80 });
  const json = JSON.parse(Testing.synth(stack, true));
  expect(lab.mtu).toBe(1450);
  expect(lab.resources.map((r) => r.spec)).toEqual([
    expect.objectContaining({
      kind: "network",
      remote: expect.objectContaining({ name: "a" }),
      gateway: "10.60.0.1",
      mtu: 1450,
    }),
    expect.objectContaining({
      kind: "network",
      remote: expect.objectContaining({ name: "b" }),
      gateway: "10.60.0.1",
      mtu: 1450,
    }),
  ]);
  const blocks = Object.entries(json.resource.terraform_data) as [string, any][];
  // every object's line: its key, then its spec (the gate's trigger is the lab file's path, the converge's the time)
  const specOf = (k: string) => (/^(nslab\/|\$\{)/.test(String(k)) ? {} : JSON.parse(k.slice(k.indexOf(" ") + 1)));
  const tunnels = blocks.map(([, v]) => specOf(v.triggers_replace)).filter((x) => x.kind === "vxlan");
  expect(tunnels).toEqual([
    expect.objectContaining({
      remote: expect.objectContaining({ name: "a" }),
      local: "10.0.0.1",
      peers: ["10.0.0.2"],
      vni: lab.vni,
      port: 4789,
      mtu: 1450,
      isolated: true,
      dev: "vx-nl-lab",
    }),
    expect.objectContaining({
      remote: expect.objectContaining({ name: "b" }),
      local: "10.0.0.2",
      peers: ["10.0.0.1"],
      vni: lab.vni,
      port: 4789,
      mtu: 1450,
      isolated: true,
      dev: "vx-nl-lab",
    }),
  ]);
  expect(lab.vni).toBeGreaterThanOrEqual(4096);
  // each endpoint is made after its own host's bridge only, and rebuilt with it alone
  const addr = (r: { resource?: { friendlyUniqueId: string } }) => `terraform_data.${r.resource!.friendlyUniqueId}`;
  const block = (r: { resource?: { friendlyUniqueId: string } }) =>
    json.resource.terraform_data[r.resource!.friendlyUniqueId];
  expect(block(ea.resource).lifecycle.replace_triggered_by).toEqual([addr(lab.resources[0])]);
  expect(block(eb.resource).lifecycle.replace_triggered_by).toEqual([addr(lab.resources[1])]);
  // names files on each host list the endpoints of both
  const names = blocks.map(([, v]) => specOf(v.triggers_replace)).filter((x) => x.kind === "names");
  expect(names).toHaveLength(2);
  for (const n of names) expect(n.endpoints.map((e: string[]) => e[1]).sort()).toEqual(["ea", "eb"]);
});

test("this machine in a spanning network (the stack listed in hosts): its bridge and tunnel are made here, to the Hosts' tunnel addresses", () => {
  const stack = new LabStack(Testing.app(), "mh", { hostNetns: "sbx", tunnelAddress: "10.0.0.1" });
  const b = new Host(stack, "b", { address: "10.0.0.2" });
  const c = new Host(stack, "c", { address: "10.0.0.3" });
  const lab = new ContainerNetwork(stack, "Lab", { subnet: "10.60.0.0/24", hosts: [stack, b] });
  const here = lab.addEndpoint("Here", { netns: "here" }); // no host: this machine
  const there = lab.addEndpoint("There", { host: b, netns: "there" });
  expect(lab.machines).toEqual([undefined, b]);
  expect(lab.hosts).toEqual([b]);
  expect(lab.mtu).toBe(1450);
  expect(here.resource.spec).toMatchObject({ host: "sbx", gateway: "10.60.0.1" });
  expect(here.resource.spec).not.toHaveProperty("remote");
  expect(there.resource.spec).toMatchObject({ remote: expect.objectContaining({ name: "b" }) });
  const json = JSON.parse(Testing.synth(stack, true));
  const specs = Object.values(json.resource.terraform_data as Record<string, any>)
    .map((v) => String(v.triggers_replace))
    .filter((l) => l.startsWith("vxlan-"))
    .map((l) => JSON.parse(l.slice(l.indexOf(" {") + 1)))
    .sort((x, y) => x.local.localeCompare(y.local));
  expect(specs).toEqual([
    expect.objectContaining({ host: "sbx", local: "10.0.0.1", peers: ["10.0.0.2"], vni: lab.vni }),
    expect.objectContaining({ remote: expect.objectContaining({ name: "b" }), local: "10.0.0.2", peers: ["10.0.0.1"] }),
  ]);
  expect(specs[0]).not.toHaveProperty("remote");
  // an endpoint here on a network of Hosts only, or on a Host the network is not on, is refused
  const far = new ContainerNetwork(stack, "Far", { subnet: "10.61.0.0/24", hosts: [b, c] });
  expect(() => far.addEndpoint("X", { netns: "x" })).toThrow(
    /places it on this machine, and mh\/Far is on mh\/b, mh\/c only.*list the stack in them \(this machine\)/,
  );
  expect(() => lab.addEndpoint("Y", { host: c, netns: "y" })).toThrow(
    /places it on mh\/c, and mh\/Lab is on this machine, mh\/b only.*add mh\/c to the network's hosts/,
  );
});

test("this machine in a spanning network needs the stack's tunnelAddress; the stack listed is its own, once", () => {
  const stack = new LabStack(Testing.app(), "mh");
  const b = new Host(stack, "b", { address: "10.0.0.2" });
  expect(() => new ContainerNetwork(stack, "N", { subnet: "10.60.0.0/24", hosts: [stack, b] })).toThrow(
    /ContainerNetwork.*`hosts`: this machine has no tunnel address.*give the LabStack a tunnelAddress/,
  );
  const other = new LabStack(Testing.app(), "other", { tunnelAddress: "10.0.0.1" });
  expect(() => new ContainerNetwork(stack, "O", { subnet: "10.61.0.0/24", hosts: [other, b] })).toThrow(
    /`hosts`: lists stack other, not its own/,
  );
  const twice = new LabStack(Testing.app(), "twice", { tunnelAddress: "10.0.0.1" });
  expect(() => new ContainerNetwork(twice, "T", { subnet: "10.62.0.0/24", hosts: [twice, twice] })).toThrow(
    /`hosts`: lists the stack twice/,
  );
  const same = new LabStack(Testing.app(), "same", { tunnelAddress: "10.0.0.2" });
  const sb = new Host(same, "b", { address: "10.0.0.2" });
  expect(() => new ContainerNetwork(same, "S", { subnet: "10.63.0.0/24", hosts: [same, sb] })).toThrow(
    /same\/b and this machine have the same tunnel address 10.0.0.2/,
  );
  expect(() => new LabStack(Testing.app(), "bad", { tunnelAddress: "lab-a.example" })).toThrow(
    /LabStack.*`tunnelAddress`: "lab-a.example" is not an IP address/,
  );
});

test("a tunnel over IPv6 takes 70 bytes: the network's MTU is 1430; a given MTU is kept, up to what leaves room", () => {
  const stack = new LabStack(Testing.app(), "mh6");
  const hosts = [new Host(stack, "a", { address: "fd00::1" }), new Host(stack, "b", { address: "fd00::2" })];
  expect(new ContainerNetwork(stack, "N", { subnet: "10.60.0.0/24", hosts }).mtu).toBe(1430);
  expect(new ContainerNetwork(stack, "J", { subnet: "10.61.0.0/24", hosts, mtu: 8950 }).mtu).toBe(8950);
  expect(() => new ContainerNetwork(stack, "X", { subnet: "10.62.0.0/24", hosts, mtu: 65500 })).toThrow(
    /mtu`: 65500 leaves no room for the tunnel's 70 bytes.*use at most 65465/,
  );
});

test("an expectation from a Host carries where it starts: the runner there checks it", () => {
  const stack = new LabStack(Testing.app(), "mh");
  const b = new Host(stack, "b", { address: "10.0.0.2" });
  const e = new ContainerNetwork(stack, "N", { subnet: "10.60.0.0/24", hosts: [b] }).addEndpoint("E", {
    host: b,
    netns: "e",
  });
  const x = new Expectation(stack, "X", { from: e, to: "10.60.0.1" });
  expect(x._spec().from).toEqual({ kind: "netns", netns: "e", remote: b.remote });
});

test("a throughput check's spec: to an endpoint, the namespace the receiver starts in; to a port, the port", () => {
  const stack = new LabStack(Testing.app(), "tp");
  const n = new ContainerNetwork(stack, "N", { subnet: "10.60.0.0/24" });
  const [a, b] = [n.addEndpoint("A", { netns: "a" }), n.addEndpoint("B", { netns: "b" })];
  const up = b.publish("P", { hostPort: 5001 });
  const toB = new Expectation(stack, "ToB", { from: a, to: b, check: Check.throughput({ atMostMbit: 10 }) });
  const check = Check.throughput({ atLeastMbit: 1.5, seconds: 3 });
  const toPort = new Expectation(stack, "ToPort", { from: Vantage.OUTSIDE, to: up, check });
  expect(toB._spec()).toMatchObject({ check: "throughput", rate: { atMostMbit: 10, seconds: 2 }, sink: "b" });
  expect(toB._spec().port).toBeUndefined();
  expect(toPort._spec()).toMatchObject({ check: "throughput", port: 5001, rate: { atLeastMbit: 1.5, seconds: 3 } });
  expect(toPort._spec().sink).toBeUndefined();
  expect(() => ExpectSpec.parse(toB._spec())).not.toThrow();
});

test("a throughput check to an endpoint on another machine is refused: its receiver starts where the target is", () => {
  const stack = new LabStack(Testing.app(), "tp", { tunnelAddress: "10.0.0.1" });
  const b = new Host(stack, "b", { address: "10.0.0.2" });
  const n = new ContainerNetwork(stack, "N", { subnet: "10.60.0.0/24", hosts: [stack, b] });
  const [here, there] = [n.addEndpoint("A", { netns: "a" }), n.addEndpoint("B", { netns: "b", host: b })];
  expect(
    () => new Expectation(stack, "X", { from: here, to: there, check: Check.throughput({ atLeastMbit: 1 }) }),
  ).toThrow(/Expectation prop `to`: is on tp\/b, and the check starts on this machine/);
});

test("the nftables firewall on hosts: a table on each machine, of the networks and port mappings there", () => {
  const stack = new LabStack(Testing.app(), "mh", { firewall: Firewall.NFTABLES });
  const [a, b] = ["a", "b"].map((n, i) => new Host(stack, n, { address: `10.0.0.${i + 1}` }));
  const here = new ContainerNetwork(stack, "Here", { subnet: "10.61.0.0/24" });
  here.addEndpoint("E", { netns: "e" }).publish("P", { hostPort: 80 });
  const lab = new ContainerNetwork(stack, "Lab", { subnet: "10.60.0.0/24", hosts: [a, b] });
  lab.addEndpoint("EA", { host: a, netns: "ea" }).publish("P", { hostPort: 8080, containerPort: 80 });
  const json = JSON.parse(Testing.synth(stack, true));
  const tables = Object.values(json.resource.terraform_data as Record<string, { triggers_replace: string }>)
    .map((v) => String(v.triggers_replace))
    .filter((t) => t.startsWith("nftables "))
    .map((t) => JSON.parse(t.slice(t.indexOf(" ") + 1)));
  const on = (name?: string) => tables.find((t) => t.remote?.name === name)!;
  expect(tables).toHaveLength(3);
  expect(on(undefined).networks.map((n: { bridge: string }) => n.bridge)).toEqual([here.bridgeName]);
  expect(on("a").networks.map((n: { bridge: string }) => n.bridge)).toEqual([lab.bridgeName]);
  expect(on("a").portmaps.map((p: { hostPort: number }) => p.hostPort)).toEqual([8080]);
  expect(on("b").portmaps).toEqual([]);
});

test("derived host interface names are unique: a multi-homed sandbox with long names synthesizes", () => {
  const stack = new LabStack(Testing.app(), "vstack");
  const app = new Sandbox(stack, "App", { netns: "appserver" });
  const front = new ContainerNetwork(stack, "Front", { subnet: "10.30.0.0/24", bridgeName: "frontbridge" });
  const back = new ContainerNetwork(stack, "Back", { subnet: "10.31.0.0/24", bridgeName: "backbridge" });
  const a = front.addEndpoint("F", { sandbox: app, defaultRoute: true });
  const b = back.addEndpoint("B", { sandbox: app });
  expect(() => Testing.synth(stack, true)).not.toThrow();
  expect(a.hostInterfaceName).toMatch(/^nlv[0-9a-f]{8}$/);
  expect(b.hostInterfaceName).toMatch(/^nlv[0-9a-f]{8}$/);
  expect(a.hostInterfaceName).not.toBe(b.hostInterfaceName);
});

test("a sandbox's interface names come from its networks, so one leaving renames no other (issue 10, item 7)", () => {
  const shape = (withFirst: boolean) => {
    const stack = new LabStack(Testing.app(), "vstack");
    const app = new Sandbox(stack, "App", { netns: "app" });
    const nets = ["f", "bridge-number1", "bridge-number2"].map(
      (b, i) => new ContainerNetwork(stack, `N${i}`, { subnet: `10.4${i}.0.0/24`, bridgeName: b }),
    );
    const eps = nets.slice(withFirst ? 0 : 1).map((n) => n.addEndpoint(`On${n.bridgeName}`, { sandbox: app }));
    Testing.synth(stack, true);
    return eps.map((e) => e.interfaceName);
  };
  const all = shape(true);
  expect(all[0]).toBe("eth-f");
  // too long for the bridge name in full: cut, with a hash that tells the two apart
  expect(all[1]).toMatch(/^eth-bridg-[0-9a-f]{5}$/);
  expect(all[2]).toMatch(/^eth-bridg-[0-9a-f]{5}$/);
  expect(all[1]).not.toBe(all[2]);
  expect(shape(false)).toEqual(all.slice(1));
});
