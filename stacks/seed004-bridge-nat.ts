// lab-stack (the Quick start): the topology of seed 004 (bridge br01 with two namespaces, MASQUERADE,
// host port 8080 -> ns01:80), with a small web server in ns01 so the published port
// answers right after deploy.
import { TerraformOutput } from "cdktf";
import type { Construct } from "constructs";
import {
  Check,
  ContainerNetwork,
  Expectation,
  Fault,
  LabStack,
  Protocol,
  Scenario,
  Vantage,
  type LabStackProps,
} from "../constructs";

/** Answers every request with who it is and who asked (the client address shows NAT at work). */
const WEB_SERVER = `require("http").createServer((q, s) => s.end("hello from ns01, you are " + q.socket.remoteAddress + "\\n")).listen(80, "0.0.0.0")`;

export class Seed004BridgeNatStack extends LabStack {
  constructor(scope: Construct, id: string, props: LabStackProps = {}) {
    super(scope, id, props);
    const net = new ContainerNetwork(this, "Br01", {
      bridgeName: "br01",
      subnet: "192.168.88.0/24",
      gateway: "192.168.88.1",
    });
    const ns01 = net.addEndpoint("Ns01", { netns: "ns01", address: "192.168.88.11" });
    const ns02 = net.addEndpoint("Ns02", { netns: "ns02", address: "192.168.88.12" });
    const web = ns01.publish("Web", { hostPort: 8080, containerPort: 80, protocol: Protocol.TCP });
    ns01.run("WebServer", { name: "ns01-web", command: ["node", "-e", WEB_SERVER] });

    // what this lab must do: `npx nslab test lab-stack` checks it with real traffic
    new Expectation(this, "Ns01PingsNs02", { from: ns01, to: ns02 });
    new Expectation(this, "Ns02PingsNs01ByName", { from: ns02, to: "ns01" });
    const reachesWeb = new Expectation(this, "Ns02ReachesWeb", { from: ns02, to: ns01, check: Check.tcp(80) });
    const outsideWeb = new Expectation(this, "OutsideReachesWeb", { from: Vantage.OUTSIDE, to: web });
    new Expectation(this, "OutsideNotDirect", {
      from: Vantage.OUTSIDE,
      to: ns01,
      check: Check.tcp(80),
      reachable: false,
    });
    new Expectation(this, "NothingUnpublished", {
      from: Vantage.OUTSIDE,
      to: Vantage.HOST,
      check: Check.tcp(8081),
      reachable: false,
    });

    // what happens over time: `npx nslab run lab-stack Flap` takes ns01's link down for two
    // seconds and measures how long its web server is out of reach (docs/scenarios.md)
    new Scenario(this, "Flap", { seconds: 5, everyMs: 100, probes: [reachesWeb, outsideWeb], maxOutageMs: 3000 })
      .at(1, Fault.linkDown(ns01))
      .at(3, Fault.linkUp(ns01));

    new TerraformOutput(this, "ns01_address", { value: ns01.addressToken });
    new TerraformOutput(this, "ns02_address", { value: ns02.addressToken });
    new TerraformOutput(this, "published_port", {
      value: `${web.hostPort}/${web.protocol} -> ns01:${web.containerPort}`,
    });
  }
}
