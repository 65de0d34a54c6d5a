// End to end, issue 19 item 8: every deploy ends with nslab-converge, which checks the
// whole lab against the machine and puts right what is not as declared, whatever the
// cause: a deploy killed with everything under it (Terraform keeps in its state objects
// whose provisioners never finished, and never runs them again), a reboot-like wipe of
// the machine, a device deleted by hand.
import { spawn } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { must, ok, requireRoot } from "../helpers/cmd";
import { e2eSandbox } from "../helpers/e2e";
import type { LabShape } from "../helpers/lab-shape";
import { pidIn, signalOwn } from "../helpers/pids";
import { delNs, EXT_ADDR, HOST_ADDR, inNs } from "../helpers/sandbox";
import { http, ping, request, serve } from "../helpers/traffic";

requireRoot("e2e");
jest.setTimeout(600_000);

const N = 12;
const NS = Array.from({ length: N }, (_, i) => `cv-${i}`);
const { host, ext, project } = e2eSandbox(["ns01", "ns02", ...NS]);

// N endpoints with a published port each: about 2N objects, built ten at a time
const lab: LabShape = [
  {
    id: "Net",
    props: { subnet: "10.250.90.0/24", bridgeName: "cvbr" },
    endpoints: NS.map((netns, i) => ({
      id: `E${i}`,
      props: { netns, address: `10.250.90.${10 + i}` },
      ports: [{ id: "P", props: { hostPort: 9000 + i, containerPort: 80 } }],
    })),
  },
];

/**
 * `terraform apply` killed with everything under it (SIGKILL to its process group, as a
 * power cut, an OOM kill or a CI timeout would) once `after` objects are created.
 */
function applyKilledAfter(after: number): Promise<number> {
  const dir = join(project.dir, "cdktf.out", "stacks", "lab-stack");
  return new Promise((resolve, reject) => {
    const tf = spawn("terraform", [`-chdir=${dir}`, "apply", "-auto-approve", "-input=false", "-no-color"], {
      cwd: project.dir,
      env: { ...process.env, NSLAB_HOST_NETNS: host, CI: "true" },
      detached: true, // its own process group: the runners in flight go with it
      stdio: ["ignore", "pipe", "pipe"],
    });
    let created = 0;
    let killed = false;
    tf.stdout!.on("data", (d: Buffer) => {
      created += (d.toString().match(/_[0-9A-F]{8}: Creation complete after/g) ?? []).length;
      if (!killed && created >= after) {
        killed = true;
        process.kill(-tf.pid!, "SIGKILL");
      }
    });
    tf.on("error", reject);
    tf.on("close", () => resolve(created));
  });
}

test("deploys killed before, during and near the end of the creations: the next deploy builds the lab whole", async () => {
  project.useLab(lab);
  must(project.cdktf(["synth"], host), "cdktf synth");
  must(project.terraform(["init", "-input=false"], host), "terraform init");
  for (const after of [1, N, 2 * N]) {
    const created = await applyKilledAfter(after);
    expect(created).toBeGreaterThanOrEqual(after);
    const out = must(project.terraform(["apply", "-auto-approve", "-input=false", "-no-color"], host), "apply");
    // what the killed run left half-made is put right here, whatever Terraform believes
    expect(out).toMatch(/netops stack lab-stack: this machine: (all|put right)/);
    expect(must(project.nslab(["verify", "lab-stack"], host), `verify after a kill at ${after}`)).toMatch(
      /objects match the kernel/,
    );
    expect(ping(NS[0], `10.250.90.${10 + N - 1}`)).toBe(true);
    const server = await serve(NS[N - 1], "tcp", 80, "cvlast");
    expect(request(ext, "tcp", HOST_ADDR, 9000 + N - 1)).toBe(`cvlast peer=${EXT_ADDR}`);
    await server.stop();
    must(project.terraform(["destroy", "-auto-approve", "-input=false", "-no-color"], host), "destroy");
    expect(NS.filter((ns) => existsSync(`/run/netns/${ns}`))).toEqual([]);
  }
});

// last: the wipe takes the sandbox host, and with it the external client's link to it
test("a veth deleted by hand, then a reboot-like wipe: the next cdktf deploy builds lab-stack back, and its expectations hold", async () => {
  project.useMain(readFileSync(join(__dirname, "..", "..", "main.ts"), "utf8")); // the project's own lab-stack
  must(project.cdktf(["deploy", "lab-stack", "--auto-approve"], host), "cdktf deploy");
  const first = project.cdktf(["deploy", "lab-stack", "--auto-approve"], host);
  expect(first.stdout).toMatch(/this machine: all 6 objects as declared/);

  // the web server's namespace loses its veth: the endpoint is rebuilt, and the server,
  // left running in the namespace that was replaced, is started again in the new one
  ok(inNs(host, ["ip", "link", "del", "veth-ns01"]));
  expect(project.nslab(["verify", "lab-stack"], host).code).toBe(1);
  const fixed = must(project.cdktf(["deploy", "lab-stack", "--auto-approve"], host), "cdktf deploy after the veth");
  expect(fixed).toMatch(
    /this machine: put right 2 of 6: endpoint ns01 \(missing: .*\); workload ns01-web \(different: process node .* runs in a namespace that is no longer ns01/,
  );
  expect(must(project.nslab(["verify", "lab-stack"], host), "verify")).toMatch(/objects match the kernel/);
  expect(http(ext, `http://${HOST_ADDR}:8080/`)).toBe(`hello from ns01, you are ${EXT_ADDR}\n`);
  const again = must(project.cdktf(["deploy", "lab-stack", "--auto-approve"], host), "cdktf deploy (nothing to do)");
  expect(again).toMatch(/this machine: all 6 objects as declared/);

  // a reboot, as far as the lab can tell: its processes, its namespaces (the sandbox
  // host's among them) and what it keeps under /run are gone; Terraform's state is not
  signalOwn(pidIn(`/run/nslab/${host}/lab-stack/workload-ns01-web.pid`), "SIGKILL");
  delNs("ns01", "ns02", host);
  for (const dir of [`/run/nslab/${host}`, "/etc/netns/ns01", "/etc/netns/ns02"])
    rmSync(dir, { recursive: true, force: true });
  const back = must(project.cdktf(["deploy", "lab-stack", "--auto-approve"], host), "cdktf deploy after the wipe");
  expect(back).toMatch(/sandbox host \S+: created: a namespace standing in/);
  expect(back).toMatch(/this machine: put right 6 of 6: /);
  expect(must(project.nslab(["test", "lab-stack"], host), "nslab test")).toMatch(/\n6 of 6 hold\n$/);
  must(project.cdktf(["destroy", "lab-stack", "--auto-approve"], host), "cdktf destroy");
  expect(ok(["ip", "netns", "list"])).not.toMatch(/ns0[12]/);
});
