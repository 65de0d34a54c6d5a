// seed 000, part 3: two namespaces in two subnets on one veth pair (ns1 veth0-1
// 192.168.20.11/24, ns2 veth0-2 192.168.21.11/24). They reach each other only because each
// side has its route to the other's subnet: remove either Route and the pings stop.
import type { Construct } from "constructs";
import { LabStack, Route, Sandbox, VethLink, type LabStackProps } from "../constructs";

export class Seed000RoutesStack extends LabStack {
  constructor(scope: Construct, id: string, props: LabStackProps = {}) {
    super(scope, id, props);
    const ns1 = new Sandbox(this, "Ns1", { netns: "ns1" });
    const ns2 = new Sandbox(this, "Ns2", { netns: "ns2" });
    new VethLink(this, "Veth0", {
      a: { sandbox: ns1, interfaceName: "veth0-1", address: "192.168.20.11/24" },
      b: { sandbox: ns2, interfaceName: "veth0-2", address: "192.168.21.11/24" },
    });
    new Route(this, "Ns1To21", { sandbox: ns1, destination: "192.168.21.0/24", device: "veth0-1" });
    new Route(this, "Ns2To20", { sandbox: ns2, destination: "192.168.20.0/24", device: "veth0-2" });
  }
}
