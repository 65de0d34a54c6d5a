// seed 000, part 1: two namespaces joined by one veth pair, no bridge, one subnet
// (ns1 172.18.0.2/24 <-> ns2 172.18.0.3/24, both ends renamed eth0 as the seed does).
import type { Construct } from "constructs";
import { LabStack, Sandbox, VethLink, type LabStackProps } from "../constructs";

export class Seed000VethStack extends LabStack {
  constructor(scope: Construct, id: string, props: LabStackProps = {}) {
    super(scope, id, props);
    const ns1 = new Sandbox(this, "Ns1", { netns: "ns1" });
    const ns2 = new Sandbox(this, "Ns2", { netns: "ns2" });
    new VethLink(this, "Veth", {
      a: { sandbox: ns1, interfaceName: "eth0", address: "172.18.0.2/24" },
      b: { sandbox: ns2, interfaceName: "eth0", address: "172.18.0.3/24" },
    });
  }
}
