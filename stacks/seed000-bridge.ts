// seed 000, part 2: bridge br0 (172.25.0.1/24, the gateway) joining ns1, ns2, ns3
// (172.25.0.11-13) by veth1-3, whose host ends are br0-veth1-3. The bridge's address gives
// the host its route to 172.25.0.0/24; each namespace routes by default through it.
import type { Construct } from "constructs";
import { ContainerNetwork, LabStack, type LabStackProps } from "../constructs";

export class Seed000BridgeStack extends LabStack {
  constructor(scope: Construct, id: string, props: LabStackProps = {}) {
    super(scope, id, props);
    const br0 = new ContainerNetwork(this, "Br0", {
      bridgeName: "br0",
      subnet: "172.25.0.0/24",
      gateway: "172.25.0.1",
    });
    for (const i of [1, 2, 3]) {
      br0.addEndpoint(`Ns${i}`, {
        netns: `ns${i}`,
        address: `172.25.0.1${i}`,
        interfaceName: `veth${i}`,
        hostInterfaceName: `br0-veth${i}`,
      });
    }
  }
}
