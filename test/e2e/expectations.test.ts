// End to end, issue 11 item 3: declared expectations checked with real traffic by
// `nslab test` (lab-stack's own: ping both ways, by name, TCP to the web server, the
// published port from outside, nothing unpublished), failing when the lab is broken out of
// band; --all-pairs; and a stack that tests itself at the end of every deploy.
import { readdirSync } from "node:fs";
import { must, ok, requireRoot } from "../helpers/cmd";
import { e2eSandbox } from "../helpers/e2e";
import { hostState, inNs } from "../helpers/sandbox";

requireRoot("e2e");
jest.setTimeout(300_000);

const { host, project } = e2eSandbox(["ns01", "ns02", "ex-a1", "ex-a2", "ex-b1"]);
const probeLeft = () => readdirSync("/run/netns").filter((n) => n.startsWith("nlt-"));
const hostLinks = () =>
  (JSON.parse(ok(inNs(host, ["ip", "-j", "link", "show"]))) as { ifname: string }[]).map((l) => l.ifname);

test("nslab test checks lab-stack's expectations; a broken published port fails it; --all-pairs pings every pair", () => {
  const before = hostState(host);
  must(project.cdktf(["deploy", "lab-stack", "--auto-approve"], host), "cdktf deploy");
  const passed = must(project.nslab(["test", "lab-stack"], host), "nslab test");
  expect(passed).toMatch(/^EXPECTATION +FROM +TO +CHECK +WANT +GOT +RESULT\n/);
  expect(passed).toMatch(
    /lab-stack\/OutsideReachesWeb +outside +host:8080\/tcp .* tcp\/8080 +reachable +reachable \(connected\) +pass/,
  );
  expect(passed).toMatch(
    /lab-stack\/NothingUnpublished +outside +host +tcp\/8081 +unreachable +unreachable \(refused\) +pass/,
  );
  expect(passed).toMatch(/\n6 of 6 hold\n$/);
  // the outside client existed only for the run
  expect(probeLeft()).toEqual([]);
  expect(hostLinks().filter((l) => l.startsWith("nlt-"))).toEqual([]);

  const pairs = must(project.nslab(["test", "lab-stack", "--all-pairs"], host), "nslab test --all-pairs");
  expect(pairs).toMatch(/all pairs +ns01 +ns02 \(192\.168\.88\.12\) +ping .* pass/);
  expect(pairs).toMatch(/all pairs +ns02 +ns01 \(192\.168\.88\.11\) +ping .* pass/);
  expect(pairs).toMatch(/\n8 of 8 hold\n\nREACHABILITY .*\nFROM \\ TO +ns01 +ns02\nns01 +- +yes\nns02 +yes +-\n$/);

  // broken out of band: the published port's DNAT rule is gone
  ok(inNs(host, ["iptables", "-w", "-t", "nat", "-F", "NSLAB-DNAT-br01"]));
  const failed = project.nslab(["test", "lab-stack", "--json"], host);
  expect(failed.code).toBe(1);
  const outcomes = JSON.parse(failed.stdout).outcomes as { name: string; want: boolean; got: boolean }[];
  expect(outcomes.filter((o) => o.want !== o.got).map((o) => o.name)).toEqual(["lab-stack/OutsideReachesWeb"]);
  const table = project.nslab(["test", "lab-stack"], host);
  expect(table.code).toBe(1);
  expect(table.stdout).toMatch(/lab-stack\/OutsideReachesWeb .* reachable +unreachable \(\w.*\) +FAIL/);
  expect(table.stdout).toMatch(/\n5 of 6 hold, 1 failed\n$/);
  must(project.nslab(["repair", "lab-stack"], host), "nslab repair");
  must(project.nslab(["test", "lab-stack"], host), "nslab test after repair");

  must(project.cdktf(["destroy", "lab-stack", "--auto-approve"], host), "cdktf destroy");
  expect(hostState(host)).toEqual(before);
  expect(probeLeft()).toEqual([]);
});

// the plainest server a user writes: greets, closes, no error handler (a reset kills it)
const GREETER = 'require("net").createServer((s) => s.end("hi\\n")).listen(80)';
const UDP_ECHO = `const s = require("dgram").createSocket("udp4"); s.on("message", (m, r) => s.send(m, r.port, r.address)); s.bind(53)`;
const selfTesting = (extra: string) => `import { App } from "cdktf";
import { Check, ContainerNetwork, Expectation, LabStack, Vantage } from "./constructs";
const app = new App();
const stack = new LabStack(app, "lab-stack", { testOnDeploy: true });
const a = new ContainerNetwork(stack, "A", { subnet: "10.250.70.0/24", bridgeName: "exa" });
const b = new ContainerNetwork(stack, "B", { subnet: "10.250.71.0/24", bridgeName: "exb" });
const a1 = a.addEndpoint("A1", { netns: "ex-a1" });
const a2 = a.addEndpoint("A2", { netns: "ex-a2" });
const b1 = b.addEndpoint("B1", { netns: "ex-b1" });
a2.run("Echo", { command: ["node", "-e", ${JSON.stringify(UDP_ECHO)}] });
a1.run("Greeter", { command: ["node", "-e", ${JSON.stringify(GREETER)}] });
new Expectation(stack, "A2GreetedByA1", { from: a2, to: a1, check: Check.tcp(80) });
new Expectation(stack, "A1PingsA2", { from: a1, to: a2 });
new Expectation(stack, "A1EchoesOnA2ByName", { from: a1, to: "ex-a2", check: Check.udp(53) });
new Expectation(stack, "HostPingsB1", { from: Vantage.HOST, to: b1 });
new Expectation(stack, "A1NotB1", { from: a1, to: b1, reachable: false });
${extra}
app.synth();
`;

test("testOnDeploy: every deploy ends with the checks, and fails when one does not hold", () => {
  const before = hostState(host);
  project.useMain(selfTesting(""));
  const ok1 = must(project.cdktf(["deploy", "lab-stack", "--auto-approve"], host), "cdktf deploy (all hold)");
  expect(ok1).toMatch(/A1EchoesOnA2ByName +ex-a1 +ex-a2 +udp\/53 +reachable +reachable \(answered\) +pass/);
  expect(ok1).toMatch(/5 of 5 hold/);
  // checks do not disturb what they check: the greeter outlives every probe (issue 19 item 2)
  for (let i = 0; i < 5; i++)
    expect(must(project.nslab(["test", "lab-stack"], host), `nslab test, run ${i + 1}`)).toMatch(/5 of 5 hold/);
  expect(must(project.nslab(["verify", "lab-stack"], host), "nslab verify")).toMatch(/objects match the kernel/);

  // an expectation the lab cannot meet: two networks are isolated
  project.useMain(selfTesting('new Expectation(stack, "A1ReachesB1", { from: a1, to: b1 });'));
  const bad = project.cdktf(["deploy", "lab-stack", "--auto-approve"], host);
  expect(bad.code).not.toBe(0);
  expect(bad.stdout + bad.stderr).toMatch(
    /lab-stack\/A1ReachesB1 +ex-a1 +ex-b1 \(10\.250\.71\.2\) +ping +reachable +unreachable .* FAIL/,
  );
  expect(bad.stdout + bad.stderr).toMatch(/5 of 6 hold, 1 failed/);

  // the lab itself was built; the next deploy with a true expectation passes
  project.useMain(selfTesting(""));
  expect(must(project.cdktf(["deploy", "lab-stack", "--auto-approve"], host), "cdktf deploy (fixed)")).toMatch(
    /5 of 5 hold/,
  );
  must(project.cdktf(["destroy", "lab-stack", "--auto-approve"], host), "cdktf destroy");
  expect(hostState(host)).toEqual(before);
});
