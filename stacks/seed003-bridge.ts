// seed 003: net1 joined to bridge mybridge (10.68.0.1/24) by veth1 (10.68.0.101/24 inside,
// veth1_p on the bridge), with its default route through the bridge: the container can
// reach the host and, masqueraded, the outside.
import type { Construct } from "constructs";
import { ContainerNetwork, LabStack, type LabStackProps } from "../constructs";

export class Seed003BridgeStack extends LabStack {
  constructor(scope: Construct, id: string, props: LabStackProps = {}) {
    super(scope, id, props);
    const mybridge = new ContainerNetwork(this, "MyBridge", {
      bridgeName: "mybridge",
      subnet: "10.68.0.0/24",
      gateway: "10.68.0.1",
    });
    mybridge.addEndpoint("Net1", {
      netns: "net1",
      address: "10.68.0.101",
      interfaceName: "veth1",
      hostInterfaceName: "veth1_p",
    });
  }
}
