// End to end, issue 4 item 2: several networks. Traffic between networks is dropped (as
// Docker does), except between networks connected on purpose; ICC off keeps endpoints
// of one network apart; an internal network has no way out and no MASQUERADE. Real
// pings and TCP, the dropped cases included.
import { must, ok, requireRoot } from "../helpers/cmd";
import { e2eSandbox } from "../helpers/e2e";
import type { LabShape } from "../helpers/lab-shape";
import { EXT_ADDR, HOST_ADDR, hostState, inNs } from "../helpers/sandbox";
import { ping, request, serve } from "../helpers/traffic";

requireRoot("e2e");
jest.setTimeout(300_000);

const NS = ["nw-a1", "nw-a2", "nw-b1", "nw-c1", "nw-i1", "nw-q1", "nw-q2"];
const { host, ext, project, servers } = e2eSandbox(NS);

const ep = (ns: string, address: string, ports = false) => ({
  id: ns.replace("-", ""),
  props: { netns: ns, address },
  ports: ports ? [{ id: "Web", props: { hostPort: 8080, containerPort: 80 } }] : [],
});
const lab: LabShape = [
  {
    id: "A",
    props: { subnet: "10.250.20.0/24", bridgeName: "nwa" },
    endpoints: [ep("nw-a1", "10.250.20.11", true), ep("nw-a2", "10.250.20.12")],
  },
  { id: "B", props: { subnet: "10.250.21.0/24", bridgeName: "nwb" }, endpoints: [ep("nw-b1", "10.250.21.11")] },
  {
    id: "C",
    props: { subnet: "10.250.22.0/24", bridgeName: "nwc" },
    endpoints: [ep("nw-c1", "10.250.22.11")],
    connect: ["A"],
  },
  {
    id: "I",
    props: { subnet: "10.250.23.0/24", bridgeName: "nwi", internal: true },
    endpoints: [ep("nw-i1", "10.250.23.11")],
  },
  {
    id: "Q",
    props: { subnet: "10.250.24.0/24", bridgeName: "nwq", icc: false },
    endpoints: [ep("nw-q1", "10.250.24.11"), ep("nw-q2", "10.250.24.12")],
  },
];

test("isolation between networks, connected networks, ICC off, internal network", async () => {
  const before = hostState(host);
  project.useLab(lab);
  must(project.cdktf(["deploy", "lab-stack", "--auto-approve"], host), "cdktf deploy");
  servers.push(
    await serve("nw-a1", "tcp", 80, "a1"),
    await serve("nw-b1", "tcp", 80, "b1"),
    await serve(ext, "tcp", 9000, "ext"),
  );

  // one network: its endpoints talk
  expect(ping("nw-a1", "10.250.20.12")).toBe(true);
  // two networks: dropped both ways, the published container port included (only the
  // host's published port leads there)
  expect(ping(host, "10.250.21.11")).toBe(true); // it is up: the host reaches it
  expect(ping("nw-a1", "10.250.21.11")).toBe(false);
  expect(ping("nw-b1", "10.250.20.11")).toBe(false);
  expect(request("nw-b1", "tcp", "10.250.20.11", 80)).toBeNull();
  expect(request(ext, "tcp", "10.250.20.11", 80)).toBeNull(); // nor routed straight from outside
  expect(request(ext, "tcp", HOST_ADDR, 8080)).toBe(`a1 peer=${EXT_ADDR}`);
  // connected networks: both ways, and still not to a third
  expect(ping("nw-c1", "10.250.20.11")).toBe(true);
  expect(ping("nw-a2", "10.250.22.11")).toBe(true);
  expect(request("nw-c1", "tcp", "10.250.20.11", 80)).toBe("a1 peer=10.250.22.11");
  expect(ping("nw-c1", "10.250.21.11")).toBe(false);
  // everyone but the internal network gets out, masqueraded
  expect(request("nw-b1", "tcp", EXT_ADDR, 9000)).toBe(`ext peer=${HOST_ADDR}`);
  expect(request("nw-q1", "tcp", EXT_ADDR, 9000)).toBe(`ext peer=${HOST_ADDR}`);
  // internal: the gateway answers, the outside does not, and nothing is masqueraded for it
  expect(ping("nw-i1", "10.250.23.1")).toBe(true);
  expect(request("nw-i1", "tcp", EXT_ADDR, 9000)).toBeNull();
  expect(ping("nw-i1", EXT_ADDR)).toBe(false);
  expect(ok(inNs(host, ["iptables-save", "-t", "nat"]))).not.toMatch(/-s 10\.250\.23\.0\/24 ! -o nwi .*MASQUERADE/);
  // ICC off: not each other, but the gateway and the outside
  expect(ping(host, "10.250.24.12")).toBe(true);
  expect(ping("nw-q1", "10.250.24.12")).toBe(false);
  expect(ping("nw-q2", "10.250.24.11")).toBe(false);
  expect(ping("nw-q1", "10.250.24.1")).toBe(true);
  expect(must(project.nslab(["verify", "lab-stack"], host), "nslab verify")).toMatch(/objects match the kernel/);

  must(project.cdktf(["destroy", "lab-stack", "--auto-approve"], host), "cdktf destroy");
  expect(hostState(host)).toEqual(before);
});
