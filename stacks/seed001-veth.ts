// seed 001, the veth section: a veth pair with veth001 in namespace test01
// (172.16.0.111/20) and its peer veth on the host itself (172.16.0.112/20); the host and
// test01 ping each other over it, no bridge.
import type { Construct } from "constructs";
import { LabStack, Sandbox, VethLink, type LabStackProps } from "../constructs";

export class Seed001VethStack extends LabStack {
  constructor(scope: Construct, id: string, props: LabStackProps = {}) {
    super(scope, id, props);
    const test01 = new Sandbox(this, "Test01", { netns: "test01" });
    new VethLink(this, "Veth", {
      a: { sandbox: test01, interfaceName: "veth001", address: "172.16.0.111/20" },
      b: { interfaceName: "veth", address: "172.16.0.112/20" }, // on the host
    });
  }
}
