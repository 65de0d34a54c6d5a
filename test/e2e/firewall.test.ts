// End to end, issue 4 item 6: the firewall backend is chosen per stack, iptables (the
// default) or native nftables (one table per stack), and both behave the same: published
// ports, MASQUERADE, isolation between networks, hairpin, an internal network, the host's
// 127.0.0.1. Each backend leaves no trace in the other's rules, and nothing after destroy.
import { must, ok, requireRoot } from "../helpers/cmd";
import { e2eSandbox } from "../helpers/e2e";
import { EXT_ADDR, HOST_ADDR, hostState, inNs } from "../helpers/sandbox";
import { cmd } from "../helpers/cmd";
import { ping, request, serve } from "../helpers/traffic";

requireRoot("e2e");
jest.setTimeout(300_000);

const { host, ext, project, servers } = e2eSandbox(["fw-a1", "fw-a2", "fw-b1", "fw-i1"]);
beforeAll(() => {
  // nftables cannot open what the host's iptables FORWARD policy drops (as with Docker's
  // nftables backend): both backends run here on a host whose policy accepts
  ok(inNs(host, ["iptables", "-w", "-P", "FORWARD", "ACCEPT"]));
});

const main = (firewall: "IPTABLES" | "NFTABLES") => `import { App } from "cdktf";
import { ContainerNetwork, Firewall, LabStack } from "./constructs";
const app = new App();
const stack = new LabStack(app, "lab-stack", { firewall: Firewall.${firewall} });
const a = new ContainerNetwork(stack, "A", { subnet: "10.250.50.0/24", bridgeName: "fwa" });
a.addEndpoint("A1", { netns: "fw-a1", address: "10.250.50.11" }).publish("Web", { hostPort: 8080, containerPort: 80 });
a.addEndpoint("A2", { netns: "fw-a2", address: "10.250.50.12" });
const b = new ContainerNetwork(stack, "B", { subnet: "10.250.51.0/24", bridgeName: "fwb" });
b.addEndpoint("B1", { netns: "fw-b1", address: "10.250.51.11" });
const i = new ContainerNetwork(stack, "I", { subnet: "10.250.52.0/24", bridgeName: "fwi", internal: true });
i.addEndpoint("I1", { netns: "fw-i1", address: "10.250.52.11" });
app.synth();
`;

test.each(["IPTABLES", "NFTABLES"] as const)("%s: same behaviour, nothing left", async (firewall) => {
  const before = hostState(host);
  project.useMain(main(firewall));
  must(project.cdktf(["deploy", "lab-stack", "--auto-approve"], host), "cdktf deploy");
  servers.push(
    await serve("fw-a1", "tcp", 80, "a1"),
    await serve("fw-b1", "tcp", 80, "b1"),
    await serve(ext, "tcp", 9000, "ext"),
  );

  expect(request(ext, "tcp", HOST_ADDR, 8080)).toBe(`a1 peer=${EXT_ADDR}`); // published
  expect(request("fw-a2", "tcp", EXT_ADDR, 9000)).toBe(`ext peer=${HOST_ADDR}`); // MASQUERADE
  expect(ping("fw-a2", "10.250.50.11")).toBe(true); // ICC
  // both servers answer the host, which routes to every bridge: what follows is the firewall
  expect(request(host, "tcp", "10.250.51.11", 80)).toBe("b1 peer=10.250.51.1");
  expect(request(host, "tcp", "10.250.50.11", 80)).toBe("a1 peer=10.250.50.1");
  expect(request("fw-a2", "tcp", "10.250.51.11", 80)).toBeNull(); // networks isolated
  expect(request("fw-b1", "tcp", "10.250.50.11", 80)).toBeNull();
  expect(request(ext, "tcp", "10.250.50.11", 80)).toBeNull(); // no direct routing in
  expect(request("fw-a2", "tcp", HOST_ADDR, 8080)).toBe("a1 peer=10.250.50.1"); // hairpin
  expect(request(host, "tcp", "127.0.0.1", 8080)).toBe("a1 peer=10.250.50.1"); // the host's loopback
  expect(request("fw-i1", "tcp", EXT_ADDR, 9000)).toBeNull(); // internal
  expect(ping("fw-i1", "10.250.52.1")).toBe(true);

  const iptables = ok(inNs(host, ["iptables-save"]));
  const nft = cmd(inNs(host, ["nft", "list", "table", "inet", "nslab-lab-stack"]));
  if (firewall === "NFTABLES") {
    expect(iptables).not.toMatch(/nslab/);
    expect(nft.code).toBe(0);
    expect(nft.stdout).toMatch(/comment "nslab:lab-stack [0-9a-f]{16}"/);
  } else {
    expect(iptables).toMatch(/NSLAB-IN-fwa/);
    expect(nft.code).not.toBe(0);
  }
  expect(must(project.nslab(["verify", "lab-stack"], host), "nslab verify")).toMatch(/objects match the kernel/);
  await Promise.all(servers.splice(0).map((s) => s.stop()));
  must(project.cdktf(["destroy", "lab-stack", "--auto-approve"], host), "cdktf destroy");
  expect(hostState(host)).toEqual(before);
  expect(cmd(inNs(host, ["nft", "list", "table", "inet", "nslab-lab-stack"])).code).not.toBe(0);
});
