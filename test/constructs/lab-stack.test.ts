// Construct tier: synthesized JSON, checked with cdktf's matchers and pinned by snapshots.
import "cdktf/lib/testing/adapters/jest"; // matcher types
import { Resource as NullResource } from "@cdktf/provider-null/lib/resource";
import { Testing } from "cdktf";
import { BridgeLabStack } from "../../stacks/lab-stack";
import { ContainerNetwork, LabStack, ResourceType } from "../../constructs";

const maskAssetHash = (json: string) => json.replace(/assets\/netops\/[0-9A-F]+\//g, "assets/netops/<hash>/");

function synth(resourceType?: ResourceType, hostNetns?: string): string {
  const stack = new BridgeLabStack(Testing.app(), "lab-stack", { resourceType, hostNetns });
  return Testing.synth(stack, true);
}

const resources = (json: string, type: string) => JSON.parse(json).resource[type] as Record<string, Record<string, any>>;
const specs = (json: string, type = "terraform_data", attr = "triggers_replace") =>
  Object.values(resources(json, type)).map((r) => JSON.parse(r[attr].spec));

describe("lab-stack synth", () => {
  test("terraform_data snapshot", () => {
    expect(maskAssetHash(synth())).toMatchSnapshot();
  });

  test("null_resource snapshot (same specs, provider-null's triggers)", () => {
    const json = synth(ResourceType.NULL_RESOURCE);
    expect(maskAssetHash(json)).toMatchSnapshot();
    expect(specs(json, "null_resource", "triggers")).toEqual(specs(synth()));
  });

  test("seed 004 topology: bridge, two endpoints, one port mapping, MASQUERADE", () => {
    const json = synth();
    const bridgeSpec = { v: 1, stack: "lab-stack", kind: "network", bridge: "br01", subnet: "192.168.88.0", prefix: 24, gateway: "192.168.88.1", mtu: 1500, masquerade: true };
    // terraform_data has no generated class: the matcher only needs its type name
    expect(json).toHaveResourceWithProperties({ tfResourceType: "terraform_data" } as any, { triggers_replace: { spec: JSON.stringify(bridgeSpec) } });
    expect(synth(ResourceType.NULL_RESOURCE)).toHaveResourceWithProperties(NullResource, { triggers: { spec: JSON.stringify(bridgeSpec) } });
    expect(specs(json)).toEqual([
      { v: 1, kind: "network", stack: "lab-stack", bridge: "br01", subnet: "192.168.88.0", prefix: 24, gateway: "192.168.88.1", mtu: 1500, masquerade: true },
      expect.objectContaining({ kind: "endpoint", netns: "ns01", address: "192.168.88.11", gateway: "192.168.88.1", hostIf: "veth-ns01", ifname: "eth0", bridge: "br01" }),
      expect.objectContaining({ kind: "portmap", protocol: "tcp", hostPort: 8080, address: "192.168.88.11", port: 80, bridge: "br01" }),
      expect.objectContaining({ kind: "endpoint", netns: "ns02", address: "192.168.88.12" }),
      { v: 1, kind: "stack", stack: "lab-stack" },
      { v: 1, kind: "sweep", stack: "lab-stack", keep: ["endpoint-ns01", "endpoint-ns02", "network-br01", "portmap-tcp-any-8080"] },
    ]);
    const out = JSON.parse(json).output;
    expect(out.ns01_address.value).toBe("192.168.88.11");
    expect(out.published_port.value).toBe("8080/tcp -> ns01:80");
  });

  test("create and destroy run the bundled runner with the spec read from self", () => {
    const [bridge] = Object.values(resources(synth(), "terraform_data"));
    const [create, destroy] = bridge.provisioner.map((p: any) => p["local-exec"]);
    expect(create).toEqual({ when: "create", command: "${self.triggers_replace.spec}", interpreter: ["node", expect.stringMatching(/^assets\/netops\/[0-9A-F]+\/netops\.cjs$/), "apply"] });
    expect(destroy).toEqual({ when: "destroy", command: "${self.triggers_replace.spec}", interpreter: ["node", create.interpreter[1], "destroy"] });
    expect(bridge.provisioner.some((p: any) => "on_failure" in p["local-exec"])).toBe(false);
  });

  test("children carry their parent's id, so replacing a network rebuilds endpoints and mappings", () => {
    const r = resources(synth(), "terraform_data");
    const [bridgeId, ns01Id] = Object.keys(r);
    expect(r[ns01Id].triggers_replace.parent0).toBe(`\${terraform_data.${bridgeId}.id}`);
    const web = Object.entries(r).find(([, v]) => JSON.parse(v.triggers_replace.spec).kind === "portmap")![1];
    expect(web.triggers_replace.parent0).toBe(`\${terraform_data.${ns01Id}.id}`);
  });

  test("the owner is created first and destroyed last; the sweep runs before every lab object", () => {
    const r = resources(synth(), "terraform_data");
    const id = (kind: string) => Object.keys(r).find((k) => JSON.parse(r[k].triggers_replace.spec).kind === kind)!;
    const [owner, sweep] = [id("stack"), id("sweep")];
    // the owner only removes (at the very end); the sweep only runs on create
    expect(r[owner].provisioner.map((p: any) => p["local-exec"].when)).toEqual(["destroy"]);
    expect(r[owner].depends_on).toBeUndefined();
    expect(r[sweep].provisioner.map((p: any) => p["local-exec"].when)).toEqual(["create"]);
    expect(r[sweep].depends_on).toEqual([`terraform_data.${owner}`]);
    for (const [k, v] of Object.entries(r)) {
      if (k === owner || k === sweep) continue;
      expect(v.depends_on).toEqual([`terraform_data.${sweep}`]);
      // ordering only: the sweep's id in a trigger would rebuild everything whenever it changes
      expect(JSON.stringify(v.triggers_replace)).not.toContain(sweep);
    }
    // never on_failure = continue: a failed destroy must stop and say what is left
    expect(JSON.stringify(r)).not.toContain("on_failure");
  });

  test("the sweep's list follows the code: removing a construct changes it (and so replaces the sweep)", () => {
    const app = Testing.app();
    const stack = new LabStack(app, "lab");
    const net = new ContainerNetwork(stack, "net", { subnet: "10.9.0.0/24", bridgeName: "br9" });
    net.addEndpoint("a", { netns: "a" }).publish("web", { hostPort: 80, containerPort: 80 });
    const keep = (json: string) => specs(json).find((s) => s.kind === "sweep").keep;
    expect(keep(Testing.synth(stack))).toEqual(["endpoint-a", "network-br9", "portmap-tcp-any-80"]);
    const app2 = Testing.app();
    const stack2 = new LabStack(app2, "lab");
    new ContainerNetwork(stack2, "net", { subnet: "10.9.0.0/24", bridgeName: "br9" });
    expect(keep(Testing.synth(stack2))).toEqual(["network-br9"]);
  });

  test("the sandbox host namespace goes into every spec", () => {
    expect(specs(synth(undefined, "labhost")).every((s) => s.host === "labhost")).toBe(true);
  });

  test("the synthesized stack is valid Terraform (terraform init + validate, no provider)", () => {
    const stack = new BridgeLabStack(Testing.app(), "lab-stack");
    expect(Testing.fullSynth(stack)).toBeValidTerraform();
  });
});
