// End to end, issue 13: the `two-hosts` stack of main.ts, deployed by cdktf from a
// controller namespace onto two simulated hosts (helpers/hosts.ts), with real traffic.
// Two networks span both hosts, joined by VXLAN: endpoints on different hosts reach each
// other across the tunnel (its counters say the packets crossed it), each host's
// published port answers from outside, the networks stay isolated on every host, a host
// that cannot be reached fails the deploy naming it and a later deploy finishes, nslab
// trace follows a probe from one host's endpoint across the tunnel to the other's, a
// scenario flaps one host's link while the other probes it, and destroy leaves every host
// as it was.
import { readFileSync } from "node:fs";
import type { ScenarioReport, TraceReport } from "../../model/reports";
import { join } from "node:path";
import { cmd, must, requireRoot, type Out } from "../helpers/cmd";
import { simHosts, type SimHost, type SimHosts } from "../helpers/hosts";
import { projectCopy } from "../helpers/project";
import { hostState, inNs, uniq } from "../helpers/sandbox";

requireRoot("e2e");
jest.setTimeout(600_000);

const ROOT = join(__dirname, "..", "..");
const project = projectCopy();
let sim: SimHosts;
let A: SimHost;
let B: SimHost;
beforeAll(() => {
  sim = simHosts(uniq("nl2"), 2);
  [A, B] = sim.hosts;
});
afterAll(() => {
  if (sim) run(["destroy", "two-hosts", "--auto-approve"]);
  sim?.remove();
  project.remove();
});

/** cdktf, or the nslab CLI, in the controller namespace, with the hosts in the environment. */
function run(args: string[], hostB = B.address, bin = join(ROOT, "node_modules", ".bin", "cdktf")): Out {
  const env = {
    ...process.env,
    CI: "true",
    NSLAB_HOST_NETNS: "",
    NSLAB_HOST_A: A.address,
    NSLAB_HOST_B: hostB,
    NSLAB_SSH_KEY: sim.keyFile,
    NSLAB_KNOWN_HOSTS: join(sim.keyFile, "..", "known_hosts"),
  };
  return cmd(["nsenter", `--net=/run/netns/${sim.controller}`, "--", bin, ...args], { cwd: project.dir, env });
}
const nslab = (args: string[]) => run(args, B.address, join(project.dir, "bin", "nslab.js"));
/** argv in a lab namespace on a host (its names are that host's own). */
const inLab = (h: SimHost, netns: string, argv: string[]) => sim.ssh(h, ["ip", "netns", "exec", netns, ...argv]);
const ping = (h: SimHost, netns: string, to: string, extra: string[] = []) =>
  inLab(h, netns, ["ping", "-c", "2", "-i", "0.2", "-W", "2", ...extra, to]).code === 0;
const curl = (h: SimHost, netns: string, url: string) =>
  inLab(h, netns, ["curl", "-s", "--max-time", "5", url]).stdout.trim();
/** Packets the tunnel of a network sent and received on a host. */
function tunnel(h: SimHost, dev: string): { tx: number; rx: number } {
  const [l] = JSON.parse(sim.ssh(h, ["ip", "-s", "-j", "link", "show", "dev", dev]).stdout) as {
    stats64: { tx: { packets: number }; rx: { packets: number } };
  }[];
  return { tx: l.stats64.tx.packets, rx: l.stats64.rx.packets };
}
/** A host as a lab may change it: its links, routes, firewall, forwarding, and its own names and files. */
const stateOf = (h: SimHost) => ({
  ...hostState(h.name),
  netns: sim.ssh(h, ["ip", "netns", "list"]).stdout,
  files: sim.ssh(h, ["sh", "-c", "'ls -AR /run/nslab /etc/netns /var/lib/nslab'"]).stdout,
});

/**
 * main.ts as docs/hosts.md has it (two-hosts from the environment), or two-hosts with the
 * nftables firewall and a third network spanning both hosts with ICC off.
 */
const README_MAIN = readFileSync(join(ROOT, "main.ts"), "utf8");
const NFTABLES_MAIN = `import { App } from "cdktf";
import { ContainerNetwork, Firewall, type Host } from "./constructs";
import { TwoHostsStack } from "./stacks/two-hosts";
const app = new App();
const env = process.env;
const stack = new TwoHostsStack(app, "two-hosts", {
  firewall: Firewall.NFTABLES,
  addresses: [env.NSLAB_HOST_A!, env.NSLAB_HOST_B!],
  identityFile: env.NSLAB_SSH_KEY,
  knownHostsFile: env.NSLAB_KNOWN_HOSTS,
});
const hosts = ["a", "b"].map((id) => stack.node.findChild(id) as Host);
const quiet = new ContainerNetwork(stack, "Quiet", { bridgeName: "br-quiet", subnet: "10.93.0.0/24", hosts, icc: false });
hosts.forEach((host, i) => quiet.addEndpoint("Q" + i, { netns: "quiet-" + "ab"[i], host })); // 10.93.0.2, .3
app.synth();
`;

test.each([
  ["iptables", README_MAIN],
  ["nftables", NFTABLES_MAIN],
])(
  "a lab on two hosts (%s): across the tunnel, published on each, isolated on each, gone after destroy",
  (firewall, main) => {
    project.useMain(main);
    const before = [A, B].map(stateOf);
    const controllerBefore = hostState(sim.controller);
    if (firewall === "iptables") {
      // a host that cannot be reached fails the deploy naming it, nothing of the lab is made
      // on the one that can, and the later deploy (the one below) finishes
      const bad = run(["deploy", "two-hosts", "--auto-approve"], "10.199.0.99");
      expect(bad.code).not.toBe(0);
      expect(bad.stdout + bad.stderr).toMatch(/host b \(root@10\.199\.0\.99:22\)/);
      expect(sim.ssh(A, ["ip", "netns", "list"]).stdout).not.toMatch(/web-a/);
    }
    must(run(["deploy", "two-hosts", "--auto-approve"]), "cdktf deploy two-hosts");
    // each host has its own half: its namespaces only
    expect(sim.ssh(A, ["ip", "netns", "list"]).stdout).toMatch(/web-a[\s\S]*|client-a/);
    expect(sim.ssh(A, ["ip", "netns", "list"]).stdout).not.toMatch(/web-b|client-b/);
    expect(sim.ssh(B, ["ip", "netns", "list"]).stdout).not.toMatch(/web-a|client-a/);

    // web-a (10.91.0.2, on A) and web-b (10.91.0.3, on B): one layer-2 network through the tunnel
    const t0 = tunnel(A, "vx-br-front");
    expect(ping(A, "web-a", "10.91.0.3")).toBe(true);
    expect(curl(A, "web-a", "http://10.91.0.3/")).toBe("hello from b, you are 10.91.0.2");
    expect(curl(B, "web-b", "http://web-a/")).toBe("hello from a, you are 10.91.0.3"); // names files list both hosts'
    const t1 = tunnel(A, "vx-br-front");
    expect(t1.tx - t0.tx).toBeGreaterThanOrEqual(4);
    expect(t1.rx - t0.rx).toBeGreaterThanOrEqual(4);
    // nslab trace across the tunnel: from web-a on host a, delivered to web-b on host b
    if (firewall === "iptables") {
      const traced = nslab(["trace", "two-hosts", "web-a", "web-b", "--json"]);
      expect(traced.code).toBe(0);
      const t = JSON.parse(traced.stdout) as TraceReport;
      expect(t).toMatchObject({ verdict: "delivered", answered: true, address: "10.91.0.3" });
      expect(t.hops[0]).toMatchObject({ place: "web-a@a", machine: "a", fate: "sent" });
      expect(t.hops.at(-1)).toMatchObject({ place: "web-b@b", machine: "b", fate: "delivered" });
      expect(t.reply).toContainEqual(expect.objectContaining({ place: "web-a@a", fate: "delivered" }));
      // a scenario across the hosts: web-b's link down on b for 1.5 s, probed from web-a on a
      // (each by its machine's runner); one outage of about that, and the link back up after
      const run = nslab(["run", "two-hosts", "WebBFlap", "--json"]);
      expect(run.code).toBe(0);
      const rep = JSON.parse(run.stdout) as ScenarioReport;
      const [p] = rep.probes;
      // a step on a Host takes its ssh call (~0.3 s): the link was down from the down step's end
      // to the up step's; the outage is that, to within a probe period and some scheduling
      const [down, up] = rep.steps.map((st) => st.appliedMs! + st.tookMs!);
      expect(p.outages).toHaveLength(1);
      expect(Math.abs(p.outages[0].start - down)).toBeLessThanOrEqual(250);
      expect(Math.abs(p.longestMs - (up - down))).toBeLessThanOrEqual(250);
      process.stdout.write(
        `two-hosts: WebBFlap: down ${down} -> ${up} ms, outage ${p.outages[0].start} -> ${p.outages[0].end} ms\n`,
      );
      expect(must(nslab(["verify", "two-hosts"]), "nslab verify after the run")).toMatch(/match/);
    }
    // the MTU leaves room for the tunnel: a full 1450-byte packet crosses unfragmented
    expect(ping(A, "web-a", "10.91.0.3", ["-M", "do", "-s", "1422"])).toBe(true);
    expect(ping(A, "web-a", "10.91.0.3", ["-M", "do", "-s", "1423"])).toBe(false);
    // the gateway is on each host, with the same MAC: each endpoint leaves through its own
    // host (masqueraded there: the controller has no route back to 10.91.0.0/24)
    for (const [h, ns] of [
      [A, "web-a"],
      [B, "web-b"],
    ] as const) {
      expect(ping(h, ns, "10.91.0.1")).toBe(true);
      expect(ping(h, ns, "10.199.0.1")).toBe(true);
    }
    const gwMac = (h: SimHost) =>
      JSON.parse(sim.ssh(h, ["ip", "-j", "link", "show", "dev", "br-front"]).stdout)[0].address as string;
    expect(gwMac(A)).toBe(gwMac(B));

    // each host's published port, from outside (the controller): the endpoint on that host answers
    const fromOutside = (h: SimHost) =>
      cmd(inNs(sim.controller, ["curl", "-s", "--max-time", "5", `http://${h.address}:8080/`])).stdout.trim();
    expect(fromOutside(A)).toBe("hello from a, you are 10.199.0.1");
    expect(fromOutside(B)).toBe("hello from b, you are 10.199.0.1");

    // back spans both hosts too, and is isolated from front on every host
    expect(ping(A, "client-a", "10.92.0.3")).toBe(true);
    expect(ping(A, "client-a", "fd00:92::3")).toBe(true);
    expect(ping(B, "client-b", "fd00:92::1")).toBe(true); // its own host's IPv6 gateway
    for (const [h, ns] of [
      [A, "client-a"],
      [B, "client-b"],
    ] as const)
      for (const web of ["10.91.0.2", "10.91.0.3"]) expect(ping(h, ns, web)).toBe(false);
    expect(ping(A, "web-a", "10.92.0.3")).toBe(false);

    if (firewall === "nftables") {
      // ICC off on a network spanning hosts: its endpoints reach their own host's gateway,
      // not each other across the tunnel (its port is isolated, as theirs are)
      expect(ping(A, "quiet-a", "10.93.0.1")).toBe(true);
      expect(ping(B, "quiet-b", "10.93.0.1")).toBe(true);
      expect(ping(A, "quiet-a", "10.93.0.3")).toBe(false);
      const port = JSON.parse(sim.ssh(A, ["bridge", "-d", "-j", "link", "show", "dev", "vx-br-quiet"]).stdout) as {
        isolated?: boolean;
      }[];
      expect(port[0].isolated).toBe(true);
    }

    // nslab test, run here, checks each expectation from the host it starts on
    const tested = nslab(["test", "two-hosts"]);
    expect(tested.stdout).toMatch(/4 of 4 hold/);
    expect(tested.stdout).toMatch(/client-a on a/);
    expect(tested.code).toBe(0);
    const pairs = JSON.parse(nslab(["test", "two-hosts", "--all-pairs", "--json"]).stdout) as {
      outcomes: { name: string; from: string; to: string; want: boolean | null; got: boolean }[];
    };
    const pair = (from: string, to: string) => pairs.outcomes.find((o) => o.from === from && o.to === to)?.got;
    expect(pair("client-a on a", "client-b (10.92.0.3)")).toBe(true);
    expect(pair("client-a on a", "client-b (fd00:92::3)")).toBe(true);
    expect(pair("web-b on b", "web-a (10.91.0.2)")).toBe(true);
    expect(pair("client-a on a", "web-b (10.91.0.3)")).toBe(false);
    // each pair judged as the lab says, on either host: the two networks are isolated, and that holds
    expect(pairs.outcomes.find((o) => o.from === "client-a on a" && o.to === "web-b (10.91.0.3)")?.want).toBe(false);
    expect(pairs.outcomes.filter((o) => o.want !== null && o.want !== o.got)).toEqual([]);

    // verify and repair reach both hosts: a tunnel deleted on B is reported and put back
    expect(must(nslab(["verify", "two-hosts"]), "nslab verify")).toMatch(/match/);
    sim.ssh(B, ["ip", "link", "del", "vx-br-front"]);
    expect(ping(A, "web-a", "10.91.0.3")).toBe(false);
    const drift = nslab(["verify", "two-hosts"]);
    expect(drift.code).toBe(1);
    expect(drift.stdout).toMatch(/tunnel vx-br-front of br-front: missing: vxlan vx-br-front/);
    // inspect, run here, shows both hosts' objects, each with its machine, the cut tunnel marked
    const report = JSON.parse(must(nslab(["inspect", "two-hosts", "--json"]), "nslab inspect")) as {
      objects: { kind: string; machine?: string; status: string; observed: Record<string, unknown> }[];
    };
    const tunnels = report.objects.filter((o) => o.kind === "vxlan" && o.observed.device === "vx-br-front");
    expect(tunnels.map((o) => [o.machine, o.status])).toEqual([
      ["a", "ok"],
      ["b", "drift"],
    ]);
    expect(tunnels[0].observed).toMatchObject({
      device: "vx-br-front",
      local: A.address,
      peers: [B.address],
      mtu: 1450,
    });
    expect(
      report.objects
        .filter((o) => o.kind === "endpoint" && /^(web|client)-/.test(String(o.observed.netns)))
        .map((o) => `${String(o.observed.netns)} ${o.machine}`)
        .sort(),
    ).toEqual(["client-a a", "client-b b", "web-a a", "web-b b"]);
    const table = must(nslab(["inspect", "two-hosts"]), "nslab inspect (table)");
    expect(table).toMatch(/on this host and host a, host b/);
    expect(table).toMatch(/TUNNELS/);
    expect(table).toMatch(/! b: tunnel vx-br-front of br-front: missing: vxlan vx-br-front/);
    must(nslab(["repair", "two-hosts"]), "nslab repair");
    expect(ping(A, "web-a", "10.91.0.3")).toBe(true);

    // the firewall is where the stack says, on each host
    for (const h of [A, B]) {
      const tables = sim.ssh(h, ["nft", "list", "tables"]).stdout;
      if (firewall === "nftables") expect(tables).toContain("table inet nslab-two-hosts");
      else expect(sim.ssh(h, ["iptables-save"]).stdout).toContain("NSLAB-IN-br-front");
    }

    must(run(["destroy", "two-hosts", "--auto-approve"]), "cdktf destroy two-hosts");
    expect([A, B].map(stateOf)).toEqual(before);
    expect(hostState(sim.controller)).toEqual(controllerBefore);
  },
);
