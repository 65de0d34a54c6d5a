// nslab graph: the declared topology of a synthesized stack, drawn without the kernel.
import { Testing } from "cdktf";
import { join } from "node:path";
import { topologyOf, toDot, toMermaid } from "../../cli/graph";
import { ContainerNetwork, LabStack, Sandbox, VethLink } from "../../constructs";
import { Seed004BridgeNatStack } from "../../stacks/seed004-bridge-nat";
import { TwoHostsStack } from "../../stacks/two-hosts";
import { cmd } from "../helpers/cmd";

const ROOT = join(__dirname, "..", "..");

test("nslab graph writes lab-stack as SVG (Graphviz in WebAssembly), naming every endpoint and the published port", () => {
  const app = Testing.app();
  new Seed004BridgeNatStack(app, "lab-stack");
  app.synth();
  const r = cmd(["node", join(ROOT, "bin", "nslab.js"), "graph", "lab-stack", "--out", app.outdir]);
  expect(r.code).toBe(0);
  const svg = r.stdout;
  expect(svg).toMatch(/^<\?xml version="1\.0" encoding="UTF-8" standalone="no"\?>\n<!DOCTYPE svg /);
  expect(svg.trimEnd()).toMatch(/<\/svg>$/);
  expect(svg.match(/<g /g)?.length).toBe(svg.match(/<\/g>/g)?.length);
  const texts = [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
  for (const t of [
    "ns01",
    "ns02",
    "br01",
    "192.168.88.0/24",
    "eth0 192.168.88.11",
    "eth0 192.168.88.12",
    "*:8080/tcp &#45;&gt; :80",
    "host",
  ])
    expect(texts).toContain(t);
});

test("the topology: bridges on the host, endpoints on bridges, links (one to the host), connections, published ports", () => {
  const stack = new LabStack(Testing.app(), "g");
  const a = new ContainerNetwork(stack, "A", { subnet: "10.1.0.0/24", bridgeName: "bra" });
  const b = new ContainerNetwork(stack, "B", { subnet: "10.2.0.0/24", bridgeName: "brb", internal: true });
  a.connect(b);
  a.addEndpoint("W", { netns: "web" }).publish("P", { hostPort: 8080, containerPort: 80 });
  const s = new Sandbox(stack, "S", { netns: "solo" });
  new VethLink(stack, "L", {
    a: { sandbox: s, interfaceName: "v0", address: "172.16.0.1/30" },
    b: { interfaceName: "v1" },
  });
  const t = topologyOf(stack.objectSpecs, "sbx");
  expect(toDot(t, "g")).toBe(
    [
      'graph "g" {',
      "  graph [rankdir=LR, fontname=Helvetica];",
      "  node [fontname=Helvetica, fontsize=11];",
      "  edge [fontname=Helvetica, fontsize=9];",
      '  host [shape=box3d, label="sandbox host sbx"];',
      '  br_bra [shape=ellipse, label="bra\\n10.1.0.0/24\\ngw 10.1.0.1"];',
      '  br_brb [shape=ellipse, label="brb\\n10.2.0.0/24\\ngw 10.2.0.1\\ninternal"];',
      '  ns_solo [shape=box, label="solo"];',
      '  ns_web [shape=box, label="web"];',
      '  host -- br_bra [label="", style=solid];',
      '  host -- br_brb [label="", style=solid];',
      '  br_bra -- br_brb [label="connected", style=dotted];',
      '  ns_web -- br_bra [label="eth0 10.1.0.2", style=solid];',
      '  ns_solo -- host [label="v0 172.16.0.1/30 - v1", style=solid];',
      '  host -- ns_web [label="*:8080/tcp -> :80", style=dashed];',
      "}",
      "",
    ].join("\n"),
  );
  expect(toMermaid(t)).toContain('  br_bra -.-|"connected"| br_brb\n');
  expect(toMermaid(t)).toContain('  host[["sandbox host sbx"]]\n');
});

test("a lab on two hosts: each host with its part of each bridge, the parts joined by their tunnel, ports on their host", () => {
  const app = Testing.app();
  const stack = new TwoHostsStack(app, "two-hosts", { addresses: ["10.0.0.1", "10.0.0.2"] });
  const t = topologyOf(stack.objectSpecs, null);
  expect(t.nodes.filter((n) => n.shape === "host").map((n) => n.label)).toEqual([
    ["host a", "10.0.0.1"],
    ["host b", "10.0.0.2"],
  ]);
  expect(t.nodes.filter((n) => n.shape === "bridge").map((n) => n.id)).toEqual(
    expect.arrayContaining(["br_a_br_front", "br_b_br_front", "br_a_br_back", "br_b_br_back"]),
  );
  const front = stack.node.findChild("Front") as ContainerNetwork;
  expect(t.edges).toContainEqual({
    from: "br_a_br_front",
    to: "br_b_br_front",
    label: `vxlan ${front.vni} (udp 4789)`,
    style: "dotted",
  });
  // each drawn with the object it draws, as inspect names it (the live page marks it by that)
  expect(t.edges).toContainEqual({
    from: "ns_web_b",
    to: "br_b_br_front",
    label: "eth0 10.91.0.3",
    style: "solid",
    ref: "endpoint-web-b:eth0@b",
  });
  expect(t.edges).toContainEqual(
    expect.objectContaining({ from: "host_b", to: "ns_web_b", label: "*:8080/tcp -> :80", style: "dashed" }),
  );
});
