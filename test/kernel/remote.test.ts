// Kernel tier: objects on another machine (issue 13). The runner here forwards create and
// destroy over ssh to its own copy on a simulated host (helpers/hosts.ts), made there once
// per version; the spec crosses as base64. A host that cannot be reached fails the call
// with its name. Root only.
import { join } from "node:path";
import { toLine } from "../../model/line";
import type { RemoteSpec, SandboxSpec } from "../../model/schema";
import { cmd, requireRoot } from "../helpers/cmd";
import { simHosts, type SimHosts } from "../helpers/hosts";
import { inNs, uniq } from "../helpers/sandbox";

requireRoot("kernel");
jest.setTimeout(120_000);

const RUNNER = join(__dirname, "../../dist/netops.cjs");
let sim: SimHosts;
let remote: (i: number) => RemoteSpec;
beforeAll(() => {
  sim = simHosts(uniq("nlr"), 2);
  remote = (i) => ({
    name: `h${i}`,
    address: sim.hosts[i]?.address ?? "10.199.0.99",
    user: "root",
    port: 22,
    identityFile: sim.keyFile,
    knownHosts: join(sim.keyFile, "..", "known_hosts"),
  });
});
afterAll(() => sim?.remove());

const sandbox = (netns: string, at: number): SandboxSpec => ({
  v: 1,
  stack: "rtest",
  kind: "sandbox",
  netns,
  remote: remote(at),
});
const runner = (verb: string, s: SandboxSpec) => cmd(inNs(sim.controller, ["node", RUNNER, verb, toLine(s)]));
const netnsOn = (i: number) => sim.ssh(sim.hosts[i], ["ip", "netns", "list"]).stdout;
const copies = (i: number) => sim.ssh(sim.hosts[i], ["sh", "-c", "'ls -l --time-style=+%s.%N /var/lib/nslab'"]).stdout;

test("create and destroy run on the object's host, with a copy of the runner made there once", () => {
  const a = sandbox(uniq("nlra"), 0);
  const first = runner("create", a);
  expect(first.stderr).toBe("");
  expect(first.code).toBe(0);
  expect(netnsOn(0)).toContain(a.netns);
  expect(netnsOn(1)).not.toContain(a.netns);
  expect(cmd(["ip", "netns", "list"]).stdout).not.toContain(a.netns);
  const copy = copies(0);
  expect(copy).toMatch(/netops-[0-9a-f]{12}\.cjs/);
  expect(copies(1)).not.toMatch(/netops-/); // only where it was needed

  // a second object: the copy is used as it is
  const b = sandbox(uniq("nlrb"), 0);
  expect(runner("create", b).code).toBe(0);
  expect(copies(0)).toBe(copy);

  for (const s of [a, b]) expect(runner("destroy", s).code).toBe(0);
  expect(netnsOn(0)).not.toContain(a.netns);
  expect(netnsOn(0)).not.toContain(b.netns);
});

test("a host that cannot be reached fails the create, naming it; nothing is made anywhere", () => {
  const s = sandbox(uniq("nlrx"), 5);
  const r = runner("create", s);
  expect(r.code).not.toBe(0);
  expect(r.stderr).toMatch(/host h5 \(root@10\.199\.0\.99:22\): cannot be reached/);
  expect(netnsOn(0)).not.toContain(s.netns);
});
