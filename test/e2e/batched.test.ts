// End to end, batched mode (LabStack execution: Execution.BATCHED): a representative
// subset of the behaviour suite. lab-stack with real traffic, a construct deleted from
// the code, a converge killed half-way, two stacks at once. Real cdktf in a sandbox host.
import { existsSync } from "node:fs";
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
const verifyClean = () =>
  expect(must(project.nslab(["verify", "lab-stack"], host), "nslab verify")).toMatch(/objects match the kernel/);

test("lab-stack deploys in one converge, carries traffic, and a construct deleted from the code is removed", () => {
  const pristine = hostState(host);
  project.useMain(labStack(true));
  const out = plain(must(deploy(), "cdktf deploy"));
  // the objects are made by nslab-apply's converge (its runner's lines), none by its own
  expect(out).toMatch(/nslab-apply_\w+ \(local-exec\): netops bridge br01: create bridge br01/);
  expect(out).not.toMatch(/Br01_\w+: Provisioning with/);
  expect(ping("ns01", "192.168.88.12")).toBe(true);
  expect(http(ext, `http://${HOST_ADDR}:8080/`)).toBe(`batched ${EXT_ADDR}`);
  verifyClean();

  project.useMain(labStack(false));
  expect(plain(must(deploy(), "deploy without ns02"))).toMatch(
    /endpoint ns02: no longer declared by stack lab-stack: removing/,
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
