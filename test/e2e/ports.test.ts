// End to end, issue 4 item 5: port mappings beyond one TCP port. UDP, a port range,
// binding to one host address, hairpin (an endpoint reaching a published port of its
// own network through the host's address), publishing on the host's 127.0.0.1, and that
// a port published only on 127.0.0.1 is not reachable from another host (moby#45610).
import { must, ok, requireRoot } from "../helpers/cmd";
import { e2eSandbox } from "../helpers/e2e";
import type { LabShape } from "../helpers/lab-shape";
import { EXT_ADDR, HOST_ADDR, hostState, inNs } from "../helpers/sandbox";
import { request, serve } from "../helpers/traffic";

requireRoot("e2e");
jest.setTimeout(300_000);

const { host, ext, project, servers } = e2eSandbox(["pt-a", "pt-b"]);
const SECOND = "10.231.9.1"; // another address of the sandbox host

const lab: LabShape = [
  {
    id: "Net",
    props: { subnet: "10.250.40.0/24", bridgeName: "ptbr" },
    endpoints: [
      {
        id: "A",
        props: { netns: "pt-a", address: "10.250.40.11" },
        ports: [
          { id: "Udp", props: { hostPort: 5353, containerPort: 53, protocol: "udp" as never } },
          { id: "Range", props: { hostPort: 7000, hostPortEnd: 7002 } },
          { id: "Bound", props: { hostPort: 8443, containerPort: 443, hostIp: SECOND } },
          { id: "Local", props: { hostPort: 8081, containerPort: 81, hostIp: "127.0.0.1" } },
          { id: "Web", props: { hostPort: 8080, containerPort: 80 } },
        ],
      },
      { id: "B", props: { netns: "pt-b", address: "10.250.40.12" } },
    ],
  },
];

test("udp, a port range, a host-IP binding, hairpin, 127.0.0.1 from the host only", async () => {
  ok(inNs(host, ["ip", "addr", "add", `${SECOND}/32`, "dev", "lo"]));
  const before = hostState(host);
  project.useLab(lab);
  must(project.cdktf(["deploy", "lab-stack", "--auto-approve"], host), "cdktf deploy");
  for (const [proto, port, tag] of [
    ["udp", 53, "dns"],
    ["tcp", 7000, "r0"],
    ["tcp", 7001, "r1"],
    ["tcp", 7002, "r2"],
    ["tcp", 7003, "r3"], // listening, but past the range
    ["tcp", 443, "tls"],
    ["tcp", 81, "local"],
    ["tcp", 80, "web"],
  ] as const) {
    servers.push(await serve("pt-a", proto, port, tag));
  }
  // udp
  expect(request(ext, "udp", HOST_ADDR, 5353)).toBe(`dns peer=${EXT_ADDR}`);
  // a range: each port to the same port inside
  expect(request(ext, "tcp", HOST_ADDR, 7000)).toBe(`r0 peer=${EXT_ADDR}`);
  expect(request(ext, "tcp", HOST_ADDR, 7002)).toBe(`r2 peer=${EXT_ADDR}`);
  expect(request(host, "tcp", "10.250.40.11", 7003)).toBe("r3 peer=10.250.40.1");
  expect(request(ext, "tcp", HOST_ADDR, 7003)).toBeNull();
  // bound to one host address: there, not on the others
  ok(["ip", "-n", ext, "route", "add", `${SECOND}/32`, "via", HOST_ADDR]);
  expect(request(ext, "tcp", SECOND, 8443)).toBe(`tls peer=${EXT_ADDR}`);
  expect(request(ext, "tcp", HOST_ADDR, 8443)).toBeNull();
  // hairpin: pt-b and pt-a itself reach pt-a's published port through the host's address
  expect(request("pt-b", "tcp", HOST_ADDR, 8080)).toBe("web peer=10.250.40.1");
  expect(request("pt-a", "tcp", HOST_ADDR, 8080)).toBe("web peer=10.250.40.1");
  // 127.0.0.1 on the host itself
  expect(request(host, "tcp", "127.0.0.1", 8081)).toBe("local peer=10.250.40.1");
  expect(request(host, "tcp", "127.0.0.1", 8080)).toBe("web peer=10.250.40.1");
  // ...and not from a neighbour that sends to 127.0.0.1 through the host (moby#45610): the
  // external namespace routes 127.0.0.1 to the host by policy, as an attacker on the LAN would
  ok(["ip", "netns", "exec", ext, "sysctl", "-qw", "net.ipv4.conf.eth0.route_localnet=1"]);
  ok(["ip", "-n", ext, "route", "add", "127.0.0.1/32", "via", HOST_ADDR, "dev", "eth0", "table", "100"]);
  // (the local table is consulted first; move it behind the attacker's rule)
  ok(["ip", "-n", ext, "rule", "add", "pref", "100", "lookup", "local"]);
  ok(["ip", "-n", ext, "rule", "del", "pref", "0", "lookup", "local"]);
  ok(["ip", "-n", ext, "rule", "add", "to", "127.0.0.1/32", "lookup", "100", "pref", "10"]);
  expect(request(ext, "tcp", "127.0.0.1", 8081)).toBeNull();
  ok(["ip", "-n", ext, "rule", "del", "pref", "10"]);
  ok(["ip", "-n", ext, "rule", "add", "pref", "0", "lookup", "local"]);
  ok(["ip", "-n", ext, "rule", "del", "pref", "100", "lookup", "local"]);

  must(project.cdktf(["destroy", "lab-stack", "--auto-approve"], host), "cdktf destroy");
  expect(hostState(host)).toEqual(before);
});
