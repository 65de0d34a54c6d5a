// End to end, issue 35: Scenarios run by `nslab run` on one deployed lab, with real
// traffic (a plain node web server in a Workload, TCP and ping probes from a neighbour):
// a link flap measured as one outage of about its length, passing a 3 s bound and failing
// a 1 s one by the probe's name; a loss step's lost share; a workload's restart; Ctrl-C in
// the middle of a fault; the SVG and JUnit files read by a real browser's parser, and the
// live page showing the last run's timeline. `verify` is clean after every run.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Browser } from "playwright-core";
import type { ScenarioReport } from "../../model/reports";
import { must, requireRoot } from "../helpers/cmd";
import { e2eSandbox } from "../helpers/e2e";

requireRoot("e2e");
jest.setTimeout(300_000);

const { host, project } = e2eSandbox(["sc-web", "sc-cli"]);
const files = mkdtempSync(join(tmpdir(), "nslab-scenarios-"));

/** The edges of an outage are known to within a probe period; the step's own ~25 ms and a loaded CI machine's scheduling get another 150 ms. */
const EDGE_MS = 100 + 150;

const WEB = `require("http").createServer((q, s) => s.end("hi")).listen(80)`;
const main = `import { App } from "cdktf";
import { Check, ContainerNetwork, Expectation, Fault, LabStack, Scenario } from "./constructs";
const app = new App();
const stack = new LabStack(app, "lab-stack");
const net = new ContainerNetwork(stack, "Net", { bridgeName: "br-sc", subnet: "10.250.70.0/24" });
const web = net.addEndpoint("Web", { netns: "sc-web", address: "10.250.70.11" });
const client = net.addEndpoint("Client", { netns: "sc-cli", address: "10.250.70.12" });
const server = web.run("Server", { name: "sc-web", command: ["node", "-e", ${JSON.stringify(WEB)}] });
const tcp = new Expectation(stack, "ClientReachesWeb", { from: client, to: web, check: Check.tcp(80) });
const ping = new Expectation(stack, "ClientPingsWeb", { from: client, to: web });
for (const [id, maxOutageMs] of [["Flap", 3000], ["FlapStrict", 1000]] as const)
  new Scenario(stack, id, { seconds: 4.5, everyMs: 100, probes: [tcp], maxOutageMs })
    .at(1, Fault.linkDown(web))
    .at(3, Fault.linkUp(web));
new Scenario(stack, "Lossy", { seconds: 7, everyMs: 50, probes: [ping] })
  .at(1, Fault.impair(web, { lossPercent: 20 }))
  .at(6, Fault.reset(web));
new Scenario(stack, "Restart", { seconds: 4, everyMs: 100, probes: [tcp] })
  .at(1, Fault.stop(server))
  .at(2, Fault.start(server));
app.synth();
`;

let browser: Browser;
beforeAll(async () => {
  project.useMain(main);
  must(project.nslab(["deploy", "lab-stack"], host), "nslab deploy");
  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
  });
});
afterAll(async () => {
  await browser?.close();
  rmSync(files, { recursive: true, force: true });
});
afterEach(() => {
  // what a run faulted is put back as deployed
  expect(must(project.nslab(["verify", "lab-stack"], host), "nslab verify")).toMatch(/match the kernel/);
});

const run = (scenario: string, ...flags: string[]) => project.nslab(["run", "lab-stack", scenario, ...flags], host);
const report = (stdout: string) => JSON.parse(stdout) as ScenarioReport;
const near = (got: number, want: number, within: number) => expect(Math.abs(got - want)).toBeLessThanOrEqual(within);

/** A file as a real browser's XML parser reads it: its error, or what `query` counts in it. */
async function parsed(file: string, type: string, query: string): Promise<{ error: string | null; count: number }> {
  const page = await browser.newPage();
  try {
    return await page.evaluate(
      ([text, t, q]) => {
        // the page's own parser (the test's TypeScript has no DOM types)
        type Doc = {
          querySelector(q: string): { textContent: string | null } | null;
          querySelectorAll(q: string): { length: number };
        };
        const { DOMParser } = globalThis as unknown as {
          DOMParser: new () => { parseFromString(s: string, t: string): Doc };
        };
        const doc = new DOMParser().parseFromString(text, t);
        return { error: doc.querySelector("parsererror")?.textContent ?? null, count: doc.querySelectorAll(q).length };
      },
      [readFileSync(file, "utf8"), type, query],
    );
  } finally {
    await page.close();
  }
}

test("a link flap: one outage of about 2 s, recovery after the up step, within 3 s: pass; SVG and JUnit parse", async () => {
  const svg = join(files, "flap.svg");
  const xml = join(files, "flap.xml");
  const r = run("Flap", "--json", "--svg", svg, "--junit", xml);
  expect(r.code).toBe(0);
  const rep = report(r.stdout);
  expect(rep).toMatchObject({ scenario: "Flap", pass: true, undone: [] });
  expect(rep.steps.map((s) => s.error)).toEqual([undefined, undefined]);
  const [p] = rep.probes;
  expect(p).toMatchObject({ name: "lab-stack/ClientReachesWeb", check: "tcp/80", pass: true });
  expect(p.outages).toHaveLength(1);
  // each edge where its step put it (a step takes ~25 ms; more on a loaded machine), about 2 s apart
  const [downStep, upStep] = rep.steps.map((st) => [st.appliedMs!, st.appliedMs! + st.tookMs!]);
  expect(p.outages[0].start).toBeGreaterThanOrEqual(downStep[0] - 100); // one sent as the step began
  expect(p.outages[0].start).toBeLessThanOrEqual(downStep[1] + EDGE_MS);
  expect(p.outages[0].end!).toBeGreaterThanOrEqual(upStep[0]);
  expect(p.outages[0].end!).toBeLessThanOrEqual(upStep[1] + EDGE_MS);
  near(p.longestMs, 2000, EDGE_MS);
  // answered again within a probe period or two of the link's coming up
  expect(p.recovery[1]).not.toBeNull();
  expect(p.recovery[1]!).toBeLessThan(EDGE_MS + 100);
  // the stretches between steps: all lost while down; none after, and before it none but
  // one sent just as the down step began (its packets in flight when the link went)
  const [before, down, after] = p.stretches;
  expect(before.lost).toBeLessThanOrEqual(1);
  expect(down.lost).toBeGreaterThanOrEqual(down.sent - 1);
  expect(after.lost).toBe(0);
  expect(r.stderr).toMatch(/1\.00 s: link down lab-stack\/Net\/Web \(sc-web:eth0\)/); // the steps as they apply
  // the timeline: well-formed, one outage drawn, both steps marked
  expect(await parsed(svg, "image/svg+xml", "rect.outage")).toEqual({ error: null, count: 1 });
  expect((await parsed(svg, "image/svg+xml", "g.step")).count).toBe(2);
  expect(await parsed(xml, "application/xml", "testcase")).toEqual({ error: null, count: 1 });
  expect((await parsed(xml, "application/xml", "failure")).count).toBe(0);
});

test("the same flap against a 1 s bound: exit 1, the probe named, its JUnit testcase failed", async () => {
  const xml = join(files, "strict.xml");
  const r = run("FlapStrict", "--junit", xml);
  expect(r.code).toBe(1);
  expect(r.stdout).toMatch(/lab-stack\/ClientReachesWeb: tcp\/80 from sc-cli to sc-web \(10\.250\.70\.11\): FAIL/);
  expect(r.stdout).toMatch(/down [12]\.\d\d s from 1\.\d\d s, longer than maxOutageMs 1000/);
  expect(r.stdout).toMatch(/^FAIL: lab-stack\/ClientReachesWeb$/m);
  expect(await parsed(xml, "application/xml", "failure")).toEqual({ error: null, count: 1 });
  expect(readFileSync(xml, "utf8")).toMatch(
    /<failure message="down [12]\.\d\d s from 1\.\d\d s, longer than maxOutageMs 1000">/,
  );
});

test("a loss step: the lost share while it holds is close to a round trip's over 20% each way (36%)", () => {
  const rep = report(must(run("Lossy", "--json"), "nslab run Lossy"));
  const [before, lossy, after] = rep.probes[0].stretches;
  // ~100 pings in 5 s: 36% +- 16 points is 3.5 standard deviations
  expect(lossy.sent).toBeGreaterThanOrEqual(90);
  expect(lossy.lost / lossy.sent).toBeGreaterThan(0.2);
  expect(lossy.lost / lossy.sent).toBeLessThan(0.52);
  expect(before.lost + after.lost).toBeLessThanOrEqual(1);
  process.stdout.write(`scenarios: loss 20% each way: ${lossy.lost} of ${lossy.sent} pings lost\n`);
});

test("a workload stopped and started: its restart measured, and it runs as deployed after", async () => {
  const rep = report(must(run("Restart", "--json"), "nslab run Restart"));
  const [p] = rep.probes;
  expect(p.outages).toHaveLength(1);
  expect(p.outages[0].start).toBeGreaterThanOrEqual(rep.steps[0].appliedMs! - 100);
  expect(p.outages[0].start).toBeLessThanOrEqual(rep.steps[0].appliedMs! + rep.steps[0].tookMs! + EDGE_MS);
  // refused while stopped, answered once node is up again: the restart, from the start step
  expect(p.recovery[1]).not.toBeNull();
  expect(p.recovery[1]!).toBeLessThan(3000);
  expect(p.outages[0].end!).toBeGreaterThan(2000);
  process.stdout.write(`scenarios: the web server answered ${p.recovery[1]} ms after its start step\n`);

  // the live page shows this last run's timeline
  const page = await browser.newPage();
  const ui = spawn("node", [join(project.dir, "bin", "nslab.js"), "ui", "lab-stack"], {
    cwd: project.dir,
    env: { ...process.env, NSLAB_HOST_NETNS: host },
  });
  try {
    let out = "";
    ui.stdout.on("data", (b: Buffer) => (out += b.toString()));
    for (let i = 0; i < 100 && !/http:\/\/\S+/.test(out); i++) await new Promise((r) => setTimeout(r, 100));
    await page.goto(/http:\/\/\S+/.exec(out)![0]);
    expect(await page.locator("#scenario").textContent()).toMatch(/Restart, run at .*: pass/);
    expect(await page.locator("#scenario svg rect.outage").count()).toBe(1);
  } finally {
    await page.close();
    ui.kill("SIGINT");
  }
});

test("Ctrl-C while a link is down: the link is put back, the run says it was cut short (exit 130)", async () => {
  const child = spawn("node", [join(project.dir, "bin", "nslab.js"), "run", "lab-stack", "Flap"], {
    cwd: project.dir,
    env: { ...process.env, NSLAB_HOST_NETNS: host },
  });
  let out = "";
  child.stdout.on("data", (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | null>((done) => child.on("close", done));
  for (let i = 0; i < 100 && !/link down/.test(out); i++) await new Promise((r) => setTimeout(r, 100));
  child.kill("SIGINT");
  expect(await exited).toBe(130);
  expect(out).toMatch(/put back as deployed: link sc-web:eth0/);
  expect(out).toMatch(/^cut short$/m);
});
