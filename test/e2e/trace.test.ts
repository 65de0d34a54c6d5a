// End to end, issue 34: `nslab trace` on a deployed lab, on both firewall backends, with
// real probes. Each case's verdict and the hop that decides it: the same network
// (delivered, the bridge and veths named), two isolated networks (dropped by the isolation
// rule, naming the network), ICC off (dropped, naming it), outside to a published port
// (DNAT to the endpoint, the client's address kept), the hairpin from an endpoint to the
// host's published port, out to outside (MASQUERADE), an internal network's way out
// (dropped). After all of it the sandbox host and every namespace are as before the first
// trace: no trace table, no probe namespace, the lab as deployed. A trace killed outright
// leaves its tables and monitors, and the next deploy clears them. Under iptables-legacy,
// which the kernel does not trace, the trace says so and the rules' counters decide.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TraceReport } from "../../model/reports";
import { startTime } from "../../netops/proc";
import { cmd, must, ok, requireRoot } from "../helpers/cmd";
import { e2eSandbox } from "../helpers/e2e";
import { hostState, inNs } from "../helpers/sandbox";
import { serve } from "../helpers/traffic";

requireRoot("e2e");
jest.setTimeout(300_000);

const NS = ["tr-a1", "tr-a2", "tr-b1", "tr-c1", "tr-c2", "tr-i1"];
const { host, project, servers } = e2eSandbox(NS);
beforeAll(() => {
  // as in firewall.test.ts: nftables cannot open what the host's FORWARD policy drops
  ok(inNs(host, ["iptables", "-w", "-P", "FORWARD", "ACCEPT"]));
});

const main = (firewall: "IPTABLES" | "NFTABLES") => `import { App } from "cdktf";
import { ContainerNetwork, Firewall, LabStack } from "./constructs";
const app = new App();
const stack = new LabStack(app, "lab-stack", { firewall: Firewall.${firewall} });
const a = new ContainerNetwork(stack, "A", { subnet: "10.250.60.0/24", bridgeName: "tra" });
a.addEndpoint("A1", { netns: "tr-a1", address: "10.250.60.11" }).publish("Web", { hostPort: 8080, containerPort: 80 });
a.addEndpoint("A2", { netns: "tr-a2", address: "10.250.60.12" });
const b = new ContainerNetwork(stack, "B", { subnet: "10.250.61.0/24", bridgeName: "trb" });
b.addEndpoint("B1", { netns: "tr-b1", address: "10.250.61.11" });
const c = new ContainerNetwork(stack, "C", { subnet: "10.250.62.0/24", bridgeName: "trc", icc: false });
c.addEndpoint("C1", { netns: "tr-c1", address: "10.250.62.11" });
c.addEndpoint("C2", { netns: "tr-c2", address: "10.250.62.12" });
const i = new ContainerNetwork(stack, "I", { subnet: "10.250.63.0/24", bridgeName: "tri", internal: true });
i.addEndpoint("I1", { netns: "tr-i1", address: "10.250.63.11" });
app.synth();
`;

/** `nslab trace ... --json`: its exit code and report. */
function trace(...args: string[]): { code: number; r: TraceReport } {
  const out = project.nslab(["trace", "lab-stack", ...args, "--json"], host);
  if (out.code !== 0 && out.code !== 1) throw new Error(`nslab trace ${args.join(" ")}: ${out.code}\n${out.stderr}`);
  return { code: out.code, r: JSON.parse(out.stdout) as TraceReport };
}

/** What the kernel has that a trace could leave: every namespace's nftables tables, the namespaces. */
const traces = () => [host, ...NS].map((ns) => ok(inNs(ns, ["nft", "list", "tables"])));

test.each(["IPTABLES", "NFTABLES"] as const)("%s: each case's verdict and the hop that decides it", async (fw) => {
  project.useMain(main(fw));
  must(project.nslab(["deploy", "lab-stack"], host), "nslab deploy");
  servers.push(await serve("tr-a1", "tcp", 80, "a1"));
  const before = { host: hostState(host), tables: traces() };

  // the same network: delivered and answered, out of one veth and in by the other
  const same = trace("tr-a2", "tr-a1");
  expect(same.code).toBe(0);
  expect(same.r).toMatchObject({ verdict: "delivered", answered: true, address: "10.250.60.11" });
  expect(same.r.hops[0]).toMatchObject({ place: "tr-a2", out: "eth0", fate: "sent" });
  expect(same.r.hops.at(-1)).toMatchObject({ place: "tr-a1", in: "eth0", fate: "delivered" });
  expect(same.r.reply.at(-1)).toMatchObject({ place: "tr-a2", fate: "delivered" });

  // two networks: dropped on the way into B, by B's isolation rule
  const isolated = trace("tr-a2", "tr-b1");
  expect(isolated.code).toBe(1);
  expect(isolated.r.verdict).toBe("dropped");
  expect(isolated.r.why).toMatch(/dropped in host, forward: isolation: only trb's own and connected networks/);
  const drop = isolated.r.hops.flatMap((h) => h.steps).find((s) => s.verdict === "drop")!;
  expect(drop.madeBy?.object).toBe("lab-stack/B"); // the construct that made the rule

  // ICC off: the bridge itself drops what passes between two isolated ports
  const icc = trace("tr-c1", "tr-c2");
  expect(icc.code).toBe(1);
  expect(icc.r.why).toMatch(/bridge trc: ICC off.*\(made by lab-stack\/C\)/);

  // outside to the published port: DNAT to the endpoint, the client's address kept
  const published = trace("outside", "host", "--tcp", "8080");
  expect(published.code).toBe(0);
  expect(published.r.answered).toBe(true);
  const nat = published.r.hops.find((h) => h.place === "host")!;
  expect(nat.nat).toContain("DNAT to 10.250.60.11:80 (endpoint tr-a1)");
  const arrived = published.r.hops.at(-1)!;
  expect(arrived).toMatchObject({ place: "tr-a1", fate: "delivered", dst: "10.250.60.11:80" });
  expect(arrived.src.split(":")[0]).toBe(published.r.hops[0].src.split(":")[0]);

  // the hairpin: an endpoint to its own host's published port
  const hairpin = trace("tr-a2", "host", "--tcp", "8080");
  expect(hairpin.code).toBe(0);
  expect(hairpin.r.hops.find((h) => h.place === "host")!.nat).toContain("DNAT to 10.250.60.11:80 (endpoint tr-a1)");
  expect(hairpin.r.hops.at(-1)!.place).toBe("tr-a1");

  // out to the outside: MASQUERADE to the host's address there
  const outbound = trace("tr-a2", "outside");
  expect(outbound.code).toBe(0);
  expect(outbound.r.hops.find((h) => h.place === "host")!.nat.join()).toMatch(/MASQUERADE to 198\.1[89]\./);
  expect(outbound.r.hops.at(-1)!.place).toBe("outside");

  // an internal network has no way out
  const internal = trace("tr-i1", "outside");
  expect(internal.code).toBe(1);
  expect(internal.r.why).toMatch(/internal network: no way out of tri/);

  // one probe at a time: a usage error, before anything touches the kernel
  expect(project.nslab(["trace", "lab-stack", "tr-a2", "tr-a1", "--tcp", "80", "--udp", "53"], host).code).toBe(2);

  // the traces left nothing: no trace table, no probe namespace, the lab as deployed
  expect({ host: hostState(host), tables: traces() }).toEqual(before);
  expect(traces().join("\n")).not.toMatch(/nslab-trace/);
  expect(must(project.nslab(["verify", "lab-stack"], host), "nslab verify")).toMatch(/objects match the kernel/);

  // a trace killed outright leaves its tables and monitors: the next deploy clears both
  if (fw === "IPTABLES") {
    const note = `/run/nslab/${host}/lab-stack/trace-tables.json`;
    const cli = spawn("node", [join(project.dir, "bin", "nslab.js"), "trace", "lab-stack", "tr-i1", "outside"], {
      cwd: project.dir,
      env: { ...process.env, NSLAB_HOST_NETNS: host, CI: "true" },
      stdio: "ignore",
    });
    // the probe waits a second for an answer that never comes: the tables are in by then
    for (let i = 0; i < 50 && !existsSync(note); i++) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 300));
    const runner = Number(
      ok(["pgrep", "-P", String(cli.pid)])
        .trim()
        .split("\n")[0],
    );
    process.kill(runner, "SIGKILL");
    cli.kill("SIGKILL");
    const left = JSON.parse(readFileSync(note, "utf8")) as { monitors: { pid: number }[] };
    expect(left.monitors.length).toBeGreaterThan(0);
    expect(traces().join("\n")).toMatch(/nslab-trace/);
    must(project.nslab(["deploy", "lab-stack"], host), "nslab deploy after a killed trace");
    expect(traces().join("\n")).not.toMatch(/nslab-trace/);
    expect(existsSync(note)).toBe(false);
    // ended (orphaned by the kill, a monitor ends as a zombie of pid 1 on some machines: not running either)
    for (const m of left.monitors) expect(startTime(m.pid)).toBeNull();
    // the outside probe namespace the killed trace made goes with the next trace's run of it
    trace("tr-a2", "outside");
  }

  await Promise.all(servers.splice(0).map((s) => s.stop()));
  must(project.nslab(["destroy", "lab-stack"], host), "nslab destroy");
  expect(cmd(["ip", "netns", "list"]).stdout).not.toMatch(/tr-a1/);
});

test("under iptables-legacy, which the kernel does not trace: said so, and the rules the probe's counters moved decide", () => {
  // iptables as the legacy binaries, for this deploy and its runner only: a PATH of links
  const bin = mkdtempSync(join(tmpdir(), "nslab-legacy-"));
  for (const [name, target] of [
    ["iptables", "iptables-legacy"],
    ["iptables-save", "iptables-legacy-save"],
    ["iptables-restore", "iptables-legacy-restore"],
    ["ip6tables", "ip6tables-legacy"],
    ["ip6tables-save", "ip6tables-legacy-save"],
    ["ip6tables-restore", "ip6tables-legacy-restore"],
  ])
    symlinkSync(`/usr/sbin/${target}`, join(bin, name));
  const legacy = (args: string[]) =>
    cmd(["node", join(project.dir, "bin", "nslab.js"), ...args], {
      cwd: project.dir,
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, NSLAB_HOST_NETNS: host, CI: "true" },
    });
  try {
    project.useMain(main("IPTABLES"));
    must(legacy(["deploy", "lab-stack"]), "nslab deploy (iptables-legacy)");
    expect(ok(inNs(host, ["iptables-legacy-save"]))).toMatch(/NSLAB-IN-trb/);
    const out = legacy(["trace", "lab-stack", "tr-a2", "tr-b1", "--json"]);
    expect(out.code).toBe(1);
    const r = JSON.parse(out.stdout) as TraceReport;
    expect(r.note).toMatch(/^iptables-legacy: the kernel does not trace its rules/);
    expect(r.verdict).toBe("dropped");
    expect(r.why).toMatch(/isolation: only trb's own and connected networks may enter it/);
    expect(legacy(["trace", "lab-stack", "tr-a2", "tr-a1"]).code).toBe(0);
    must(legacy(["destroy", "lab-stack"]), "nslab destroy (iptables-legacy)");
    expect(ok(inNs(host, ["iptables-legacy-save"]))).not.toMatch(/NSLAB/);
  } finally {
    rmSync(bin, { recursive: true, force: true });
  }
});
