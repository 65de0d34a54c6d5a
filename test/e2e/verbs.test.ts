// End to end, default mode: Terraform's own verbs mean on the kernel what they say, as a
// Terraform user expects. Real cdktf and terraform in a sandbox host, real traffic:
//   -replace of one endpoint rebuilds it and what hangs off it, nothing else
//   destroy -target of a port mapping removes exactly its rules
//   a create that fails half-way leaves the network in state and working, the endpoint
//   absent from the kernel, and the next deploy finishes
//   taint rebuilds an object whose destroy provisioner Terraform skips
//   two stacks applied at once (`cdktf deploy a b`) both work, and destroy together
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { cmd, must, ok, requireRoot } from "../helpers/cmd";
import { e2eSandbox } from "../helpers/e2e";
import { twoStacksMain, type LabShape } from "../helpers/lab-shape";
import { EXT_ADDR, HOST_ADDR, hostState, inNs } from "../helpers/sandbox";
import { ping, request, serve } from "../helpers/traffic";

requireRoot("e2e");
jest.setTimeout(600_000);

const PEER = join(__dirname, "..", "helpers", "peer.js");
const LAB_NS = ["vb-a1", "vb-a2", "vb-s1", "vb-s2"];
const { host, ext, project, servers } = e2eSandbox(LAB_NS);

const lab: LabShape = [
  {
    id: "Net",
    props: { subnet: "10.250.30.0/24", bridgeName: "vbbr" },
    endpoints: [
      {
        id: "A1",
        props: { netns: "vb-a1", address: "10.250.30.11" },
        ports: [{ id: "Web", props: { hostPort: 8080, containerPort: 80 } }],
        workloads: [{ id: "Server", props: { name: "vb-web", command: ["node", PEER, "serve", "tcp", "80", "a1"] } }],
      },
      {
        id: "A2",
        props: { netns: "vb-a2", address: "10.250.30.12" },
        ports: [{ id: "Dns", props: { hostPort: 5353, containerPort: 53, protocol: "udp" as never } }],
      },
    ],
  },
];

const stackDir = (stack = "lab-stack") => join(project.dir, "cdktf.out", "stacks", stack);
/** The Terraform address of the lab object with this key (its trigger line starts with it). */
function addressOf(key: string, stack = "lab-stack"): string {
  const tf = JSON.parse(readFileSync(join(stackDir(stack), "cdk.tf.json"), "utf8"));
  const hit = Object.entries(tf.resource.terraform_data as Record<string, { triggers_replace: unknown }>).find(
    ([, r]) => typeof r.triggers_replace === "string" && r.triggers_replace.startsWith(`${key} `),
  );
  if (!hit) throw new Error(`no resource with key ${key}`);
  return `terraform_data.${hit[0]}`;
}
/** apply or destroy with plain terraform; other verbs take neither flag */
const tf = (args: string[], env: Record<string, string> = {}) =>
  project.terraform([...args, "-input=false", "-no-color"], host, env);
const tfq = (args: string[]) => project.terraform([...args, ...(args[0] === "show" ? ["-no-color"] : [])], host);
const deploy = (env: Record<string, string> = {}) =>
  project.cdktf(["deploy", "lab-stack", "--auto-approve"], host, env);
const verifyClean = () =>
  expect(must(project.nslab(["verify", "lab-stack"], host), "nslab verify")).toMatch(/objects match the kernel/);
const pidOf = () => Number(readFileSync(`/run/nslab/${host}/lab-stack/workload-vb-web.pid`, "utf8").split(" ")[0]);
const ifindex = (ns: string | null, dev: string) =>
  (
    JSON.parse(
      ok(
        ns ? ["ip", "-n", ns, "-j", "link", "show", "dev", dev] : inNs(host, ["ip", "-j", "link", "show", "dev", dev]),
      ),
    )[0] as { ifindex: number }
  ).ifindex;
/** A veth pair left inside a namespace tells whether it is still the same namespace. */
const mark = (ns: string) => {
  cmd(["ip", "-n", ns, "link", "del", "vbmark"]); // an older mark, if the namespace is still the same
  ok(["ip", "-n", ns, "link", "add", "vbmark", "type", "veth", "peer", "name", "vbmark2"]);
};
const sameNs = (ns: string) => cmd(["ip", "-n", ns, "link", "show", "dev", "vbmark"]).code === 0;

test("-replace of one endpoint rebuilds it and what hangs off it (its port mapping, its workload), nothing else", () => {
  project.useLab(lab);
  must(deploy(), "cdktf deploy");
  expect(request(ext, "tcp", HOST_ADDR, 8080)).toBe(`a1 peer=${EXT_ADDR}`);
  mark("vb-a1");
  mark("vb-a2");
  expect(ping("vb-a2", "10.250.30.11")).toBe(true); // vb-a2's neighbour table now holds vb-a1's MAC
  const bridge = ifindex(null, "vbbr");
  const pid = pidOf();

  const out = must(
    tf(["apply", "-auto-approve", `-replace=${addressOf("endpoint-vb-a1:eth0")}`]),
    "terraform apply -replace",
  );
  expect(out).toMatch(/will be replaced, as requested/);
  expect(out).toMatch(/Apply complete! Resources: 4 added, 0 changed, 4 destroyed/); // endpoint, port mapping, workload; nslab-converge
  expect(sameNs("vb-a1")).toBe(false); // rebuilt
  expect(sameNs("vb-a2")).toBe(true); // untouched
  // issue 10, item 3: the neighbour reaches it at once (one ping, 1 s), its old entry still
  // right: the rebuilt endpoint has the same MAC (02:42 + its address), not a new random one
  expect(ping("vb-a2", "10.250.30.11")).toBe(true);
  expect(ok(["ip", "-n", "vb-a2", "neigh", "show", "10.250.30.11"])).toMatch(/lladdr 02:42:0a:fa:1e:0b /);
  expect(ifindex(null, "vbbr")).toBe(bridge);
  expect(pidOf()).not.toBe(pid); // the workload runs in the new namespace
  expect(request(ext, "tcp", HOST_ADDR, 8080)).toBe(`a1 peer=${EXT_ADDR}`);
  expect(ping("vb-a1", "10.250.30.12")).toBe(true);
  verifyClean();
});

test("destroy -target of a port mapping removes exactly its rules", async () => {
  servers.push(await serve("vb-a2", "udp", 53, "a2"));
  expect(request(ext, "udp", HOST_ADDR, 5353)).toBe(`a2 peer=${EXT_ADDR}`);
  const rules = () =>
    new Set(
      ok(inNs(host, ["iptables-save"]))
        .split("\n")
        .filter((l) => l.startsWith("-A")),
    );
  const before = rules();
  must(tf(["destroy", "-auto-approve", `-target=${addressOf("portmap-udp-any-5353")}`]), "terraform destroy -target");
  const after = rules();
  const removed = [...before].filter((l) => !after.has(l));
  expect(removed).toHaveLength(2); // its DNAT and its accept, nothing else
  expect(removed.every((l) => l.includes("10.250.30.12") && l.includes("dport 53"))).toBe(true);
  expect([...after].filter((l) => !before.has(l))).toEqual([]);
  expect(request(ext, "udp", HOST_ADDR, 5353)).toBeNull();
  expect(request(ext, "tcp", HOST_ADDR, 8080)).toBe(`a1 peer=${EXT_ADDR}`);
  // the next deploy puts it back: it is still declared
  must(deploy(), "cdktf deploy");
  expect(request(ext, "udp", HOST_ADDR, 5353)).toBe(`a2 peer=${EXT_ADDR}`);
});

test("taint rebuilds: the tainted endpoint's create removes the old one first (Terraform skips its destroy)", () => {
  mark("vb-a2");
  must(tfq(["taint", addressOf("endpoint-vb-a2:eth0")]), "terraform taint");
  const out = must(tf(["apply", "-auto-approve"]), "terraform apply");
  expect(out).toMatch(/rebuilding: its previous instance was not destroyed/);
  expect(sameNs("vb-a2")).toBe(false);
  expect(ping("vb-a2", "10.250.30.1")).toBe(true);
  verifyClean();
  must(project.cdktf(["destroy", "lab-stack", "--auto-approve"], host), "cdktf destroy");
});

test("a create that fails half-way: the network stays in state and works, the endpoint is absent, the next deploy finishes", () => {
  project.cdktf(["destroy", "lab-stack", "--auto-approve"], host); // whatever an earlier test left
  const pristine = hostState(host);
  project.useLab(lab);
  const failed = deploy({ NSLAB_FAIL_AFTER_STEP: "1", NSLAB_HOOK_KEY: "endpoint-vb-a2:eth0" });
  expect(failed.code).not.toBe(0);
  expect(failed.stdout + failed.stderr).toMatch(/injected failure/);
  const state = must(tfq(["state", "list"]), "terraform state list");
  expect(state).toContain(addressOf("network-vbbr"));
  // the failed endpoint rolled back: nothing of it on the kernel (Terraform keeps it tainted)
  expect(existsSync("/run/netns/vb-a2")).toBe(false);
  expect(cmd(inNs(host, ["ip", "link", "show", "dev", "veth-vb-a2"])).code).not.toBe(0);
  expect(must(tfq(["show"]), "terraform show")).toMatch(/\(tainted\)/);
  // the network works: the host reaches its gateway address on the bridge
  expect(ok(inNs(host, ["ip", "-j", "addr", "show", "dev", "vbbr"]))).toContain("10.250.30.1");
  expect(ping(host, "10.250.30.1")).toBe(true);
  must(deploy(), "cdktf deploy after the failure");
  expect(ping("vb-a2", "10.250.30.11")).toBe(true);
  verifyClean();
  must(project.cdktf(["destroy", "lab-stack", "--auto-approve"], host), "cdktf destroy");
  expect(hostState(host)).toEqual(pristine);
});

test("two stacks applied at once (cdktf deploy a b) both work, and destroy together", () => {
  const pristine = hostState(host);
  project.useMain(twoStacksMain("vb", 40, 9100));
  const up = project.cdktf(["deploy", "stack-a", "stack-b", "--auto-approve"], host);
  must(up, "cdktf deploy stack-a stack-b");
  for (const s of ["stack-a", "stack-b"])
    expect(must(project.nslab(["verify", s], host), `nslab verify ${s}`)).toMatch(/objects match the kernel/);
  expect(ping("vb-s1", "10.250.41.1")).toBe(true);
  expect(ping("vb-s2", "10.250.42.1")).toBe(true);
  expect(ping(host, "10.250.42.2")).toBe(true);
  expect(ping("vb-s1", "10.250.42.2")).toBe(false); // two stacks' networks are isolated like any two networks
  must(project.cdktf(["destroy", "stack-a", "stack-b", "--auto-approve"], host), "cdktf destroy stack-a stack-b");
  expect(hostState(host)).toEqual(pristine);
  expect(existsSync(`/run/nslab/${host}`) ? readdirSync(`/run/nslab/${host}`, { recursive: true }) : []).toEqual([]);
});
