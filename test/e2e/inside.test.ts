// End to end, issue 23: looking inside a running lab, one deploy of lab-stack shared by
// every test. exec and shell run in a namespace with the lab's names, exit codes through;
// capture gives a pcap of real traffic (to a file, through a pipe, as lines on a
// terminal), stopped by a count, by time and by Ctrl-C with the file complete. Each
// leaves the lab as it was (verify).
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cmd, must, ok, requireRoot } from "../helpers/cmd";
import { e2eSandbox } from "../helpers/e2e";
import { ping } from "../helpers/traffic";

requireRoot("e2e");
jest.setTimeout(300_000);

const { host, project } = e2eSandbox(["ns01", "ns02"]);
const files = mkdtempSync(join(tmpdir(), "nslab-inside-"));
beforeAll(() => {
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
  expect(wrong.stderr).toMatch(/ns9 is no namespace of this lab; these are: host, ns01, ns02/);
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
  const wrong = nslab(["capture", "lab-stack", "ns01:eth9", "--count", "1"]);
  expect(wrong.code).toBe(1);
  expect(wrong.stderr).toMatch(
    /ns01:eth9 is no interface of this lab; these are: br01, host:veth-ns01, host:veth-ns02, ns01:eth0, ns02:eth0/,
  );
});
