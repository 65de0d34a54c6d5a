// End to end, issue 23: looking inside a running lab, one deploy of lab-stack shared by
// every test. exec and shell run in a namespace with the lab's names, exit codes through;
// capture gives a pcap of real traffic (to a file, through a pipe, as lines on a
// terminal), stopped by a count, by time and by Ctrl-C with the file complete. The live
// page in a real browser: its actions, the expectations and a trace drawn. Each leaves the
// lab as it was (verify).
import { spawn } from "node:child_process";
import { request as httpRequest } from "node:http";
import { chromium, type Browser } from "playwright-core";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cmd, must, ok, requireRoot } from "../helpers/cmd";
import { e2eSandbox } from "../helpers/e2e";
import { inNs } from "../helpers/sandbox";
import { ping } from "../helpers/traffic";

requireRoot("e2e");
jest.setTimeout(300_000);

const { host, project } = e2eSandbox(["ns01", "ns02", "ns03"]);
const files = mkdtempSync(join(tmpdir(), "nslab-inside-"));

/** A server that reads what it is sent, as an upload service does (node's own; nothing of the tool's). */
const SINK = `require("net").createServer((c) => c.resume()).listen(5001)`;
// lab-stack's topology, and ns03 behind an 8 Mbit/s rate limit, its sink published on 5001
const main = `import { App } from "cdktf";
import { Check, ContainerNetwork, Expectation, LabStack, Vantage } from "./constructs";
const app = new App();
const stack = new LabStack(app, "lab-stack");
const net = new ContainerNetwork(stack, "Br01", { bridgeName: "br01", subnet: "192.168.88.0/24" });
const ns01 = net.addEndpoint("Ns01", { netns: "ns01", address: "192.168.88.11" });
const ns02 = net.addEndpoint("Ns02", { netns: "ns02", address: "192.168.88.12" });
const ns03 = net.addEndpoint("Ns03", { netns: "ns03", address: "192.168.88.13", impairment: { rateMbit: 8 } });
ns03.run("Sink", { name: "ns03-sink", command: ["node", "-e", ${JSON.stringify(SINK)}] });
const upload = ns03.publish("Upload", { hostPort: 5001, containerPort: 5001 });
new Expectation(stack, "Ns01PingsNs02", { from: ns01, to: ns02 });
new Expectation(stack, "FastInside", { from: ns02, to: ns01, check: Check.throughput({ atLeastMbit: 50 }) });
new Expectation(stack, "LimitHolds", { from: ns02, to: ns03, check: Check.throughput({ atLeastMbit: 4, atMostMbit: 10 }) });
new Expectation(stack, "OutsideUploads", { from: Vantage.OUTSIDE, to: upload, check: Check.throughput({ atLeastMbit: 4, atMostMbit: 10 }) });
app.synth();
`;
beforeAll(() => {
  project.useMain(main);
  must(project.nslab(["deploy", "lab-stack"], host), "nslab deploy");
});
afterAll(() => rmSync(files, { recursive: true, force: true }));
afterEach(() => {
  // what looks at a lab leaves it as it was
  must(project.nslab(["verify", "lab-stack"], host), "nslab verify");
});

const nslab = (args: string[], input?: string) =>
  cmd(["node", join(project.dir, "bin", "nslab.js"), ...args], {
    cwd: project.dir,
    env: { ...process.env, CI: "true" },
    ...(input !== undefined ? { input } : {}),
  });

/** The CLI started, not waited for: its output collected; resolves once stderr shows `ready`. */
function started(args: string[], ready: RegExp) {
  const child = spawn("node", [join(project.dir, "bin", "nslab.js"), ...args], { cwd: project.dir });
  const out: Buffer[] = [];
  let err = "";
  child.stdout.on("data", (b: Buffer) => out.push(b));
  const exited = new Promise<number>((done) => child.on("close", (code, sig) => done(code ?? 128 + (sig ? 2 : 0))));
  const up = new Promise<void>((done, fail) => {
    child.stderr.on("data", (b: Buffer) => {
      err += b.toString();
      if (ready.test(err)) done();
    });
    void exited.then((code) => fail(new Error(`nslab ${args.join(" ")} ended (${code}) before ready: ${err}`)));
  });
  return { child, up, exited, stdout: () => Buffer.concat(out), stderr: () => err };
}
/** tcpdump's reading of a pcap: one line per packet; throws on a truncated or broken file. */
const read = (file: string) =>
  ok(["tcpdump", "-n", "-r", file], { encoding: "utf8" }).trim().split("\n").filter(Boolean);

test("exec and shell: in the namespace, with the lab's names, exit codes through; a wrong target lists the right ones", () => {
  expect(must(nslab(["exec", "lab-stack", "ns01", "--", "getent", "hosts", "ns02"]), "exec").trim()).toBe(
    "192.168.88.12   ns02",
  );
  expect(nslab(["exec", "lab-stack", "ns02", "--", "ping", "-c1", "-W1", "ns01"]).code).toBe(0);
  expect(nslab(["exec", "lab-stack", "ns02", "--", "sh", "-c", "exit 7"]).code).toBe(7);
  // the host side is the sandbox host: its bridge is there
  expect(must(nslab(["exec", "lab-stack", "host", "--", "ip", "-o", "link", "show", "br01"]), "exec host")).toMatch(
    /br01:/,
  );
  const wrong = nslab(["exec", "lab-stack", "ns9", "--", "true"]);
  expect(wrong.code).toBe(1);
  expect(wrong.stderr).toMatch(/ns9 is no namespace of this lab; these are: host, ns01, ns02, ns03/);
  // a shell reads its commands from stdin when it is not a terminal
  const sh = nslab(["shell", "lab-stack", "ns01"], "ip -o -4 addr show eth0\nexit 3\n");
  expect(sh.code).toBe(3);
  expect(sh.stdout).toMatch(/eth0 +inet 192\.168\.88\.11\/24/);
});

test("capture: a pcap of real traffic to a file (--count), through a pipe (--seconds), stopped by Ctrl-C with the file complete", async () => {
  // --count: ends after two packets of the filter's
  const counted = join(files, "counted.pcap");
  const c = started(["capture", "lab-stack", "ns01", "--write", counted, "--count", "2", "--", "icmp"], /listening on/);
  await c.up;
  expect(ping("ns02", "192.168.88.11")).toBe(true);
  expect(ping("ns02", "192.168.88.11")).toBe(true);
  expect(await c.exited).toBe(0);
  const lines = read(counted);
  expect(lines).toHaveLength(2);
  expect(lines[0]).toMatch(/IP 192\.168\.88\.12 > 192\.168\.88\.11: ICMP echo request/);
  expect(lines[1]).toMatch(/IP 192\.168\.88\.11 > 192\.168\.88\.12: ICMP echo reply/);

  // a pipe gets the pcap itself (tcpdump -r - reads it); --seconds ends it
  const piped = started(["capture", "lab-stack", "host:veth-ns02", "--seconds", "2"], /listening on/);
  await piped.up;
  expect(ping("ns02", "192.168.88.1")).toBe(true);
  expect(await piped.exited).toBe(0);
  const pcap = piped.stdout();
  expect(pcap.readUInt32LE(0)).toBe(0xa1b2c3d4); // a pcap file's magic
  const seen = cmd(["tcpdump", "-n", "-r", "-"], { input: pcap }).stdout;
  expect(seen).toMatch(/IP 192\.168\.88\.12 > 192\.168\.88\.1: ICMP echo request/);

  // Ctrl-C (SIGINT to the CLI, as a terminal sends it): tcpdump ends as on Ctrl-C, the file complete
  const cut = join(files, "cut.pcap");
  const bridge = started(["capture", "lab-stack", "br01", "--write", cut], /listening on/);
  await bridge.up;
  expect(ping("ns01", "192.168.88.12")).toBe(true);
  bridge.child.kill("SIGINT");
  expect(await bridge.exited).toBe(0);
  expect(bridge.stderr()).toMatch(/\d+ packets captured/);
  expect(read(cut).some((l) => /192\.168\.88\.11 > 192\.168\.88\.12: ICMP echo request/.test(l))).toBe(true);
});

test("capture on a terminal prints tcpdump's lines; a wrong interface lists the right ones", () => {
  // script(1) gives the CLI a terminal: lines, not a pcap
  const tty = cmd(
    [
      "script",
      "-qec",
      `node ${join(project.dir, "bin", "nslab.js")} capture lab-stack ns01 --count 1 --seconds 5 -- icmp & sleep 1; ip netns exec ns02 ping -c2 -W1 192.168.88.11 >/dev/null; wait`,
      "/dev/null",
    ],
    { cwd: project.dir },
  );
  expect(tty.stdout).toMatch(/IP 192\.168\.88\.12 > 192\.168\.88\.11: ICMP echo request/);
  const wrong = nslab(["capture", "lab-stack", "ns01:eth9", "--count", "1", "--write", join(files, "none.pcap")]);
  expect(wrong.code).toBe(1);
  expect(existsSync(join(files, "none.pcap"))).toBe(false); // no empty file left behind
  expect(wrong.stderr).toMatch(
    /ns01:eth9 is no interface of this lab; these are: br01, host:veth-ns01, host:veth-ns02, host:veth-ns03, ns01:eth0, ns02:eth0, ns03:eth0/,
  );
});

test("throughput checks measure real rates; --junit writes one testcase per check; a run-time rate limit fails them, reset brings them back", () => {
  const report = join(files, "report.xml");
  const ok1 = nslab(["test", "lab-stack", "--junit", report]);
  expect(ok1.stderr).toBe("");
  expect(ok1.code).toBe(0);
  // the rates as measured, within what the lab declares
  const rate = (name: string, out: string) => Number(new RegExp(`${name} .* ([\\d.]+) Mbit/s over`).exec(out)?.[1]);
  expect(rate("FastInside", ok1.stdout)).toBeGreaterThan(50);
  expect(rate("LimitHolds", ok1.stdout)).toBeLessThanOrEqual(10);
  expect(rate("OutsideUploads", ok1.stdout)).toBeGreaterThanOrEqual(4);
  const xml = readFileSync(report, "utf8");
  expect(xml).toMatch(/<testsuite name="lab-stack" tests="4" failures="0" errors="0" skipped="0"/);
  expect(xml.match(/<testcase /g)).toHaveLength(4);

  // 1 Mbit/s at run time: the lower bounds fail, in the report and in the JUnit file
  must(nslab(["impair", "lab-stack", "ns03", "--rate", "1"]), "nslab impair");
  const slow = nslab(["test", "lab-stack", "--junit", report, "--all-pairs"]);
  expect(slow.code).toBe(1);
  expect(slow.stdout).toMatch(
    /LimitHolds +ns02 +ns03 \(192\.168\.88\.13\) +throughput +>= 4, <= 10 Mbit\/s +[\d.]+ Mbit\/s over [\d.]+ s +FAIL/,
  );
  const failed = readFileSync(report, "utf8");
  expect(failed).toMatch(/failures="2"/);
  expect(failed).toMatch(
    /<testcase classname="lab-stack" name="lab-stack\/OutsideUploads">\n +<failure message="want &gt;= 4, &lt;= 10 Mbit\/s, got [\d.]+ Mbit\/s over/,
  );
  // --all-pairs: each pair a testcase of its own (3 endpoints, both ways)
  expect(failed.match(/classname="lab-stack.all-pairs"/g)).toHaveLength(6);
  must(nslab(["impair", "lab-stack", "ns03", "reset"]), "nslab impair reset");
  expect(nslab(["test", "lab-stack"]).code).toBe(0);
});

/** A plain GET, with the Host header given: what another local user or a rebinding page could send. */
const get = (url: string, host?: string) =>
  new Promise<number>((done, fail) =>
    httpRequest(url, { headers: host ? { host } : {} }, (res) => {
      res.resume();
      done(res.statusCode ?? 0);
    })
      .on("error", fail)
      .end(),
  );

describe("nslab ui, in a real browser (Debian's chromium, headless)", () => {
  let ui: ReturnType<typeof started>;
  let url = "";
  let browser: Browser;
  beforeAll(async () => {
    ui = started(["ui", "lab-stack"], /./);
    ui.up.catch(() => undefined); // it says nothing on stderr; its URL comes on stdout
    // the URL is its first line on stdout
    for (let i = 0; i < 100 && !/http:\/\/\S+/.test(ui.stdout().toString()); i++)
      await new Promise((r) => setTimeout(r, 100));
    url = /http:\/\/\S+/.exec(ui.stdout().toString())![0];
    browser = await chromium.launch({
      executablePath: "/usr/bin/chromium",
      // as root, and with no connections of its own (this machine's network is closed)
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
  });
  afterAll(async () => {
    await browser?.close();
    ui?.child.kill("SIGINT");
    if (ui) expect(await ui.exited).toBe(0);
  });

  test("only 127.0.0.1, only with the token, only under its own address", async () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?t=[\w-]{32}$/);
    expect(await get(url)).toBe(200);
    expect(await get(url.replace(/t=.*/, "t=wrong"))).toBe(403);
    expect(await get(url.replace(/\?t=.*/, ""))).toBe(403);
    expect(await get(url, "evil.example:80")).toBe(403);
    expect(await get(url, "127.0.0.1.evil.example")).toBe(403);
    expect(await get(url, "localhost:7380")).toBe(200); // through an ssh -L of another port
  });

  test("the page names every endpoint, also without JavaScript", async () => {
    for (const javaScriptEnabled of [true, false]) {
      const context = await browser.newContext({ javaScriptEnabled });
      const page = await context.newPage();
      await page.goto(url);
      const picture = await page.locator("#picture svg").textContent();
      for (const ns of ["ns01", "ns02", "ns03"]) expect(picture).toContain(ns);
      expect(await page.locator("#objects tr.ok").count()).toBeGreaterThanOrEqual(6);
      await context.close();
    }
  });

  test("a veth deleted out of band is marked within 3 s; link down makes ping fail, up brings it back", async () => {
    const page = await browser.newPage();
    await page.goto(url);
    await page.waitForSelector("#row_endpoint_ns02_eth0.ok");
    ok(inNs(host, ["ip", "link", "del", "veth-ns02"]));
    const t0 = Date.now();
    await page.waitForSelector("#row_endpoint_ns02_eth0.drift", { timeout: 3000 });
    await page.waitForSelector("#obj_endpoint_ns02_eth0.drift", { timeout: 3000 }); // and on the picture
    process.stdout.write(`ui: a deleted veth marked after ${Date.now() - t0} ms\n`);
    must(nslab(["repair", "lab-stack"]), "nslab repair");
    await page.waitForSelector("#row_endpoint_ns02_eth0.ok", { timeout: 5000 });

    expect(ping("ns02", "192.168.88.11")).toBe(true);
    await page.locator("#row_endpoint_ns01_eth0 button", { hasText: "link down" }).click();
    await page.waitForSelector("#last-action pre.good");
    expect(ping("ns02", "192.168.88.11")).toBe(false);
    await page.locator("#row_endpoint_ns01_eth0 button", { hasText: "link up" }).click();
    await page.waitForSelector("#last-action pre.good");
    let back = false;
    for (let i = 0; i < 5 && !back; i++) back = ping("ns02", "192.168.88.11");
    expect(back).toBe(true);
    await page.close();
  });

  test("a capture downloads a pcap tcpdump reads; the expectations run and are drawn; a trace is drawn", async () => {
    const page = await browser.newPage();
    await page.goto(url);
    const row = page.locator("#row_endpoint_ns01_eth0");
    await row.locator('input[name="seconds"]').fill("3");
    const pinging = spawn("ip", ["netns", "exec", "ns02", "ping", "-c", "6", "-i", "0.3", "192.168.88.11"], {
      stdio: "ignore",
    });
    const pinged = new Promise((r) => pinging.on("close", r));
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      row.locator("button", { hasText: "capture" }).click(),
    ]);
    const file = join(files, "ui.pcap");
    await download.saveAs(file);
    await pinged;
    expect(read(file).some((l) => /192\.168\.88\.12 > 192\.168\.88\.11: ICMP echo request/.test(l))).toBe(true);

    await page.locator("button", { hasText: "run the expectations" }).click();
    await page.waitForSelector("#tests table");
    expect(await page.locator("#tests").textContent()).toMatch(/4 of 4 hold/);
    expect(await page.locator("#picture svg g.check.pass").count()).toBeGreaterThanOrEqual(3);

    // a trace: its words as the last action, its path drawn on the picture
    await page.locator("#trace input[name=from]").fill("ns02");
    await page.locator("#trace input[name=to]").fill("ns01");
    await page.locator("#trace button", { hasText: "trace" }).click();
    await page.waitForSelector("#last-action pre.good");
    expect(await page.locator("#last-action").textContent()).toMatch(
      /icmp from ns02 to ns01 \(192\.168\.88\.11\): delivered/,
    );
    expect(await page.locator("#picture svg g.trace.pass").count()).toBeGreaterThanOrEqual(1);
    await page.close();
  });
});
