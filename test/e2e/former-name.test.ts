// End to end, issue 20: a lab deployed by the last version called netlab (the commit
// before the rename, checked out of this repository's history), then the project
// upgraded to nslab, as a user's is. Destroyed right after the upgrade, it leaves the host
// as it was; deployed again, nothing is rebuilt (the owner is not replaced, the workloads
// keep running), the former name is gone from the machine, verify is clean, traffic flows,
// and destroy leaves the host as it was. Both firewalls (iptables chains, the nftables
// table), a workload, a delay line, impairments, a sandbox and a link, a route, names files.
import { existsSync, readdirSync, rmdirSync, rmSync } from "node:fs";
import { cmd, must, ok, requireRoot } from "../helpers/cmd";
import { e2eSandbox } from "../helpers/e2e";
import { pidIn, signalOwn, type Own } from "../helpers/pids";
import { HOST_ADDR, hostState, inNs } from "../helpers/sandbox";
import { startTime } from "../../netops/proc";
import { FORMER_NAME } from "../../model/former-name";
import { NAME } from "../../model/name";

requireRoot("e2e");
jest.setTimeout(600_000);

/** The last commit of the former name: the rename's parent. */
const FORMER_VERSION = "c218fce04f6a6c429a298727560c0bc886a67d40";
const STACKS = ["fn-1", "fn-2"];
const NAMESPACES = [1, 2].flatMap((n) => [`fn${n}-web`, `fn${n}-late`, `fn${n}-s`]);
const { host, ext, project } = e2eSandbox(NAMESPACES);

// the same main.ts before and after the upgrade: the constructs kept their names
const main = `import { App } from "cdktf";
import { ContainerNetwork, Firewall, LabStack, Protocol, Route, Sandbox, VethLink } from "./constructs";
const SERVER = "require('http').createServer((q, s) => s.end('hello\\\\n')).listen(80)";
const app = new App();
for (const [n, firewall] of [[1, Firewall.IPTABLES], [2, Firewall.NFTABLES]] as const) {
  const stack = new LabStack(app, "fn-" + n, { firewall });
  const net = new ContainerNetwork(stack, "N", { bridgeName: "fnbr" + n, subnet: "10.246." + n + ".0/24" });
  const web = net.addEndpoint("Web", { netns: "fn" + n + "-web", nameservers: ["10.246." + n + ".1"] });
  web.publish("P", { hostPort: 8080 + n, containerPort: 80, protocol: Protocol.TCP });
  web.run("Server", { name: "fn" + n + "-web", command: ["node", "-e", SERVER] });
  net.addEndpoint("Late", { netns: "fn" + n + "-late", impairment: { delayMs: 5, lossPercent: 1 } });
  const s = new Sandbox(stack, "S", { netns: "fn" + n + "-s" });
  new VethLink(stack, "L", {
    a: { sandbox: s, interfaceName: "v0", address: "172.30." + n + ".2/30" },
    b: { interfaceName: "fnv" + n, address: "172.30." + n + ".1/30" },
    impairment: { lossPercent: 1 },
  });
  new Route(stack, "R", { destination: "10.247." + n + ".0/24", via: "172.30." + n + ".2" });
}
app.synth();
`;

/** Every place a lab writes a name on this host: links (aliases), rules, tables, names files, the ledger. */
function footprint(): string {
  const lab = NAMESPACES.filter((ns) => existsSync(`/run/netns/${ns}`));
  const inEach = (argv: string[]) => [ok(inNs(host, argv)), ...lab.map((ns) => ok(inNs(ns, argv)))].join("\n");
  const ledgers = [NAME, FORMER_NAME].map((n) => `/run/${n}/${host}`).filter((d) => existsSync(d));
  return [
    inEach(["ip", "-d", "link", "show"]),
    inEach(["nft", "list", "ruleset"]),
    ok(inNs(host, ["iptables-save"])),
    ok(inNs(host, ["ip6tables-save"])),
    ...lab.flatMap((ns) => ["hosts", "resolv.conf"].map((f) => cmd(["cat", `/etc/netns/${ns}/${f}`]).stdout)),
    ...ledgers.map((d) => `${d}: ${readdirSync(d).join(" ")}`),
  ].join("\n");
}
const formerLines = () =>
  footprint()
    .split("\n")
    .filter((l) => l.toLowerCase().includes(FORMER_NAME));

/**
 * A published port, from the host itself (the nftables stack leaves forwarding to the
 * host's own FORWARD policy, which this sandbox host sets to DROP) and, for the iptables
 * stack, from outside.
 */
const curl = (port: number, from = host) =>
  cmd(inNs(from, ["curl", "-s", "--max-time", "5", `http://${HOST_ADDR}:${port}/`])).stdout;
const server = (n: number, name: string) => pidIn(`/run/${name}/${host}/fn-${n}/workload-fn${n}-web.pid`);

/** Deploy both stacks with the former version, and check they are what it made. */
function deployFormer(): Own[] {
  project.useVersion(FORMER_VERSION);
  project.useMain(main);
  const former = { [`${FORMER_NAME.toUpperCase()}_HOST_NETNS`]: host };
  must(project.cdktf(["deploy", ...STACKS, "--auto-approve"], host, former), "cdktf deploy (former version)");
  expect(formerLines().length).toBeGreaterThan(20);
  expect(curl(8081, ext)).toBe("hello\n");
  expect(curl(8082)).toBe("hello\n");
  return [1, 2].map((n) => server(n, FORMER_NAME));
}

function expectGone(before: ReturnType<typeof hostState>, servers: Own[]): void {
  expect(hostState(host)).toEqual(before);
  expect(footprint().match(/fn-[12]|fnbr|fnv/g)).toBeNull();
  for (const s of servers) expect(startTime(s.pid)).not.toBe(s.start);
  for (const n of [NAME, FORMER_NAME]) expect(existsSync(`/run/${n}/${host}`)).toBe(false);
  for (const ns of NAMESPACES) expect(existsSync(`/etc/netns/${ns}`)).toBe(false);
}

/** Processes either version recorded for this host (workloads, delay lines' relays), by their pid files. */
function recordedProcesses(): Own[] {
  return [NAME, FORMER_NAME].flatMap((n) => {
    const root = `/run/${n}/${host}`;
    if (!existsSync(root)) return [];
    return readdirSync(root, { recursive: true })
      .map(String)
      .filter((f) => f.endsWith(".pid"))
      .flatMap((f) => {
        try {
          return [pidIn(`${root}/${f}`, 0)];
        } catch {
          return []; // not running
        }
      });
  });
}

afterEach(() => {
  // a failed test: its lab goes with the code of now, then what is still running by its
  // pid, and the former version's records by this host's name
  project.useVersion();
  const left = recordedProcesses();
  project.cdktf(["destroy", ...STACKS, "--auto-approve"], host);
  left.forEach((p) => signalOwn(p, "SIGKILL"));
  rmSync(`/run/${FORMER_NAME}/${host}`, { recursive: true, force: true });
  if (existsSync(`/run/${FORMER_NAME}`) && readdirSync(`/run/${FORMER_NAME}`).length === 0)
    rmdirSync(`/run/${FORMER_NAME}`);
});

test("deployed as netlab, destroyed right after the upgrade: the host is as it was (the sandbox named by the former variable)", () => {
  const before = hostState(host);
  const servers = deployFormer();
  project.useVersion();
  // the user's environment still says NETLAB_HOST_NETNS: read, with a warning, never the real host
  const env = { NSLAB_HOST_NETNS: "", [`${FORMER_NAME.toUpperCase()}_HOST_NETNS`]: host };
  const synth = project.cdktf(["synth"], host, env);
  expect(synth.stdout + synth.stderr).toMatch(/read NETLAB_HOST_NETNS, the former name of NSLAB_HOST_NETNS/);
  must(project.cdktf(["destroy", ...STACKS, "--auto-approve"], host, env), "cdktf destroy (after the upgrade)");
  expectGone(before, servers);
});

test("deployed as netlab, deployed again after the upgrade: nothing rebuilt, the former name gone, verify clean, then destroyed", () => {
  const before = hostState(host);
  const servers = deployFormer();
  project.useVersion();
  const out = must(project.cdktf(["deploy", ...STACKS, "--auto-approve"], host), "cdktf deploy (after the upgrade)");
  // the stack's own resources moved to their new names (the owner was not replaced: its
  // destroy would have taken the lab down), and the workloads kept running
  expect(out).not.toMatch(/owner[^\n]*Destroying/);
  expect([1, 2].map((n) => server(n, NAME))).toEqual(servers);
  expect(formerLines()).toEqual([]);
  for (const stack of STACKS) expect(must(project.nslab(["verify", stack], host), "nslab verify")).toMatch(/match/);
  expect(curl(8081, ext)).toBe("hello\n");
  expect(curl(8082)).toBe("hello\n");
  for (const n of [1, 2]) ok(inNs(host, ["ping", "-c", "3", "-i", "0.2", "-W", "2", `172.30.${n}.2`])); // 1% loss
  must(project.cdktf(["destroy", ...STACKS, "--auto-approve"], host), "cdktf destroy");
  expectGone(before, servers);
});
