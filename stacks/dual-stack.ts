// dual-stack (issue 12): one network with an IPv4 and an IPv6 subnet, two endpoints, and
// host port 8080 published to web:80, answering on both families. Both families are
// masqueraded on the way out, as Docker does; `ipv6Masquerade: false` would route IPv6.
import { TerraformOutput } from "cdktf";
import type { Construct } from "constructs";
import { Check, ContainerNetwork, Expectation, LabStack, Vantage, type LabStackProps } from "../constructs";

/** Listens on both families ("::"), and says who asked over which. */
const WEB_SERVER = `require("http").createServer((q, s) => s.end("hello from web, you are " + q.socket.remoteAddress.replace(/^::ffff:/, "") + "\\n")).listen(80, "::")`;

export class DualStackStack extends LabStack {
  constructor(scope: Construct, id: string, props: LabStackProps = {}) {
    super(scope, id, props);
    const net = new ContainerNetwork(this, "Net", {
      bridgeName: "br88",
      subnet: "10.88.0.0/24",
      ipv6Subnet: "fd00:88::/64",
    });
    const web = net.addEndpoint("Web", { netns: "web" }); // 10.88.0.2, fd00:88::2
    const client = net.addEndpoint("Client", { netns: "client" }); // 10.88.0.3, fd00:88::3
    const port = web.publish("Http", { hostPort: 8080, containerPort: 80 });
    web.run("Server", { name: "dual-web", command: ["node", "-e", WEB_SERVER] });

    new Expectation(this, "ClientPingsWeb", { from: client, to: web });
    new Expectation(this, "ClientPingsWebOverIpv6", { from: client, to: web.ipv6Address! });
    new Expectation(this, "ClientReachesWebOverIpv6", { from: client, to: web.ipv6Address!, check: Check.tcp(80) });
    new Expectation(this, "OutsideReachesWeb", { from: Vantage.OUTSIDE, to: port });

    new TerraformOutput(this, "web_addresses", { value: web.addresses.join(" ") });
    new TerraformOutput(this, "published_port", {
      value: `${port.hostPort} -> web:${port.containerPort}, IPv4 and IPv6`,
    });
  }
}
