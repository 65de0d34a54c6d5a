// Construct tier: synthesized JSON, checked with cdktf's matchers and pinned by snapshots.
import "cdktf/lib/testing/adapters/jest"; // matcher types
import { NullProvider as ProviderNullProvider } from "@cdktf/provider-null/lib/provider";
import { Resource as NullResource } from "@cdktf/provider-null/lib/resource";
import { Testing, TerraformStack } from "cdktf";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Seed004BridgeNatStack } from "../../stacks/seed004-bridge-nat";
import { Seed000BridgeStack } from "../../stacks/seed000-bridge";
import { Seed000RoutesStack } from "../../stacks/seed000-routes";
import { Seed000VethStack } from "../../stacks/seed000-veth";
import { Seed001ModesStack } from "../../stacks/seed001-modes";
import { Seed001VethStack } from "../../stacks/seed001-veth";
import { Seed002NatStack } from "../../stacks/seed002-nat";
import { Seed003BridgeStack } from "../../stacks/seed003-bridge";
import { ContainerNetwork, Execution, Host, LabStack, ResourceType } from "../../constructs";
import { escapeTemplate } from "../../synth/provisioners";
import { NullProvider, NullResource as OwnNullResource } from "../../synth/null-provider";
import { OWNER_LINE_PREFIX } from "../../model/former-name";
import { br01, port8080 } from "../helpers/specs";
import { STACK_MANIFEST, StackManifest, SYNTH_DIR } from "../../model/manifest";

// reformatted: Testing.synth of cdktf prints an empty array or object over two lines, of
// cdktn on one; the JSON is the same, and both engines share these snapshots
const maskAssetHash = (json: string) =>
  JSON.stringify(JSON.parse(json), null, 2)
    .replace(/assets\/netops\/[0-9A-F]+\//g, "assets/netops/<hash>/")
    .replace(/nslab\/lab-[0-9a-f]+\.json/g, "nslab/lab-<hash>.json");

function synth(resourceType?: ResourceType, hostNetns?: string, execution?: Execution): string {
  const stack = new Seed004BridgeNatStack(Testing.app(), "lab-stack", { resourceType, hostNetns, execution });
  return Testing.synth(stack, true);
}

const byKey = (a: { kind: string }, b: { kind: string }) => JSON.stringify(a).localeCompare(JSON.stringify(b));

const resources = (json: string, type: string) =>
  JSON.parse(json).resource[type] as Record<string, Record<string, any>>;
const lineOf = (r: Record<string, any>): string | undefined =>
  typeof r.triggers_replace === "string" ? r.triggers_replace : r.triggers?.spec;
/** Lab objects' trigger lines (key, then the spec as JSON), as Terraform renders them. */
const lines = (json: string, type = "terraform_data") =>
  Object.values(resources(json, type)).flatMap((r) => {
    const l = lineOf(r);
    return l && !l.startsWith(OWNER_LINE_PREFIX) && !l.startsWith(`${SYNTH_DIR}/`) && !l.startsWith("${timestamp()}")
      ? [l.replace(/\$\$\{/g, "${").replace(/%%\{/g, "%{")]
      : [];
  });
const specOfLine = (l: string) => JSON.parse(l.slice(l.indexOf(" {") + 1));
const idOf = (json: string, prefix: string, type = "terraform_data") =>
  Object.keys(resources(json, type)).find((k) => k.startsWith(prefix))!;
const exec = (r: Record<string, any>) => (r.provisioner ?? []).map((p: any) => p["local-exec"]);
const RUNNER = expect.stringMatching(/^assets\/netops\/[0-9A-F]+\/netops\.cjs$/);

describe("lab-stack synth", () => {
  test("terraform_data snapshot (default: each object's own provisioners)", () => {
    expect(maskAssetHash(synth())).toMatchSnapshot();
  });

  test("null_resource snapshot (same lines, provider-null's triggers)", () => {
    const json = synth(ResourceType.NULL_RESOURCE);
    expect(maskAssetHash(json)).toMatchSnapshot();
    expect(lines(json, "null_resource").sort()).toEqual(lines(synth()).sort());
  });

  test("the null provider and null_resource render as @cdktf/provider-null's, which the library does not import", () => {
    const render = (build: (s: TerraformStack) => void) => {
      const stack = new TerraformStack(Testing.app(), "s");
      build(stack);
      return JSON.parse(Testing.synth(stack));
    };
    const theirs = render((s) => {
      new ProviderNullProvider(s, "null");
      const first = new NullResource(s, "a", { triggers: {} });
      new NullResource(s, "b", { triggers: {}, dependsOn: [first] });
    });
    const ours = render((s) => {
      new NullProvider(s, "null");
      new OwnNullResource(s, "b", [new OwnNullResource(s, "a")]);
    });
    expect(ours).toEqual(theirs);
    expect(ours.terraform.required_providers.null).toEqual({ source: "null", version: "3.2.4" });
  });

  test("batched snapshot (the owner and nslab-apply only)", () => {
    expect(maskAssetHash(synth(undefined, undefined, Execution.BATCHED))).toMatchSnapshot();
  });

  test("seed 004 topology: bridge, two endpoints, one port mapping, a workload, the names", () => {
    const json = synth();
    const bridgeSpec = br01({ stack: "lab-stack" });
    // terraform_data has no generated class: the matcher only needs its type name
    expect(json).toHaveResourceWithProperties({ tfResourceType: "terraform_data" } as any, {
      triggers_replace: `network-br01 ${JSON.stringify(bridgeSpec)}`,
    });
    expect(synth(ResourceType.NULL_RESOURCE)).toHaveResourceWithProperties(NullResource, {
      triggers: { spec: `network-br01 ${JSON.stringify(bridgeSpec)}` },
    });
    expect(
      lines(json)
        .map((l) => l.split(" ")[0])
        .sort(),
    ).toEqual([
      "endpoint-ns01:eth0",
      "endpoint-ns02:eth0",
      "names",
      "network-br01",
      "portmap-tcp-any-8080",
      "workload-ns01-web",
    ]);
    // each line's spec is the one the lab file holds
    const stack = new Seed004BridgeNatStack(Testing.app(), "lab-stack");
    expect(lines(json).map(specOfLine).sort(byKey)).toEqual([...stack.objectSpecs].sort(byKey));
    expect(stack.objectSpecs).toEqual([
      // every endpoint listed once; each namespace's hosts file is derived from it
      expect.objectContaining({
        kind: "names",
        endpoints: [
          ["192.168.88.11", "ns01", "br01"],
          ["192.168.88.12", "ns02", "br01"],
        ],
        files: [
          { netns: "ns01", bridges: ["br01"] },
          { netns: "ns02", bridges: ["br01"] },
        ],
      }),
      bridgeSpec,
      expect.objectContaining({
        kind: "endpoint",
        netns: "ns01",
        address: "192.168.88.11",
        gateway: "192.168.88.1",
        hostIf: "veth-ns01",
        ifname: "eth0",
        bridge: "br01",
      }),
      expect.objectContaining({ kind: "endpoint", netns: "ns02", address: "192.168.88.12" }),
      expect.objectContaining(port8080({ stack: "lab-stack" })),
      expect.objectContaining({
        kind: "workload",
        name: "ns01-web",
        netns: "ns01",
        command: ["node", "-e", expect.stringContaining("hello from ns01")],
      }),
    ]);
    const out = JSON.parse(json).output;
    expect(out.ns01_address.value).toBe("192.168.88.11");
    expect(out.published_port.value).toBe("8080/tcp -> ns01:80");
  });

  test("default mode: every lab object creates and destroys itself with the runner, after the sweep; the owner destroys last", () => {
    const json = synth();
    const r = resources(json, "terraform_data");
    const owner = idOf(json, "nslab-owner");
    const sweep = idOf(json, "nslab-sweep");
    expect(exec(r[sweep])).toEqual([
      { when: "create", command: "${self.triggers_replace}", interpreter: ["node", RUNNER, "sweep"], quiet: true },
      {
        when: "destroy",
        quiet: true,
        command: "hosts",
        environment: { NSLAB_LINE: "${jsonencode(self.input)}" },
        interpreter: ["node", RUNNER, "retire", r[sweep].triggers_replace, `terraform_data.${sweep}`],
      },
    ]);
    expect(r[sweep].triggers_replace).toMatch(/^nslab\/lab-[0-9a-f]{16}\.json$/);
    expect(r[sweep].input).toEqual([]); // no Host: nothing kept
    expect(r[sweep].depends_on).toEqual([`terraform_data.${owner}`]);
    // a line goes in the environment, its key on the command line: no spec in Terraform's output
    const withLine = (verb: string, when: string) => ({
      when,
      command: '${split(" ", self.triggers_replace)[0]}',
      environment: { NSLAB_LINE: "${self.triggers_replace}" },
      interpreter: ["node", RUNNER, verb],
      quiet: true,
    });
    expect(exec(r[owner])).toEqual([withLine("destroy", "destroy")]);
    expect(r[owner].triggers_replace).toBe(`${OWNER_LINE_PREFIX}stack {"v":1,"stack":"lab-stack","kind":"stack"}`);
    expect(r[owner].depends_on).toBeUndefined();
    const objects = Object.entries(r).filter(([k]) => k !== owner && k !== sweep && !k.startsWith("nslab-converge"));
    expect(objects).toHaveLength(6);
    for (const [, v] of objects) {
      expect(exec(v)).toEqual([withLine("create", "create"), withLine("destroy", "destroy")]);
      expect(v.depends_on[0]).toBe(`terraform_data.${sweep}`);
    }
    // never on_failure = continue: a failed destroy must stop and say what is left
    expect(json).not.toContain("on_failure");
  });

  test("the sweep keeps the stack's Hosts in its state, for its destroy to clear one deleted from the code", () => {
    for (const type of [ResourceType.TERRAFORM_DATA, ResourceType.NULL_RESOURCE]) {
      const stack = new LabStack(Testing.app(), "mh", { resourceType: type });
      new Host(stack, "a", { address: "10.0.0.1" });
      new Host(stack, "b", { address: "h-b.example", user: "lab", port: 2222, identityFile: "/k/${id}" });
      const json = Testing.synth(stack, true);
      const kind = type === ResourceType.TERRAFORM_DATA ? "terraform_data" : "null_resource";
      const r = resources(json, kind);
      const sweep = r[idOf(json, "nslab-sweep", kind)];
      const kept: string[] = kind === "terraform_data" ? sweep.input : JSON.parse(sweep.triggers.hosts);
      // as the owners' own lines (a user string escaped for Terraform's templates)
      const owners = ["a", "b"].map((h) => lineOf(r[idOf(json, `${h}_Owner`, kind)]));
      expect(kept).toEqual(owners);
      expect(specOfLine(kept[1].replace(/\$\$\{/g, "${"))).toEqual({
        v: 1,
        stack: "mh",
        kind: "stack",
        remote: { name: "b", address: "h-b.example", user: "lab", port: 2222, identityFile: "/k/${id}" },
      });
      const retire = exec(sweep).find((p: { when: string }) => p.when === "destroy");
      expect(retire.interpreter.slice(2)).toEqual([
        "retire",
        lineOf(sweep),
        `${kind}.${idOf(json, "nslab-sweep", kind)}`,
      ]);
      if (kind === "null_resource")
        expect(retire.environment).toEqual({ NSLAB_LINE: '${lookup(self.triggers, "hosts", "[]")}' });
    }
  });

  test("batched mode: no resource per object; nslab-apply holds every spec and converges on every apply", () => {
    const json = synth(undefined, undefined, Execution.BATCHED);
    const r = resources(json, "terraform_data");
    const apply = idOf(json, "nslab-apply");
    // the owner and the apply: nothing per object, no sweep, no separate converge
    expect(
      Object.keys(r)
        .map((k) => k.replace(/_[0-9A-F]+$/, ""))
        .sort(),
    ).toEqual(["nslab-apply", "nslab-owner"]);
    expect(exec(r[apply])).toEqual([
      {
        when: "create",
        command: "${self.triggers_replace.lab}",
        interpreter: ["node", RUNNER, "converge", "--apply"],
        quiet: true,
      },
      // it keeps the stack's Hosts, as the sweep does: a Host deleted from the code is cleared
      {
        when: "destroy",
        quiet: true,
        command: "hosts",
        environment: { NSLAB_LINE: "${jsonencode(self.input)}" },
        interpreter: ["node", RUNNER, "retire", expect.stringMatching(/^nslab\/lab-/), `terraform_data.${apply}`],
      },
    ]);
    // replaced on every apply; every object's spec by its key, the same as the default mode's lines
    const { lab, at, objects } = r[apply].triggers_replace;
    expect(lab).toMatch(/^nslab\/lab-[0-9a-f]+\.json$/);
    expect(at).toBe("${timestamp()}");
    const unescape = (l: string) => l.replace(/\$\$\{/g, "${").replace(/%%\{/g, "%{");
    expect(
      Object.values(objects as Record<string, string>)
        .map(unescape)
        .sort(),
    ).toEqual(lines(synth()).sort());
    for (const [k, l] of Object.entries(objects as Record<string, string>)) expect(l.startsWith(`${k} {`)).toBe(true);
    // null_resource: one flat map of strings
    const nulls = resources(synth(ResourceType.NULL_RESOURCE, undefined, Execution.BATCHED), "null_resource");
    const nullApply = nulls[Object.keys(nulls).find((k) => k.startsWith("nslab-apply"))!];
    expect(nullApply.triggers).toEqual({ spec: lab, at, hosts: "[]", ...objects });
    expect(exec(nullApply)[0].command).toBe("${self.triggers.spec}");
  });

  test("parents come from the registry of kinds: depends_on and replace_triggered_by name them", () => {
    for (const type of [ResourceType.TERRAFORM_DATA, ResourceType.NULL_RESOURCE]) {
      const json = synth(type);
      const r = resources(json, type);
      const id = (prefix: string) => `${type}.${idOf(json, prefix, type)}`;
      const parents = (prefix: string) => r[idOf(json, prefix, type)].lifecycle?.replace_triggered_by;
      expect(parents("Br01_Bridge")).toBeUndefined();
      expect(parents("Br01_Ns01_Namespace")).toEqual([id("Br01_Bridge")]);
      expect(parents("Br01_Ns01_Web_Rules").sort()).toEqual([id("Br01_Bridge"), id("Br01_Ns01_Namespace")].sort());
      // a workload is rebuilt with its namespace, and started after the names files
      expect(parents("Br01_Ns01_WebServer")).toEqual([id("Br01_Ns01_Namespace")]);
      expect(r[idOf(json, "Br01_Ns01_WebServer", type)].depends_on.slice(1).sort()).toEqual(
        [id("Br01_Ns01_Namespace"), id("nslab-names")].sort(),
      );
    }
  });

  test("a workload's command reaches the runner as written: ${ and %{ are escaped for Terraform's templates", () => {
    const stack = new LabStack(Testing.app(), "lab");
    const net = new ContainerNetwork(stack, "net", { subnet: "10.9.0.0/24", bridgeName: "br9" });
    net.addEndpoint("a", { netns: "a" }).run("w", { command: ["sh", "-c", 'echo "${HOME}" %{x} $${y}'] });
    const json = Testing.synth(stack);
    const raw = Object.values(resources(json, "terraform_data"))
      .map(lineOf)
      .find((l) => l?.startsWith("workload-"))!;
    expect(raw).toContain('echo \\"$${HOME}\\" %%{x} $$${y}');
    expect(escapeTemplate("${a} %{b}")).toBe("$${a} %%{b}");
    expect(Testing.fullSynth(stack)).toBeValidTerraform();
  });

  test("the lab file holds every object spec, and its name follows its content", () => {
    const stack = new LabStack(Testing.app(), "lab");
    const net = new ContainerNetwork(stack, "net", { subnet: "10.9.0.0/24", bridgeName: "br9" });
    net.addEndpoint("a", { netns: "a" }).publish("web", { hostPort: 80, containerPort: 80 });
    expect(stack.objectSpecs.map((s) => s.kind)).toEqual(["names", "network", "endpoint", "portmap"]);
    const lab1 = resources(Testing.synth(stack), "terraform_data")[idOf(Testing.synth(stack), "nslab-sweep")]
      .triggers_replace;
    const stack2 = new LabStack(Testing.app(), "lab");
    new ContainerNetwork(stack2, "net", { subnet: "10.9.0.0/24", bridgeName: "br9" });
    const json2 = Testing.synth(stack2);
    expect(resources(json2, "terraform_data")[idOf(json2, "nslab-sweep")].triggers_replace).not.toBe(lab1); // a construct removed: a new sweep
    // an empty stack keeps its owner and sweep: deleting every construct removes everything
    const empty = Testing.synth(new LabStack(Testing.app(), "lab"));
    expect(
      Object.keys(resources(empty, "terraform_data"))
        .map((k) => k.split("_")[0])
        .sort(),
    ).toEqual(["nslab-converge", "nslab-owner", "nslab-sweep"]);
  });

  test("a full synth writes the lab file next to cdk.tf.json", () => {
    const app = Testing.app();
    const stack = new Seed004BridgeNatStack(app, "lab-stack");
    app.synth();
    const dir = join(app.outdir, "stacks", "lab-stack");
    const tf = JSON.parse(readFileSync(join(dir, "cdk.tf.json"), "utf8"));
    const lab = Object.values(tf.resource.terraform_data as Record<string, any>).find((r) =>
      /^nslab\/lab-/.test(r.triggers_replace),
    ).triggers_replace;
    const file = JSON.parse(readFileSync(join(dir, lab), "utf8"));
    expect(file).toEqual({
      v: 1,
      stack: "lab-stack",
      kind: "lab",
      specs: stack.objectSpecs,
      expect: expect.any(Array),
      // what made each object, as `nslab trace` names it
      paths: {
        "endpoint-ns01:eth0": "lab-stack/Br01/Ns01",
        "endpoint-ns02:eth0": "lab-stack/Br01/Ns02",
        names: "lab-stack",
        "network-br01": "lab-stack/Br01",
        "portmap-tcp-any-8080": "lab-stack/Br01/Ns01/Web",
        "workload-ns01-web": "lab-stack/Br01/Ns01/WebServer",
      },
      scenarios: expect.any(Array),
    });
    // its scenario, as nslab run reads it: two of its expectations probed, ns01's link down and up
    expect(file.scenarios).toEqual([
      expect.objectContaining({
        name: "Flap",
        seconds: 5,
        everyMs: 100,
        timeoutMs: 500,
        maxOutageMs: 3000,
        probes: [file.expect[2], file.expect[3]],
        steps: [
          {
            at: 1,
            fault: { kind: "link", target: "ns01:eth0", up: false },
            label: "link down lab-stack/Br01/Ns01 (ns01:eth0)",
          },
          {
            at: 3,
            fault: { kind: "link", target: "ns01:eth0", up: true },
            label: "link up lab-stack/Br01/Ns01 (ns01:eth0)",
          },
        ],
      }),
    ]);
    // lab-stack's expectations, as nslab test reads them: an address, a name, the web
    // port from the neighbour, the published port from outside (the host's LAN address,
    // known at test time), and what must not answer
    expect(file.expect.map((e: any) => [e.from.netns ?? e.from.kind, e.to, e.check, e.port, e.reachable])).toEqual([
      ["ns01", { kind: "address", address: "192.168.88.12" }, "ping", undefined, true],
      ["ns02", { kind: "name", name: "ns01" }, "ping", undefined, true],
      ["ns02", { kind: "address", address: "192.168.88.11" }, "tcp", 80, true],
      ["outside", { kind: "host" }, "tcp", 8080, true],
      ["outside", { kind: "address", address: "192.168.88.11" }, "tcp", 80, false],
      ["outside", { kind: "host" }, "tcp", 8081, false],
    ]);
    expect(file.specs).toHaveLength(6);
    // and the manifest the CLI reads: the same lab file, and a runner that is there
    const manifest = StackManifest.parse(JSON.parse(readFileSync(join(dir, STACK_MANIFEST), "utf8")));
    expect(manifest).toMatchObject({ stack: "lab-stack", execution: "per-object", lab });
    expect(manifest.host).toBeUndefined();
    expect(readFileSync(join(dir, manifest.runner), "utf8").length).toBeGreaterThan(10_000);
  });

  test("every apply ends with nslab-converge: netops converge --quiet on the lab file, after the gate and every object", () => {
    {
      const json = Testing.synth(new Seed004BridgeNatStack(Testing.app(), "lab-stack"));
      const data = resources(json, "terraform_data");
      const settle = data[idOf(json, "nslab-converge")];
      expect(settle.triggers_replace).toBe("${timestamp()}");
      expect(exec(settle)).toEqual([
        {
          command: expect.stringMatching(/^nslab\/lab-[0-9a-f]+\.json$/),
          interpreter: ["node", RUNNER, "converge", "--quiet"],
          when: "create",
          quiet: true,
        },
      ]);
      const others = Object.keys(data).filter((k) => !/^nslab-(owner|converge)/.test(k));
      expect(others).toHaveLength(7); // the gate and six objects
      expect([...settle.depends_on].sort()).toEqual(others.map((k) => `terraform_data.${k}`).sort());
    }
    const nulls = resources(synth(ResourceType.NULL_RESOURCE), "null_resource");
    expect(nulls[Object.keys(nulls).find((k) => k.startsWith("nslab-converge"))!].triggers).toEqual({
      at: "${timestamp()}",
    });
  });

  test("testOnDeploy: an nslab-test resource runs netops test on the lab file after every object, on every apply", () => {
    const json = Testing.synth(new Seed004BridgeNatStack(Testing.app(), "lab-stack", { testOnDeploy: true }));
    const data = resources(json, "terraform_data");
    const test = data[idOf(json, "nslab-test")];
    expect(test.triggers_replace).toBe("${timestamp()}");
    expect(test.provisioner).toEqual([
      {
        "local-exec": {
          command: expect.stringMatching(/^nslab\/lab-[0-9a-f]+\.json$/),
          interpreter: ["node", RUNNER, "test"],
          when: "create",
          quiet: true,
        },
      },
    ]);
    const objects = Object.keys(data).filter((k) => !/^nslab-(owner|sweep|test|converge)/.test(k));
    expect(objects).toHaveLength(6);
    // after the converge that ends every apply: the checks see the lab as declared
    const settle = `terraform_data.${idOf(json, "nslab-converge")}`;
    expect([...test.depends_on].sort()).toEqual([...objects.map((k) => `terraform_data.${k}`), settle].sort());
    // without it, no such resource
    expect(idOf(Testing.synth(new Seed004BridgeNatStack(Testing.app(), "lab-stack")), "nslab-test")).toBeUndefined();
  });

  test("the sandbox host namespace goes into every spec", () => {
    const json = synth(undefined, "labhost");
    expect(lines(json).every((l) => specOfLine(l).host === "labhost")).toBe(true);
    expect(
      new Seed004BridgeNatStack(Testing.app(), "lab-stack", { hostNetns: "labhost" }).objectSpecs.every(
        (s) => s.host === "labhost",
      ),
    ).toBe(true);
  });

  test.each([Execution.PER_OBJECT, Execution.BATCHED])(
    "the synthesized stack is valid Terraform (terraform init + validate, no provider): %s",
    (execution) => {
      const stack = new Seed004BridgeNatStack(Testing.app(), "lab-stack", { execution });
      expect(Testing.fullSynth(stack)).toBeValidTerraform();
    },
  );
});

describe("example stacks (one per seed scenario)", () => {
  const examples: [string, new (scope: any, id: string, props?: any) => LabStack][] = [
    ["seed000-veth", Seed000VethStack],
    ["seed000-bridge", Seed000BridgeStack],
    ["seed000-routes", Seed000RoutesStack],
    ["seed001-modes", Seed001ModesStack],
    ["seed001-veth", Seed001VethStack],
    ["seed002-nat", Seed002NatStack],
    ["seed003-bridge", Seed003BridgeStack],
  ];
  test.each(examples)("%s synthesizes to valid Terraform; its specs are pinned", (id, Stack) => {
    const stack = new Stack(Testing.app(), id);
    expect(stack.objectSpecs).toMatchSnapshot();
    expect(Testing.fullSynth(stack)).toBeValidTerraform();
  });
});
