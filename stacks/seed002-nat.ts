// seed 002: the host as a router. ns1 172.15.0.1 and ns2 172.15.0.2 on one bridge
// (gateway 172.15.0.254, as the seed's .1 is ns1), MASQUERADE for 172.15.0.0/24 going out,
// and DNAT of the host's port 80 to ns1:80.
import type { Construct } from "constructs";
import { ContainerNetwork, LabStack, type LabStackProps } from "../constructs";

export class Seed002NatStack extends LabStack {
  constructor(scope: Construct, id: string, props: LabStackProps = {}) {
    super(scope, id, props);
    const br0 = new ContainerNetwork(this, "Br0", {
      bridgeName: "br0",
      subnet: "172.15.0.0/24",
      gateway: "172.15.0.254",
    });
    const ns1 = br0.addEndpoint("Ns1", { netns: "ns1", address: "172.15.0.1", interfaceName: "veth1" });
    br0.addEndpoint("Ns2", { netns: "ns2", address: "172.15.0.2", interfaceName: "veth2" });
    ns1.publish("Http", { hostPort: 80, containerPort: 80 });
  }
}
