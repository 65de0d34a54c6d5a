// End to end, batched mode (LabStack execution: Execution.BATCHED): a representative
// subset of the behaviour suite. lab-stack with real traffic, a construct deleted from
// the code (seen by `nslab diff` first), a converge killed half-way, two stacks at once,
// a lab an older nslab deployed with a resource per object. Real cdktf and Terraform in
// a sandbox host.
import { existsSync, readFileSync } from "node:fs";
import { must, requireRoot } from "../helpers/cmd";
import { e2eSandbox } from "../helpers/e2e";
import { twoStacksMain } from "../helpers/lab-shape";
import { EXT_ADDR, HOST_ADDR, hostState } from "../helpers/sandbox";
import { http, ping } from "../helpers/traffic";

requireRoot("e2e");
jest.setTimeout(600_000);

const { host, ext, project } = e2eSandbox(["ns01", "ns02", "bt-s1", "bt-s2"]);

/** main.ts: lab-stack in batched mode, with or without ns02 (its construct deleted from the code). */
const labStack = (withNs02: boolean) => `import { App } from "cdktf";
import { ContainerNetwork, Execution, LabStack, Protocol } from "./constructs";
const app = new App();
const stack = new LabStack(app, "lab-stack", { execution: Execution.BATCHED });
const net = new ContainerNetwork(stack, "Br01", { bridgeName: "br01", subnet: "192.168.88.0/24" });
const ns01 = net.addEndpoint("Ns01", { netns: "ns01", address: "192.168.88.11" });
${withNs02 ? 'net.addEndpoint("Ns02", { netns: "ns02", address: "192.168.88.12" });' : ""}
ns01.publish("Web", { hostPort: 8080, containerPort: 80, protocol: Protocol.TCP });
ns01.run("Server", { name: "bt-web", command: ["node", "-e", 'require("http").createServer((q, s) => s.end("batched " + q.socket.remoteAddress)).listen(80, "0.0.0.0")'] });
app.synth();
`;
const deploy = (env: Record<string, string> = {}) =>
  project.cdktf(["deploy", "lab-stack", "--auto-approve"], host, env);
// eslint-disable-next-line no-control-regex -- cdktf colours Terraform's output: ANSI escapes out
const plain = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, "");
const destroy = () => must(project.cdktf(["destroy", "lab-stack", "--auto-approve"], host), "cdktf destroy");
/** Terraform's state, addresses without their hash. */
const stateList = () =>
  must(project.terraform(["state", "list"], host), "terraform state list")
    .trim()
    .split("\n")
    .map((a) => a.replace(/_[0-9A-F]+$/, ""))
    .sort();
const verifyClean = () =>
  expect(must(project.nslab(["verify", "lab-stack"], host), "nslab verify")).toMatch(/objects match the kernel/);

test("lab-stack deploys in one converge, carries traffic, and a construct deleted from the code is removed", () => {
  const pristine = hostState(host);
  project.useMain(labStack(true));
  const out = plain(must(deploy(), "cdktf deploy"));
  // the objects are made by nslab-apply's converge (its runner's lines): no resource of their own
  expect(out).toMatch(/nslab-apply_\w+ \(local-exec\): netops bridge br01: create bridge br01/);
  expect(out).toMatch(/this machine: made 6\n/);
  expect(stateList()).toEqual(["terraform_data.nslab-apply", "terraform_data.nslab-owner"]);
  expect(ping("ns01", "192.168.88.12")).toBe(true);
  expect(http(ext, `http://${HOST_ADDR}:8080/`)).toBe(`batched ${EXT_ADDR}`);
  verifyClean();
  const same = project.nslab(["diff", "lab-stack"], host);
  expect([same.code, same.stdout]).toEqual([0, expect.stringMatching(/lab-stack: no change/)]);

  project.useMain(labStack(false));
  // what the apply will do, object by object, though no object has a resource
  const diff = project.nslab(["diff", "lab-stack"], host);
  expect(diff.code).toBe(2);
  expect(diff.stdout).toMatch(/lab-stack: 2 objects to change\n {2}- +endpoint ns02 +\n {2}-\/\+ names +lab-stack\n/);
  const gone = must(project.nslab(["deploy", "lab-stack"], host), "nslab deploy without ns02");
  expect(gone).toMatch(/endpoint ns02: no longer declared by stack lab-stack: removing/);
  expect(gone).toMatch(
    /deployed in .*: 1 replaced, 1 destroyed\n {2}this machine: rebuilt 1: names; removed 1: endpoint ns02\n/,
  );
  expect(existsSync("/run/netns/ns02")).toBe(false);
  expect(http(ext, `http://${HOST_ADDR}:8080/`)).toBe(`batched ${EXT_ADDR}`);
  verifyClean();
  destroy();
  expect(hostState(host)).toEqual(pristine);
  expect(existsSync(`/run/nslab/${host}`)).toBe(false);
});

test.each([1, 3])(
  "a converge killed after command %i: the next deploy finishes the lab; destroy leaves nothing",
  (k) => {
    project.cdktf(["destroy", "lab-stack", "--auto-approve"], host); // whatever an earlier test left
    const pristine = hostState(host);
    project.useMain(labStack(true));
    expect(deploy({ NSLAB_KILL_AFTER_STEP: String(k) }).code).not.toBe(0);
    must(deploy(), "deploy after the kill");
    verifyClean();
    expect(ping("ns02", "192.168.88.11")).toBe(true);
    destroy();
    expect(hostState(host)).toEqual(pristine);
  },
);

test("two batched stacks deployed and destroyed at once", () => {
  const pristine = hostState(host);
  project.useMain(twoStacksMain("bt", 50, 9200, "batched"));
  must(project.cdktf(["deploy", "stack-a", "stack-b", "--auto-approve"], host), "cdktf deploy stack-a stack-b");
  for (const s of ["stack-a", "stack-b"])
    expect(must(project.nslab(["verify", s], host), `nslab verify ${s}`)).toMatch(/objects match the kernel/);
  expect(ping("bt-s1", "10.250.51.1")).toBe(true);
  expect(ping("bt-s2", "10.250.52.1")).toBe(true);
  must(project.cdktf(["destroy", "stack-a", "stack-b", "--auto-approve"], host), "cdktf destroy stack-a stack-b");
  expect(hostState(host)).toEqual(pristine);
});

/** The last commit whose batched stacks had a tracking resource per object. */
const RESOURCE_PER_OBJECT = "71478b7cec7fcc77ac484fe656ccef5d6321e001";

test("a batched lab an older nslab deployed (a resource per object) upgrades with nothing rebuilt", () => {
  project.cdktf(["destroy", "lab-stack", "--auto-approve"], host); // whatever an earlier test left
  const pristine = hostState(host);
  project.useMain(labStack(true));
  project.useVersion(RESOURCE_PER_OBJECT);
  try {
    must(deploy(), "cdktf deploy with the older nslab");
    expect(stateList().length).toBeGreaterThan(6); // the owner, the apply, the converge and a resource per object
  } finally {
    project.useVersion();
  }
  const pid = readFileSync(`/run/nslab/${host}/lab-stack/workload-bt-web.pid`, "utf8");
  const diff = project.nslab(["diff", "lab-stack"], host);
  expect([diff.code, diff.stdout]).toEqual([0, expect.stringMatching(/lab-stack: no change/)]);
  const up = must(project.nslab(["deploy", "lab-stack"], host), "nslab deploy with this nslab");
  // the tracking resources leave the state, nothing on the kernel: no object counted or shown
  expect(up).toMatch(/deployed in .*: no object changed\n {2}this machine: all 6 objects as declared\n/);
  expect(up).not.toMatch(/terraform_data\.|rebuilding|removing/);
  expect(stateList()).toEqual(["terraform_data.nslab-apply", "terraform_data.nslab-owner"]);
  expect(readFileSync(`/run/nslab/${host}/lab-stack/workload-bt-web.pid`, "utf8")).toBe(pid);
  expect(http(ext, `http://${HOST_ADDR}:8080/`)).toBe(`batched ${EXT_ADDR}`);
  const down = must(project.nslab(["destroy", "lab-stack"], host), "nslab destroy");
  expect(down).toMatch(/destroyed in .*: 6 destroyed\n {2}this machine: removed 6: /);
  expect(hostState(host)).toEqual(pristine);
});
