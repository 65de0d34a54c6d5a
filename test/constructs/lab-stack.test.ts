// Construct tier: synthesized JSON, checked with cdktf's matchers and pinned by snapshots.
import "cdktf/lib/testing/adapters/jest"; // matcher types
import { Resource as NullResource } from "@cdktf/provider-null/lib/resource";
import { Testing } from "cdktf";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { BridgeLabStack } from "../../stacks/lab-stack";
import { Seed000BridgeStack } from "../../stacks/seed000-bridge";
import { Seed000RoutesStack } from "../../stacks/seed000-routes";
import { Seed000VethStack } from "../../stacks/seed000-veth";
import { Seed001ModesStack } from "../../stacks/seed001-modes";
import { Seed002NatStack } from "../../stacks/seed002-nat";
import { Seed003BridgeStack } from "../../stacks/seed003-bridge";
import { ContainerNetwork, LabStack, ResourceType } from "../../constructs";

const maskAssetHash = (json: string) => json.replace(/assets\/netops\/[0-9A-F]+\//g, "assets/netops/<hash>/").replace(/netlab\/lab-[0-9a-f]+\.json/g, "netlab/lab-<hash>.json");

function synth(resourceType?: ResourceType, hostNetns?: string): string {
  const stack = new BridgeLabStack(Testing.app(), "lab-stack", { resourceType, hostNetns });
  return Testing.synth(stack, true);
}

const resources = (json: string, type: string) => JSON.parse(json).resource[type] as Record<string, Record<string, any>>;
/** A map trigger's spec (null_resource, the owner). */
const specOf = (t: any): any => (typeof t === "object" && t.spec ? JSON.parse(t.spec) : undefined);
const specs = (json: string, type = "terraform_data", attr = "triggers_replace") => Object.values(resources(json, type)).flatMap((r) => (specOf(r[attr]) ? [specOf(r[attr])] : []));
/** Lab objects' one-line triggers. */
const lines = (json: string) => Object.values(resources(json, "terraform_data")).flatMap((r) => (typeof r.triggers_replace === "string" ? [r.triggers_replace as string] : []));
const byKind = (json: string, kind: string) => Object.entries(resources(json, "terraform_data")).filter(([, r]) => specOf(r.triggers_replace)?.kind === kind);
const applier = (json: string) => Object.entries(resources(json, "terraform_data")).find(([, r]) => r.triggers_replace.lab)!;

describe("lab-stack synth", () => {
  test("terraform_data snapshot", () => {
    expect(maskAssetHash(synth())).toMatchSnapshot();
  });

  test("null_resource snapshot (same specs, provider-null's triggers)", () => {
    const json = synth(ResourceType.NULL_RESOURCE);
    expect(maskAssetHash(json)).toMatchSnapshot();
    // the same specs as the lab file holds
    const sorted = (xs: object[]) => xs.map((x) => JSON.stringify(x)).sort();
    expect(sorted(specs(json, "null_resource", "triggers").filter((s) => s.kind !== "stack"))).toEqual(sorted(new BridgeLabStack(Testing.app(), "lab-stack").objectSpecs));
  });

  test("seed 004 topology: bridge, two endpoints, one port mapping, MASQUERADE", () => {
    const json = synth();
    const bridgeSpec = { v: 1, stack: "lab-stack", kind: "network", bridge: "br01", subnet: "192.168.88.0", prefix: 24, gateway: "192.168.88.1", mtu: 1500, masquerade: true };
    // terraform_data has no generated class: the matcher only needs its type name.
    // One line per lab object: key, then every field (Terraform prints JSON over many lines).
    expect(json).toHaveResourceWithProperties({ tfResourceType: "terraform_data" } as any, {
      triggers_replace: "network-br01 bridge=br01 subnet=192.168.88.0 prefix=24 gateway=192.168.88.1 mtu=1500 masquerade=true",
    });
    expect(synth(ResourceType.NULL_RESOURCE)).toHaveResourceWithProperties(NullResource, { triggers: { spec: JSON.stringify(bridgeSpec) } });
    expect(lines(json)).toEqual([
      "network-br01 bridge=br01 subnet=192.168.88.0 prefix=24 gateway=192.168.88.1 mtu=1500 masquerade=true",
      "endpoint-ns01 netns=ns01 hostIf=veth-ns01 ifname=eth0 address=192.168.88.11 prefix=24 gateway=192.168.88.1 mtu=1500 bridge=br01",
      expect.stringMatching(/^workload-ns01-web name=ns01-web netns=ns01 command=\["node","-e","require/),
      "portmap-tcp-any-8080 protocol=tcp hostPort=8080 address=192.168.88.11 port=80 bridge=br01",
      "endpoint-ns02 netns=ns02 hostIf=veth-ns02 ifname=eth0 address=192.168.88.12 prefix=24 gateway=192.168.88.1 mtu=1500 bridge=br01",
      // the stack's derived names resource: a hash (its content is in the lab file)
      expect.stringMatching(/^names sha256=[0-9a-f]{16}$/),
    ]);
    // the runner's specs are in the lab file (and in null_resource's map triggers)
    const stack = new BridgeLabStack(Testing.app(), "lab-stack");
    expect(stack.objectSpecs).toEqual([
      bridgeSpec,
      expect.objectContaining({ kind: "endpoint", netns: "ns01", address: "192.168.88.11", gateway: "192.168.88.1", hostIf: "veth-ns01", ifname: "eth0", bridge: "br01" }),
      expect.objectContaining({ kind: "endpoint", netns: "ns02", address: "192.168.88.12" }),
      expect.objectContaining({ kind: "portmap", protocol: "tcp", hostPort: 8080, address: "192.168.88.11", port: 80, bridge: "br01" }),
      expect.objectContaining({ kind: "names", files: [expect.objectContaining({ netns: "ns01" }), expect.objectContaining({ netns: "ns02" })] }),
      expect.objectContaining({ kind: "workload", name: "ns01-web", netns: "ns01", command: ["node", "-e", expect.stringContaining("hello from ns01")] }),
    ]);
    const out = JSON.parse(json).output;
    expect(out.ns01_address.value).toBe("192.168.88.11");
    expect(out.published_port.value).toBe("8080/tcp -> ns01:80");
  });

  test("objects are tracking resources; the apply resource converges to the lab file, the owner destroys", () => {
    const json = synth();
    const r = resources(json, "terraform_data");
    const [applyId, apply] = applier(json);
    const [[ownerId, owner]] = byKind(json, "stack");
    // one runner call on create, with the lab file's path read from self
    expect(apply.provisioner.map((p: any) => p["local-exec"])).toEqual([
      { when: "create", command: "${self.triggers_replace.lab}", interpreter: ["node", expect.stringMatching(/^assets\/netops\/[0-9A-F]+\/netops\.cjs$/), "converge"] },
    ]);
    expect(apply.triggers_replace.lab).toMatch(/^netlab\/lab-[0-9a-f]{16}\.json$/);
    expect(apply.depends_on).toEqual([`terraform_data.${ownerId}`]);
    expect(owner.provisioner.map((p: any) => p["local-exec"])).toEqual([
      { when: "destroy", command: "${self.triggers_replace.spec}", interpreter: ["node", expect.stringMatching(/netops\.cjs$/), "destroy"] },
    ]);
    expect(owner.depends_on).toBeUndefined();
    for (const [k, v] of Object.entries(r)) {
      if (k === ownerId || k === applyId) continue;
      expect(v.provisioner).toBeUndefined();
      expect(v.depends_on).toEqual([`terraform_data.${applyId}`]);
    }
    // never on_failure = continue: a failed destroy must stop and say what is left
    expect(json).not.toContain("on_failure");
  });

  test("the lab file holds every object spec, and its name follows its content", () => {
    const app = Testing.app();
    const stack = new LabStack(app, "lab");
    const net = new ContainerNetwork(stack, "net", { subnet: "10.9.0.0/24", bridgeName: "br9" });
    net.addEndpoint("a", { netns: "a" }).publish("web", { hostPort: 80, containerPort: 80 });
    const kinds = stack.objectSpecs.map((s) => s.kind);
    expect(kinds).toEqual(["network", "endpoint", "portmap", "names"]);
    const lab1 = applier(Testing.synth(stack))[1].triggers_replace.lab;
    const stack2 = new LabStack(Testing.app(), "lab");
    new ContainerNetwork(stack2, "net", { subnet: "10.9.0.0/24", bridgeName: "br9" });
    expect(stack2.objectSpecs.map((s) => s.kind)).toEqual(["network"]); // no namespaces: no names
    const lab2 = applier(Testing.synth(stack2))[1].triggers_replace.lab;
    expect(lab2).not.toBe(lab1); // removing a construct changes the file, so Terraform re-runs the converge
    // an empty stack still has its owner and apply resource: deleting every construct removes everything
    const empty = new LabStack(Testing.app(), "lab");
    expect(applier(Testing.synth(empty))[1].triggers_replace.lab).toMatch(/^netlab\/lab-/);
  });

  test("a full synth writes the lab file next to cdk.tf.json", () => {
    const app = Testing.app();
    const stack = new BridgeLabStack(app, "lab-stack");
    app.synth();
    const dir = join(app.outdir, "stacks", "lab-stack");
    const tf = JSON.parse(readFileSync(join(dir, "cdk.tf.json"), "utf8"));
    const lab = Object.values(tf.resource.terraform_data as Record<string, any>).find((r) => r.triggers_replace.lab).triggers_replace.lab;
    const file = JSON.parse(readFileSync(join(dir, lab), "utf8"));
    expect(file).toEqual({ v: 1, stack: "lab-stack", kind: "lab", specs: stack.objectSpecs });
    expect(file.specs).toHaveLength(6);
  });

  test("children are replaced with their parent (replace_triggered_by), so replacing a network rebuilds endpoints and mappings", () => {
    for (const type of [ResourceType.TERRAFORM_DATA, ResourceType.NULL_RESOURCE]) {
      const r = resources(synth(type), type);
      const id = (prefix: string) => Object.keys(r).find((k) => k.startsWith(prefix))!;
      expect(r[id("Br01_Ns01_Namespace")].lifecycle).toEqual({ replace_triggered_by: [`${type}.${id("Br01_Bridge")}`] });
      expect(r[id("Br01_Ns01_Web_Rules")].lifecycle).toEqual({ replace_triggered_by: [`${type}.${id("Br01_Ns01_Namespace")}`] });
      expect(r[id("Br01_Bridge")].lifecycle).toBeUndefined();
    }
    // the trigger itself is known at plan time: the plan shows every field of a new object
    expect(lines(synth()).every((l) => !l.includes("${"))).toBe(true);
  });

  test("the sandbox host namespace goes into every spec", () => {
    const json = synth(undefined, "labhost");
    expect(specs(json)).toEqual([{ v: 1, stack: "lab-stack", host: "labhost", kind: "stack" }]);
    expect(lines(json).filter((l) => !l.startsWith("names ")).every((l) => l.includes(" host=labhost "))).toBe(true);
    expect(new BridgeLabStack(Testing.app(), "lab-stack", { hostNetns: "labhost" }).objectSpecs.every((s) => s.host === "labhost")).toBe(true);
  });

  test("the synthesized stack is valid Terraform (terraform init + validate, no provider)", () => {
    const stack = new BridgeLabStack(Testing.app(), "lab-stack");
    expect(Testing.fullSynth(stack)).toBeValidTerraform();
  });
});

describe("example stacks (one per seed scenario)", () => {
  const examples: [string, new (scope: any, id: string, props?: any) => LabStack][] = [
    ["seed000-veth", Seed000VethStack],
    ["seed000-bridge", Seed000BridgeStack],
    ["seed000-routes", Seed000RoutesStack],
    ["seed001-modes", Seed001ModesStack],
    ["seed002-nat", Seed002NatStack],
    ["seed003-bridge", Seed003BridgeStack],
  ];
  test.each(examples)("%s synthesizes to valid Terraform; its specs are pinned", (id, Stack) => {
    const stack = new Stack(Testing.app(), id);
    expect(stack.objectSpecs).toMatchSnapshot();
    expect(Testing.fullSynth(stack)).toBeValidTerraform();
  });
});
