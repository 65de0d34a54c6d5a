// seed 001: Docker's network modes, with the seed's names. bridge: test01 on docker0-like
// bridge nlbr0 (172.17.0.0/16) running a web server published on 8080; host: a server in
// the host namespace itself on 8081; none: test02, lo only; container: a sidecar in
// test01's namespace reaching its server on 127.0.0.1.
import type { Construct } from "constructs";
import { ContainerNetwork, LabStack, Sandbox, Workload, type LabStackProps } from "../constructs";

const server = (text: string, port: number) =>
  `require("http").createServer((q, s) => s.end(${JSON.stringify(text)} + "\\n")).listen(${port}, "0.0.0.0")`;
const sidecar = `setInterval(() => require("http").get("http://127.0.0.1:80/", (r) => r.pipe(process.stdout)).on("error", () => {}), 1000)`;

export class Seed001ModesStack extends LabStack {
  constructor(scope: Construct, id: string, props: LabStackProps = {}) {
    super(scope, id, props);
    const docker0 = new ContainerNetwork(this, "Docker0", {
      bridgeName: "nlbr0",
      subnet: "172.17.0.0/16",
      gateway: "172.17.0.1",
    });
    const test01 = docker0.addEndpoint("Test01", { netns: "test01", address: "172.17.0.2" });
    test01.publish("Web", { hostPort: 8080, containerPort: 80 });
    test01.run("Server", { name: "bridge-web", command: ["node", "-e", server("bridge mode: test01", 80)] });
    test01.run("Sidecar", { name: "container-sidecar", command: ["node", "-e", sidecar] });
    new Workload(this, "HostWeb", { name: "host-web", command: ["node", "-e", server("host mode", 8081)] });
    new Sandbox(this, "Test02", { netns: "test02" });
  }
}
