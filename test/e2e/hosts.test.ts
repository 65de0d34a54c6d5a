// End to end, issue 13 (objects on another machine; networks across machines are in
// two-hosts.test.ts). cdktf runs in a controller namespace; a Host is a simulated machine
// (helpers/hosts.ts) reached by ssh. Its sandboxes, link and workload are made there by
// their own provisioners, verify reaches them there, destroy leaves the machine as it
// was; a host that cannot be reached fails the deploy naming it, and a later deploy finishes
// (the deploy a Host's deletion starts from: one deploy less).
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { cmd, must, ok, requireRoot, type Out } from "../helpers/cmd";
import { simHosts, type SimHosts } from "../helpers/hosts";
import { projectCopy } from "../helpers/project";
import { hostState, inNs, uniq } from "../helpers/sandbox";
import { http } from "../helpers/traffic";

requireRoot("e2e");
jest.setTimeout(300_000);

const ROOT = join(__dirname, "..", "..");
const project = projectCopy();
let sim: SimHosts;
beforeAll(() => {
  sim = simHosts(uniq("nlm"), 2);
});
afterAll(() => {
  if (sim) run(["destroy", "lab-stack", "--auto-approve"], sim.hosts[0].address);
  sim?.remove();
  project.remove();
});

const main = `import { App } from "cdktf";
import { Host, LabStack, Sandbox, VethLink, Workload } from "./constructs";
const app = new App();
const stack = new LabStack(app, "lab-stack");
const b = new Host(stack, "hostb", {
  address: process.env.MH_ADDRESS!,
  identityFile: process.env.MH_KEY,
  knownHostsFile: process.env.MH_KNOWN,
});
const s1 = new Sandbox(stack, "S1", { netns: "mh-1", host: b });
const s2 = new Sandbox(stack, "S2", { netns: "mh-2", host: b });
new VethLink(stack, "L", {
  a: { sandbox: s1, interfaceName: "l0", address: "10.77.0.1/24" },
  b: { sandbox: s2, interfaceName: "l0", address: "10.77.0.2/24" },
});
// 20 ms each way: a delay line on that machine, its relay run there by its copy of the runner
new VethLink(stack, "D", {
  a: { sandbox: s1, interfaceName: "d0", address: "10.78.0.1/24" },
  b: { sandbox: s2, interfaceName: "d0", address: "10.78.0.2/24" },
  impairment: { delayMs: 20 },
});
new Workload(stack, "W", { name: "mh-sleeper", sandbox: s2, command: ["sleep", "600"] });
app.synth();
`;

const CDKTF = join(ROOT, "node_modules", ".bin", "cdktf");
/**
 * cdktf, or the nslab CLI, run in the controller namespace: where Terraform runs. Lab
 * objects of this machine (there are some only when `here` is set) are made in the
 * controller namespace too, as its sandbox host.
 */
function run(args: string[], address: string, bin = CDKTF, here = false, env: Record<string, string> = {}): Out {
  return cmd(["nsenter", `--net=/run/netns/${sim.controller}`, "--", bin, ...args], {
    cwd: project.dir,
    env: { ...envFor(address, here), ...env },
  });
}
const envFor = (address: string, here = false) => ({
  ...process.env,
  CI: "true",
  NSLAB_HOST_NETNS: here ? sim.controller : "",
  MH_HERE: "10.199.0.1", // the controller's address on the underlay
  MH_ADDRESS: address,
  MH_KEY: sim.keyFile,
  MH_KNOWN: join(sim.keyFile, "..", "known_hosts"),
});
const nslab = (args: string[], address: string, here = false, env: Record<string, string> = {}) =>
  run(args, address, join(project.dir, "bin", "nslab.js"), here, env);
const on = (i: number, argv: string[]) => sim.ssh(sim.hosts[i], argv).stdout;
/** The process has ended: gone, or a zombie its new parent has not reaped yet (the machines share the process table). */
const ended = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.startsWith("Z") ?? true;
  } catch {
    return true;
  }
};

test("a Host's sandboxes, link and workload are made there, verified there, and gone after destroy", async () => {
  project.useMain(main);
  const b = sim.hosts[0];
  must(run(["deploy", "lab-stack", "--auto-approve"], b.address), "cdktf deploy");
  expect(on(0, ["ip", "netns", "list"])).toContain("mh-1");
  expect(on(0, ["ip", "netns", "list"])).toContain("mh-2");
  expect(on(1, ["ip", "netns", "list"])).not.toContain("mh-");
  expect(cmd(["ip", "netns", "list"]).stdout).not.toContain("mh-");
  // the link works there, and the workload runs there
  expect(sim.ssh(b, ["ip", "netns", "exec", "mh-1", "ping", "-c", "1", "-W", "2", "10.77.0.2"]).code).toBe(0);
  // the delayed link: round trips of 40 ms or more
  const rtt = sim.ssh(b, ["ip", "netns", "exec", "mh-1", "ping", "-c", "3", "-i", "0.2", "-W", "2", "10.78.0.2"]);
  expect(rtt.code).toBe(0);
  const min = Number(/= ([\d.]+)\//.exec(rtt.stdout)?.[1]);
  expect(min).toBeGreaterThanOrEqual(40);
  const pidLine = on(0, ["sh", "-c", "'cat /run/nslab/*/lab-stack/workload-mh-sleeper.pid'"]);
  expect(pidLine).toMatch(/^\d+ /);
  const pid = Number(pidLine.split(" ")[0]); // simulated machines share the process table
  expect(must(nslab(["verify", "lab-stack"], b.address), "nslab verify")).toMatch(/match/);
  // cut out of band there: verify, run here, sees it there
  sim.ssh(b, ["ip", "-n", "mh-1", "link", "del", "l0"]);
  const drift = nslab(["verify", "lab-stack"], b.address);
  expect(drift.code).toBe(1);
  expect(drift.stdout).toMatch(/link mh-1\/l0 <-> mh-2\/l0: missing: mh-1\/l0/);
  // and repair, run here, puts it back there
  must(nslab(["repair", "lab-stack"], b.address), "nslab repair");
  expect(sim.ssh(b, ["ip", "netns", "exec", "mh-1", "ping", "-c", "1", "-W", "2", "10.77.0.2"]).code).toBe(0);

  // exec and capture, run here, happen there (issue 23): exit codes through, the packets back over ssh
  expect(
    must(nslab(["exec", "lab-stack", "mh-1", "--", "ping", "-c1", "-W2", "10.77.0.2"], b.address), "exec"),
  ).toMatch(/1 received/);
  expect(nslab(["exec", "lab-stack", "mh-2@hostb", "--", "sh", "-c", "exit 5"], b.address).code).toBe(5);
  expect(nslab(["exec", "lab-stack", "mh-9", "--", "true"], b.address).stderr).toMatch(
    /mh-9 is no namespace of this lab; these are: host, host@hostb, mh-1@hostb, mh-2@hostb/,
  );
  // a shell there, on a terminal (script(1) gives one): ssh -t, so the shell there is interactive
  const shell = cmd(
    [
      "script",
      "-qec",
      `nsenter --net=/run/netns/${sim.controller} -- node ${join(project.dir, "bin", "nslab.js")} shell lab-stack mh-1`,
      "/dev/null",
    ],
    { cwd: project.dir, env: envFor(b.address), input: "ip -o link show l0 | wc -l; exit 4\n" },
  );
  expect(shell.stdout).toMatch(/a shell in mh-1@hostb on host hostb/);
  expect(shell.stdout).toMatch(/^1\r?$/m);
  expect(shell.code).toBe(4);
  const pcap = join(project.dir, "there.pcap");
  const capture = spawn(
    "nsenter",
    [
      `--net=/run/netns/${sim.controller}`,
      "--",
      "node",
      join(project.dir, "bin", "nslab.js"),
      ...["capture", "lab-stack", "mh-2:l0", "--write", pcap, "--", "icmp"],
    ],
    { cwd: project.dir, env: envFor(b.address), stdio: ["ignore", "ignore", "pipe"] },
  );
  let said = "";
  const listening = new Promise<void>((done) =>
    capture.stderr.on("data", (d: Buffer) => (said += d.toString()) && /listening on/.test(said) && done()),
  );
  const exited = new Promise<number | null>((done) => capture.on("close", done));
  await listening;
  expect(sim.ssh(b, ["ip", "netns", "exec", "mh-1", "ping", "-c", "2", "-i", "0.2", "-W", "2", "10.77.0.2"]).code).toBe(
    0,
  );
  // Ctrl-C here: tcpdump there ends as on Ctrl-C, what it captured arrives, the file complete
  capture.kill("SIGINT");
  expect(await exited).toBe(0);
  const read = cmd(["tcpdump", "-n", "-r", pcap]);
  expect(read.code).toBe(0);
  expect(read.stdout).toMatch(/10\.77\.0\.1 > 10\.77\.0\.2: ICMP echo request/);
  expect(read.stdout).toMatch(/10\.77\.0\.2 > 10\.77\.0\.1: ICMP echo reply/);
  // a run-time change of a Host's link, run here, happens there (its runner's lines print here)
  expect(must(nslab(["link", "lab-stack", "mh-1:l0", "down"], b.address), "nslab link down")).toMatch(
    /run time: mh-1\/l0 down/,
  );
  expect(sim.ssh(b, ["ip", "netns", "exec", "mh-1", "ping", "-c", "1", "-W", "1", "10.77.0.2"]).code).not.toBe(0);
  must(nslab(["link", "lab-stack", "mh-1:l0", "up"], b.address), "nslab link up");
  expect(sim.ssh(b, ["ip", "netns", "exec", "mh-1", "ping", "-c", "1", "-W", "2", "10.77.0.2"]).code).toBe(0);
  // the live page, served here, shows that machine's objects with their state and traffic
  const ui = spawn(
    "nsenter",
    [`--net=/run/netns/${sim.controller}`, "--", "node", join(project.dir, "bin", "nslab.js"), "ui", "lab-stack"],
    { cwd: project.dir, env: envFor(b.address), stdio: ["ignore", "pipe", "inherit"] },
  );
  const uiExited = new Promise((done) => ui.on("close", done));
  const url = await new Promise<string>((done) =>
    ui.stdout.on("data", (d: Buffer) => {
      const m = /http:\/\/\S+/.exec(d.toString());
      if (m) done(m[0]);
    }),
  );
  // the page listens in the controller's namespace, where its 127.0.0.1 is
  const parts = () =>
    JSON.parse(
      must(
        cmd(["nsenter", `--net=/run/netns/${sim.controller}`, "--", "curl", "-sf", url.replace("/?", "/parts?")]),
        "GET /parts",
      ),
    ) as { rows: { id: string; cls: string }[]; html: { picture: string } };
  let rows = parts().rows;
  for (let i = 0; i < 30 && !rows.length; i++) rows = (await new Promise((r) => setTimeout(r, 200)), parts().rows);
  expect(rows).toEqual(
    expect.arrayContaining([
      { id: "row_link_mh_1_l0_hostb", cls: "ok", state: "as declared", traffic: expect.any(String) },
    ]),
  );
  expect(parts().html.picture).toContain("host hostb");
  ui.kill("SIGINT");
  expect(await uiExited).toBe(0);
  // nothing left running there (the simulated machines share this process table)
  expect(cmd(["pgrep", "-f", "tcpdump -i l0 -n"]).stdout).toBe("");

  // constructs deleted from the code: Terraform never runs their destroy provisioners;
  // the sweep reaches the host and removes them there (the workload and the delayed link)
  const relayNs = on(0, ["ip", "netns", "list"]).match(/nld-\w+/)?.[0];
  expect(relayNs).toBeDefined();
  project.useMain(main.replace(/\/\/ 20 ms[\s\S]*?\n}\);\n/, "").replace(/new Workload\(.*\n/, ""));
  // before the deploy, the verbs act on what is deployed (issue 30): the code's synth differs, and they say so
  must(run(["synth"], b.address), "cdktf synth");
  const deployed = nslab(["verify", "lab-stack"], b.address);
  expect(must(deployed, "nslab verify")).toMatch(/match/);
  expect(deployed.stderr).toMatch(/the code's last synth \(cdktf.out\) differs from what is deployed/);
  expect(ended(pid)).toBe(false);
  must(run(["deploy", "lab-stack", "--auto-approve"], b.address), "cdktf deploy (workload and delayed link deleted)");
  expect(ended(pid)).toBe(true);
  expect(on(0, ["ip", "netns", "list"])).not.toContain(relayNs!);
  expect(on(0, ["ip", "-n", "mh-1", "link", "show", "d0"])).toBe("");
  expect(sim.ssh(b, ["ip", "netns", "exec", "mh-1", "ping", "-c", "1", "-W", "2", "10.77.0.2"]).code).toBe(0);

  must(run(["destroy", "lab-stack", "--auto-approve"], b.address), "cdktf destroy");
  expect(on(0, ["ip", "netns", "list"])).toBe(""); // the relay's namespace too
  expect(on(0, ["ip", "-br", "link"])).not.toMatch(/nl[pqxyab]/); // the line's bridges and tunnels
  expect(on(0, ["sh", "-c", "'ls -A /run/nslab/*/ 2>/dev/null'"])).toBe("");
  expect(ended(pid)).toBe(true);
});

test("a host that cannot be reached fails the deploy naming it, nothing made, and a later deploy finishes; a Host deleted from the code together with its objects: the next deploy leaves that machine as it was", () => {
  const b = sim.hosts[0];
  const state = () => ({
    netns: on(0, ["ip", "netns", "list"]),
    links: on(0, ["ip", "-br", "link"]),
    nft: on(0, ["nft", "list", "tables"]),
    files: on(0, ["sh", "-c", "'ls -AR /run/nslab /var/lib /etc/netns'"]),
  });
  const before = state();
  project.useMain(main);
  const bad = run(["deploy", "lab-stack", "--auto-approve"], "10.199.0.99");
  expect(bad.code).not.toBe(0);
  expect(bad.stdout + bad.stderr).toMatch(/host hostb \(root@10\.199\.0\.99:22\)/);
  expect(on(0, ["ip", "netns", "list"])).not.toContain("mh-");
  // the later deploy, with the host reachable, finishes
  must(run(["deploy", "lab-stack", "--auto-approve"], b.address), "cdktf deploy");
  expect(on(0, ["ip", "netns", "list"])).toContain("mh-1");
  const pid = Number(on(0, ["sh", "-c", "'cat /run/nslab/*/lab-stack/workload-mh-sleeper.pid'"]).split(" ")[0]);
  expect(pid).toBeGreaterThan(1);
  expect(state()).not.toEqual(before);
  // the Host and everything on it deleted at once: none of their destroy provisioners
  // runs; the sweep's old instance, which kept the stack's Hosts, clears the machine
  project.useMain(main.replace(/const b = new Host[\s\S]*(?=app\.synth)/, ""));
  // while the machine cannot be reached, the deploy stops and says what is left where
  ok(inNs(sim.controller, ["ip", "link", "set", "ul", "down"]));
  const cut = run(["deploy", "lab-stack", "--auto-approve"], b.address);
  ok(inNs(sim.controller, ["ip", "link", "set", "ul", "up"]));
  expect(cut.code).not.toBe(0);
  expect(cut.stdout + cut.stderr).toMatch(
    /stack lab-stack still has objects on host hostb \(root@10\.199\.0\.2:22\), which the code no longer has[\s\S]*terraform state rm terraform_data\.nslab-sweep_\w+/,
  );
  expect(ended(pid)).toBe(false);
  const out = must(run(["deploy", "lab-stack", "--auto-approve"], b.address), "cdktf deploy (Host deleted)");
  expect(out).toMatch(/host hostb \(root@10\.199\.0\.2:22\) is no longer in the code/);
  expect(ended(pid)).toBe(true);
  expect(state()).toEqual(before); // the runner copy and its folder too
  // and the stack goes on without it
  must(run(["deploy", "lab-stack", "--auto-approve"], b.address), "cdktf deploy (again, nothing to do)");
  must(run(["destroy", "lab-stack", "--auto-approve"], b.address), "cdktf destroy");
  expect(state()).toEqual(before);
});

test("a batched stack with a Host: the one converge makes its objects there, repair puts them right there, a Host deleted from the code is cleared, destroy leaves it as it was", () => {
  const b = sim.hosts[0];
  const state = () => ({
    netns: on(0, ["ip", "netns", "list"]),
    links: on(0, ["ip", "-br", "link"]),
    files: on(0, ["sh", "-c", "'ls -AR /run/nslab /var/lib /etc/netns'"]),
  });
  const before = state();
  const batched = main
    .replace("import { Host, LabStack,", "import { Execution, Host, LabStack,")
    .replace('new LabStack(app, "lab-stack")', 'new LabStack(app, "lab-stack", { execution: Execution.BATCHED })');
  project.useMain(batched);
  must(run(["deploy", "lab-stack", "--auto-approve"], b.address), "cdktf deploy (batched)");
  expect(sim.ssh(b, ["ip", "netns", "exec", "mh-1", "ping", "-c", "1", "-W", "2", "10.77.0.2"]).code).toBe(0);
  const pid = Number(on(0, ["sh", "-c", "'cat /run/nslab/*/lab-stack/workload-mh-sleeper.pid'"]).split(" ")[0]);
  expect(pid).toBeGreaterThan(1);
  sim.ssh(b, ["ip", "-n", "mh-1", "link", "del", "l0"]);
  expect(nslab(["verify", "lab-stack"], b.address).stdout).toMatch(/missing: mh-1\/l0/);
  must(nslab(["repair", "lab-stack"], b.address), "nslab repair");
  expect(sim.ssh(b, ["ip", "netns", "exec", "mh-1", "ping", "-c", "1", "-W", "2", "10.77.0.2"]).code).toBe(0);
  // the Host keeps the record of its own part, and its own boot unit (issue 30): in its
  // private /var/lib, where NSLAB_SYSTEMD_DIR points every machine for the test
  expect(JSON.parse(on(0, ["cat", "/var/lib/nslab/labs/_host/lab-stack/record.json"]))).toMatchObject({
    stack: "lab-stack",
    state: "deployed",
  });
  const units = { NSLAB_SYSTEMD_DIR: "/var/lib/nslab/units-test" };
  must(nslab(["boot", "enable", "lab-stack"], b.address, false, units), "nslab boot enable");
  expect(on(0, ["sh", "-c", "'grep -h ^ExecStart= /var/lib/nslab/units-test/*.service'"])).toMatch(
    /^ExecStart=\/\S+\/node \/var\/lib\/nslab\/labs\/_host\/lab-stack\/netops.cjs restore \/var\/lib\/nslab\/labs\/_host\/lab-stack\n$/,
  );
  must(nslab(["boot", "disable", "lab-stack"], b.address, false, units), "nslab boot disable");
  expect(on(0, ["find", "/var/lib/nslab/units-test", "-type", "f,l"])).toBe("");
  on(0, ["rm", "-r", "/var/lib/nslab/units-test"]);
  // the Host deleted with its objects: the apply's old instance, which kept the Hosts, clears it
  project.useMain(batched.replace(/const b = new Host[\s\S]*(?=app\.synth)/, ""));
  must(run(["deploy", "lab-stack", "--auto-approve"], b.address), "cdktf deploy (batched, Host deleted)");
  expect(ended(pid)).toBe(true);
  expect(state()).toEqual(before);
  project.useMain(batched);
  must(run(["deploy", "lab-stack", "--auto-approve"], b.address), "cdktf deploy (batched, Host back)");
  must(run(["destroy", "lab-stack", "--auto-approve"], b.address), "cdktf destroy (batched)");
  expect(state()).toEqual(before);
});

// this machine (the controller namespace, as the stack's sandbox host) and a Host on one
// network: the stack itself listed in its hosts, the stack's tunnelAddress the local end
const SERVER = 'require("http").createServer((q, s) => s.end("b says " + q.socket.remoteAddress)).listen(80)';
const spanning = `import { App } from "cdktf";
import { Check, ContainerNetwork, Expectation, Host, LabStack } from "./constructs";
const app = new App();
const stack = new LabStack(app, "lab-stack", { tunnelAddress: process.env.MH_HERE });
const b = new Host(stack, "hostb", {
  address: process.env.MH_ADDRESS!,
  identityFile: process.env.MH_KEY,
  knownHostsFile: process.env.MH_KNOWN,
});
const span = new ContainerNetwork(stack, "Span", { bridgeName: "br-span", subnet: "10.93.0.0/24", hosts: [stack, b] });
const here = span.addEndpoint("Here", { netns: "mh-here" });
const there = span.addEndpoint("There", { netns: "mh-there", host: b });
there.run("Web", { name: "mh-web", command: ["node", "-e", ${JSON.stringify(SERVER)}] });
new Expectation(stack, "HereReachesThere", { from: here, to: there, check: Check.tcp(80) });
new Expectation(stack, "TherePingsHere", { from: there, to: here });
app.synth();
`;

test("this machine and a Host on one network: joined by the tunnel, both ways; destroy leaves both as they were", () => {
  const b = sim.hosts[0];
  const local = () => hostState(sim.controller); // links, routes, rules of both families, nft tables, namespaces
  const remote = () => ({
    links: on(0, ["ip", "-br", "link"]),
    netns: on(0, ["ip", "netns", "list"]),
    files: on(0, ["sh", "-c", "'ls -AR /run/nslab /var/lib /etc/netns'"]),
  });
  const [hereBefore, thereBefore] = [local(), remote()];
  project.useMain(spanning);
  must(run(["deploy", "lab-stack", "--auto-approve"], b.address, CDKTF, true), "cdktf deploy");
  // the tunnel here ends at the stack's address, and at b's there
  const vx = JSON.parse(
    must(cmd(inNs(sim.controller, ["ip", "-d", "-j", "link", "show", "vx-br-span"])), "vx here"),
  )[0];
  expect(vx.linkinfo.info_data).toMatchObject({ local: "10.199.0.1", port: 4789 });
  expect(on(0, ["ip", "-br", "link", "show", "vx-br-span"])).toContain("vx-br-span");
  const sent = () =>
    JSON.parse(cmd(inNs(sim.controller, ["ip", "-s", "-j", "link", "show", "vx-br-span"])).stdout)[0].stats64.tx
      .packets;
  const before = sent();
  // from here to there, by ping and over TCP (its server sees this endpoint's own address)
  expect(cmd(inNs("mh-here", ["ping", "-c", "2", "-W", "2", "10.93.0.3"])).code).toBe(0);
  expect(http("mh-here", "http://10.93.0.3/")).toMatch(/^b says (::ffff:)?10\.93\.0\.2$/);
  // and from there to here
  expect(sim.ssh(b, ["ip", "netns", "exec", "mh-there", "ping", "-c", "2", "-W", "2", "10.93.0.2"]).code).toBe(0);
  expect(sent() - before).toBeGreaterThanOrEqual(4); // across the tunnel, not some other way
  // each end's own gateway is on its own machine
  expect(cmd(inNs("mh-here", ["ping", "-c", "1", "-W", "2", "10.93.0.1"])).code).toBe(0);
  expect(sim.ssh(b, ["ip", "netns", "exec", "mh-there", "ping", "-c", "1", "-W", "2", "10.93.0.1"]).code).toBe(0);
  // the expectations: one checked here, one on b
  const test = must(nslab(["test", "lab-stack"], b.address, true), "nslab test");
  expect(test).toMatch(/2 of 2 hold/);
  expect(test).toMatch(/mh-there on hostb/);
  expect(must(nslab(["verify", "lab-stack"], b.address, true), "nslab verify")).toMatch(/match/);
  must(run(["destroy", "lab-stack", "--auto-approve"], b.address, CDKTF, true), "cdktf destroy");
  expect(local()).toEqual(hereBefore);
  expect(remote()).toEqual(thereBefore);
});
