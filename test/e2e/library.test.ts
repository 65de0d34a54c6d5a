// End to end, issue 21: nslab as a library in a project of the user's own. This repository
// is packed (npm pack); an empty folder becomes a cdktf TypeScript project (its own
// package.json, cdktf.json and main.ts) that installs the tarball and cdktf-cli, and
// writes a two-endpoint lab importing from "nslab". `npx cdktf deploy` builds it, traffic
// flows (ping, a published port), `npx nslab test` and `inspect` work there, and
// `npx cdktf destroy` leaves the host as it was.
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cmd, must, ok, requireRoot, type Out } from "../helpers/cmd";
import { addHost, delNs, hostState, inNs, uniq } from "../helpers/sandbox";

requireRoot("e2e");
jest.setTimeout(600_000);

const ROOT = join(__dirname, "..", "..");
const dir = mkdtempSync(join(tmpdir(), "nslab-library-"));
const project = join(dir, "my-lab");
const host = uniq("nll");
const NAMESPACES = ["lib-web", "lib-client"];

const PACKAGE = (tarball: string) => ({
  name: "my-lab",
  private: true,
  dependencies: { cdktf: "0.21.0", constructs: "10.4.2", nslab: `file:${tarball}` },
  devDependencies: { "cdktf-cli": "0.21.0", tsx: "4.20.6" },
});
const CDKTF = { language: "typescript", app: "npx tsx main.ts", projectId: "my-lab", sendCrashReports: "false" };
const MAIN = `import { App } from "cdktf";
import { Check, ContainerNetwork, Expectation, LabStack, Protocol } from "nslab";

const app = new App();
const stack = new LabStack(app, "my-lab");
const net = new ContainerNetwork(stack, "Net", { subnet: "10.78.0.0/24" });
const web = net.addEndpoint("Web", { netns: "lib-web" });
const client = net.addEndpoint("Client", { netns: "lib-client" });
web.publish("Http", { hostPort: 8080, containerPort: 80, protocol: Protocol.TCP });
web.run("Server", { command: ["node", "-e", "require('http').createServer((q, s) => s.end('hello\\\\n')).listen(80)"] });
new Expectation(stack, "ClientReachesWeb", { from: client, to: web, check: Check.tcp(80) });
app.synth();
`;

/** A command in the user's project, as they would type it, with the sandbox host for the lab. */
const npx = (args: string[]): Out =>
  cmd(["npx", ...args], { cwd: project, env: { ...process.env, CI: "true", NSLAB_HOST_NETNS: host } });

beforeAll(() => {
  for (const ns of NAMESPACES)
    if (existsSync(`/run/netns/${ns}`)) throw new Error(`namespace ${ns} already exists; remove it first`);
  addHost(host);
  // the package as the registry would hand it out, and a project that knows nothing else
  ok(["npm", "pack", "--ignore-scripts", "--pack-destination", dir], { cwd: ROOT });
  const tarball = join(
    dir,
    readdirSync(dir).find((f) => f.endsWith(".tgz"))!,
  );
  ok(["mkdir", project]);
  writeFileSync(join(project, "package.json"), JSON.stringify(PACKAGE(tarball), null, 2));
  writeFileSync(join(project, "cdktf.json"), JSON.stringify(CDKTF, null, 2));
  writeFileSync(join(project, "main.ts"), MAIN);
  must(cmd(["npm", "install", "--prefer-offline", "--no-audit", "--no-fund"], { cwd: project }), "npm install");
});

afterAll(() => {
  npx(["cdktf", "destroy", "my-lab", "--auto-approve"]);
  delNs(...NAMESPACES, host);
  rmSync(`/run/nslab/${host}`, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
});

test("a lab in the user's own project, from the packed library: deployed, reached, tested, inspected, destroyed (by cdktf, then by nslab)", async () => {
  const before = hostState(host);
  must(npx(["cdktf", "deploy", "my-lab", "--auto-approve"]), "npx cdktf deploy");

  ok(inNs("lib-client", ["ping", "-c", "2", "-i", "0.2", "-W", "2", "10.78.0.2"]));
  // the server is the user's own: it answers once node has started it
  const curl = () => cmd(inNs(host, ["curl", "-s", "--max-time", "2", "http://10.78.0.1:8080/"])).stdout;
  for (let i = 0; i < 50 && curl() !== "hello\n"; i++) await new Promise((r) => setTimeout(r, 200));
  expect(curl()).toBe("hello\n");

  expect(must(npx(["nslab", "test", "my-lab"]), "npx nslab test")).toMatch(/1 of 1 hold/);
  expect(must(npx(["nslab", "inspect", "my-lab"]), "npx nslab inspect")).toMatch(/6 objects, all as declared/);

  must(npx(["cdktf", "destroy", "my-lab", "--auto-approve"]), "npx cdktf destroy");
  expect(hostState(host)).toEqual(before);
  for (const ns of NAMESPACES) expect(cmd(["ip", "netns", "list"]).stdout).not.toContain(ns);

  // the installed CLI's own deploy: the user's app (npx tsx main.ts), Terraform directly
  expect(must(npx(["nslab", "deploy", "my-lab"]), "npx nslab deploy")).toMatch(/my-lab: deployed in .*: 6 created/);
  ok(inNs("lib-client", ["ping", "-c", "2", "-i", "0.2", "-W", "2", "10.78.0.2"]));
  expect(must(npx(["nslab", "diff"]), "npx nslab diff")).toMatch(/my-lab: no change/); // the only stack
  must(npx(["nslab", "destroy", "my-lab"]), "npx nslab destroy");
  expect(hostState(host)).toEqual(before);
});
