// lab-stack (the Quick start): the topology of seed 004 (bridge br01 with two namespaces, MASQUERADE,
// host port 8080 -> ns01:80), with a small web server in ns01 so the published port
// answers right after deploy.
import { TerraformOutput } from "cdktf";
import type { Construct } from "constructs";
import { ContainerNetwork, LabStack, Protocol, type LabStackProps } from "../constructs";

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

    new TerraformOutput(this, "ns01_address", { value: ns01.addressToken });
    new TerraformOutput(this, "ns02_address", { value: ns02.addressToken });
    new TerraformOutput(this, "published_port", {
      value: `${web.hostPort}/${web.protocol} -> ns01:${web.containerPort}`,
    });
  }
}
