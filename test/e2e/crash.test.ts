// End to end: the runner of one lab object (NSLAB_HOOK_KEY) is SIGKILLed after its k-th
// kernel step, for every step of a network, an endpoint and a port mapping, under plain
// Terraform (one synth per stage, so each trial costs only Terraform's own runs).
// Terraform taints the killed resource and never runs its destroy provisioner. After
// each kill either a new apply replaces it (its create removes what the killed one left,
// then builds), or a destroy (the stack's owner removes what was recorded) leaves nothing.
import { existsSync } from "node:fs";
import { must, requireRoot } from "../helpers/cmd";
import { e2eSandbox } from "../helpers/e2e";
import type { LabShape } from "../helpers/lab-shape";
import { EXT_ADDR, HOST_ADDR, hostState } from "../helpers/sandbox";
import { ping, request, serve } from "../helpers/traffic";

requireRoot("e2e");
jest.setTimeout(900_000);

const LAB_NS = ["lk-a1", "lk-a2"];
const { host, ext, project, servers } = e2eSandbox(LAB_NS);

const endpoints = (withPort: boolean) => [
  {
    id: "A1",
    props: { netns: "lk-a1", address: "10.250.9.11" },
    ports: withPort ? [{ id: "Web", props: { hostPort: 8080, containerPort: 80 } }] : [],
  },
  { id: "A2", props: { netns: "lk-a2", address: "10.250.9.12" } },
];
const network = (eps: ReturnType<typeof endpoints>): LabShape => [
  { id: "Net", props: { subnet: "10.250.9.0/24", bridgeName: "lkbr" }, endpoints: eps },
];

// a stage adds one kind of resource to what the one before it built; steps = the commands
// the killed object's create runs (network: bridge, config, route_localnet, firewall;
// endpoint: one host batch, one batch inside; port mapping: one firewall restore)
const STAGES = [
  { kind: "network", key: "network-lkbr", out: "cdktf.out.net", lab: network([]), steps: 4, before: null },
  {
    kind: "endpoint",
    key: "endpoint-lk-a1:eth0",
    out: "cdktf.out.ep",
    lab: network(endpoints(false)),
    steps: 2,
    before: "cdktf.out.net",
  },
  {
    kind: "port mapping",
    key: "portmap-tcp-any-8080",
    out: "cdktf.out.pm",
    lab: network(endpoints(true)),
    steps: 1,
    before: "cdktf.out.ep",
  },
] as const;
const TRIALS = STAGES.flatMap((st) => Array.from({ length: st.steps }, (_, i) => ({ ...st, k: i + 1 })));

const tf = (out: string, args: string[], env: Record<string, string> = {}) =>
  project.terraform([...args, "-input=false", "-no-color"], host, env, out);
const apply = (out: string, env: Record<string, string> = {}) => tf(out, ["apply", "-auto-approve"], env);
let pristine: ReturnType<typeof hostState>;

beforeAll(() => {
  for (const st of STAGES) {
    project.useLab(st.lab);
    must(project.cdktf(["synth", "--output", st.out], host), `cdktf synth ${st.kind}`);
    must(tf(st.out, ["init"]), `terraform init ${st.out}`);
  }
  pristine = hostState(host);
});

function killAt(st: (typeof TRIALS)[number]) {
  if (st.before) must(apply(st.before), `apply ${st.before}`);
  const killed = apply(st.out, { NSLAB_KILL_AFTER_STEP: String(st.k), NSLAB_HOOK_KEY: st.key });
  expect(killed.code).not.toBe(0);
  expect(killed.stdout + killed.stderr).toMatch(/signal: killed|exit status|local-exec provisioner error/);
  // Terraform keeps the killed object as tainted: the next apply replaces it
  expect(must(project.terraform(["show", "-no-color"], host, {}, st.out), "terraform show")).toMatch(/\(tainted\)/);
}

test.each(TRIALS)(
  "killed after step $k of the $kind apply: the next apply converges, then destroy leaves nothing",
  async (st) => {
    killAt(st);
    must(apply(st.out), "apply after the kill");
    expect(must(project.nslab(["verify", "lab-stack", "--out", st.out], host), "nslab verify")).toMatch(
      /objects match the kernel/,
    );
    if (st.kind !== "network") expect(ping("lk-a1", "10.250.9.12")).toBe(true);
    if (st.kind === "port mapping") {
      servers.push(await serve("lk-a1", "tcp", 80, "a1"));
      expect(request(ext, "tcp", HOST_ADDR, 8080)).toBe(`a1 peer=${EXT_ADDR}`);
    }
    must(tf(st.out, ["destroy", "-auto-approve"]), "destroy");
    expect(hostState(host)).toEqual(pristine);
    expect(existsSync(`/run/nslab/${host}`)).toBe(false);
  },
);

test.each(TRIALS)("killed after step $k of the $kind apply, then destroyed at once: nothing is left", (st) => {
  killAt(st);
  must(tf(st.out, ["destroy", "-auto-approve"]), "destroy after the kill");
  expect(hostState(host)).toEqual(pristine);
  expect(existsSync(`/run/nslab/${host}`)).toBe(false);
});
