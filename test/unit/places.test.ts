// Pure tier: places of a running lab as a user names them (exec, shell, capture), the
// commands that reach them, and the CLI's reading of those verbs.
import type { EndpointSpec, LinkSpec, ObjectSpec, SandboxSpec } from "../../model/schema";
import { tcpdumpArgv } from "../../netops/capture";
import { enterArgv } from "../../netops/enter";
import { fullName, INTERFACES, interfaces, NAMESPACES, namespaces, pick } from "../../netops/places";
import { br01, endpointSpec } from "../helpers/specs";

const remote = { name: "b", address: "10.0.0.2", user: "root", port: 22 };
const endpoint = (netns: string, over: Partial<EndpointSpec> = {}) =>
  endpointSpec(netns, { gateway: undefined, ...over });
const sandbox: SandboxSpec = { v: 1, stack: "lab", kind: "sandbox", netns: "sb" };
const link: LinkSpec = {
  v: 1,
  stack: "lab",
  kind: "link",
  a: { netns: "sb", ifname: "l0" },
  b: { ifname: "l1" },
  mtu: 1500,
};
const lab: ObjectSpec[] = [
  br01({ host: "sbx" }),
  endpoint("ns01", { host: "sbx" }),
  endpoint("sb", { ifname: "eth1", hostIf: "veth-sb1", host: "sbx" }),
  { ...sandbox, host: "sbx" },
  { ...link, host: "sbx" },
  endpoint("ns01", { remote, hostIf: "veth-b1" }),
  endpoint("nb", { remote }),
];

const message = (f: () => unknown) => {
  try {
    f();
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error("no error");
};

describe("namespaces", () => {
  const all = namespaces(lab, "sbx");
  it("lists each namespace once per machine, and each machine's host side", () => {
    expect(all.map((p) => fullName(p)).sort()).toEqual(["host", "host@b", "nb@b", "ns01", "ns01@b", "sb"]);
  });
  it("a bare name is this machine's when it has it, else the Host's that has it", () => {
    expect(pick(all, "ns01", NAMESPACES)).toMatchObject({ netns: "ns01", sandboxHost: "sbx" });
    expect(pick(all, "ns01", NAMESPACES).remote).toBeUndefined();
    expect(pick(all, "ns01@b", NAMESPACES)).toMatchObject({ netns: "ns01", remote });
    expect(pick(all, "nb", NAMESPACES)).toMatchObject({ netns: "nb", remote });
    expect(pick(all, "host", NAMESPACES)).toEqual({ sandboxHost: "sbx", name: "host" });
  });
  it("a wrong name lists the right ones", () => {
    expect(message(() => pick(all, "ns9", NAMESPACES))).toBe(
      "ns9 is no namespace of this lab; these are: host, host@b, nb@b, ns01, ns01@b, sb",
    );
    expect(message(() => pick(all, "nb@a", NAMESPACES))).toMatch(/^nb@a is no namespace/);
  });
});

describe("interfaces", () => {
  const all = interfaces(lab);
  it("a namespace with one interface is named by the namespace; one with several asks which", () => {
    expect(pick(all, "ns01", INTERFACES)).toMatchObject({ netns: "ns01", ifname: "eth0" });
    expect(message(() => pick(all, "sb", INTERFACES))).toBe("sb names 2 interfaces; say which: sb:eth1, sb:l0");
    expect(message(() => pick(all, "eth0", INTERFACES))).toBe(
      "eth0 is no interface of this lab; these are: " +
        "br01, host:l1, host:veth-b1@b, host:veth-nb@b, host:veth-ns01, host:veth-sb1, nb:eth0@b, ns01:eth0, ns01:eth0@b, sb:eth1, sb:l0",
    );
    expect(pick(all, "sb:l0", INTERFACES)).toMatchObject({ netns: "sb", ifname: "l0" });
  });
  it("host-side ends, bridges by their device name", () => {
    expect(pick(all, "host:veth-ns01", INTERFACES)).toMatchObject({ ifname: "veth-ns01", sandboxHost: "sbx" });
    expect(pick(all, "host:veth-ns01", INTERFACES).netns).toBeUndefined();
    expect(pick(all, "br01", INTERFACES)).toMatchObject({ ifname: "br01", name: "br01" });
    expect(pick(all, "host:br01", INTERFACES)).toMatchObject({ ifname: "br01" });
    expect(pick(all, "host:l1", INTERFACES)).toMatchObject({ ifname: "l1" });
  });
});

describe("what runs there", () => {
  it("ip netns exec, which gives the command the namespace's /etc/netns files", () => {
    expect(enterArgv({ netns: "ns01", sandboxHost: "sbx" }, ["ping", "-c1", "x"])).toEqual([
      "ip",
      "netns",
      "exec",
      "ns01",
      "ping",
      "-c1",
      "x",
    ]);
    expect(enterArgv({ sandboxHost: "sbx" }, ["ss", "-tln"])).toEqual(["ip", "netns", "exec", "sbx", "ss", "-tln"]);
    expect(enterArgv({}, ["ss", "-tln"])).toEqual(["ss", "-tln"]);
  });
  it("tcpdump: a pcap written packet by packet, or lines; the count and the filter passed on", () => {
    expect(tcpdumpArgv({ netns: "ns01", ifname: "eth0", text: false, count: 3, filter: ["icmp"] })).toEqual([
      "ip",
      "netns",
      "exec",
      "ns01",
      "tcpdump",
      "-i",
      "eth0",
      "-n",
      "--immediate-mode",
      "-U",
      "-w",
      "-",
      "-c",
      "3",
      "icmp",
    ]);
    expect(tcpdumpArgv({ ifname: "br01", text: true, filter: [] })).toEqual([
      "tcpdump",
      "-i",
      "br01",
      "-n",
      "--immediate-mode",
      "-l",
    ]);
  });
});
