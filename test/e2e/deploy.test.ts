// End to end: `nslab deploy|destroy|diff`, which synthesize with the project's app and run
// Terraform directly. Either tool undoes what the other did (one cdktf.out, one state);
// the output names objects and shows no spec; a failed create shows the runner's message
// and the construct's path; Ctrl-C stops the deploy, and the next one finishes it; a
// deploy synthesized for another sandbox host than the lab's is refused.
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { must, requireRoot } from "../helpers/cmd";
import { e2eSandbox } from "../helpers/e2e";
import { EXT_ADDR, HOST_ADDR, hostState } from "../helpers/sandbox";
import { http, ping } from "../helpers/traffic";

requireRoot("e2e");
jest.setTimeout(300_000);

const { host, ext, project } = e2eSandbox(["ns01", "ns02", "dp-a"]);
const nslab = (...args: string[]) => project.nslab(args, host);
const cdktf = (...args: string[]) => project.cdktf(args, host);
/** What a spec looks like wherever Terraform would echo one. */
const SPEC = /"kind":|\{"v":1/;

const works = () => {
  expect(ping("ns01", "192.168.88.12")).toBe(true);
  expect(http(ext, `http://${HOST_ADDR}:8080/`)).toBe(`hello from ns01, you are ${EXT_ADDR}\n`);
};

test("nslab deploy, then cdktf destroy; cdktf deploy, then nslab destroy: each leaves the host as it was", () => {
  const before = hostState(host);
  const deploy = nslab("deploy", "lab-stack");
  expect(deploy.code).toBe(0);
  // a line per object as it finishes, the summary, the converge's word; no spec anywhere
  expect(deploy.stdout).toMatch(/^ {2}\+ endpoint ns01 +\d+\.\d\d s$/m);
  expect(deploy.stdout).toMatch(/^ {2}\+ port \*:8080\/tcp -> 192\.168\.88\.11:80 +\d+\.\d\d s$/m);
  expect(deploy.stdout).toMatch(/^lab-stack: deployed in [\d.]+ s \(synth [\d.]+ s, terraform [\d.]+ s\): 6 created$/m);
  expect(deploy.stdout).toMatch(/^ {2}this machine: all 6 objects as declared$/m);
  expect(deploy.stdout + deploy.stderr).not.toMatch(SPEC);
  works();

  // nothing to do: diff says so (exit 0) and a deploy changes no object
  expect(must(nslab("diff", "lab-stack"), "nslab diff")).toMatch(/lab-stack: no change/);
  expect(must(nslab("deploy", "lab-stack"), "nslab deploy (again)")).toMatch(/: no object changed$/m);
  // synthesized for another place (a forgotten NSLAB_HOST_NETNS): refused, nothing touched
  const elsewhere = project.nslab(["deploy", "lab-stack"], `${host}x`);
  expect(elsewhere.code).toBe(2);
  expect(elsewhere.stderr).toContain(
    `lab-stack is deployed on sandbox host ${host}, and this synth puts it on sandbox host ${host}x`,
  );
  expect(elsewhere.stderr).toContain(`set NSLAB_HOST_NETNS=${host} `);
  expect(existsSync(`/run/netns/${host}x`)).toBe(false);
  works();

  // the state nslab wrote is cdktf's: its destroy removes everything
  must(cdktf("destroy", "lab-stack", "--auto-approve"), "cdktf destroy");
  expect(hostState(host)).toEqual(before);

  // and the other way round; cdktf's output shows the runner's lines, not specs (quiet provisioners)
  const viaCdktf = must(cdktf("deploy", "lab-stack", "--auto-approve"), "cdktf deploy");
  expect(viaCdktf).toMatch(/netops endpoint ns01: create namespace ns01/);
  expect(viaCdktf).not.toMatch(SPEC);
  works();
  const destroy = nslab("destroy", "lab-stack", "--json");
  expect(destroy.code).toBe(0);
  const report = JSON.parse(destroy.stdout);
  expect(report).toMatchObject({ v: 1, verb: "destroy", exitCode: 0, stacks: [{ stack: "lab-stack" }] });
  expect(report.stacks[0].counts.destroyed).toBe(6);
  expect(report.stacks[0].objects).toContainEqual(
    expect.objectContaining({ label: "endpoint ns01", path: "lab-stack/Br01/Ns01", action: "delete", ok: true }),
  );
  expect(hostState(host)).toEqual(before);
});

test("a create that fails shows the runner's message and the construct's path; fixed, the next deploy finishes", () => {
  const before = hostState(host);
  const lab = (command: string[]) => [
    {
      id: "Net",
      props: { subnet: "10.97.0.0/24", bridgeName: "br-dp" },
      endpoints: [
        { id: "A", props: { netns: "dp-a" }, workloads: [{ id: "Srv", props: { name: "dp-srv", command } }] },
      ],
    },
  ];
  project.useLab(lab(["sh", "-c", "echo cannot read /etc/dp.conf; exit 3"]));
  const failed = nslab("deploy", "lab-stack");
  expect(failed.code).toBe(1);
  expect(failed.stdout).toMatch(/^ {2}✗ workload dp-srv failed \(lab-stack\/Net\/A\/Srv\):$/m);
  expect(failed.stdout).toMatch(/^ {6}.*exited at once/m);
  expect(failed.stdout).toMatch(/^ {6}cannot read \/etc\/dp\.conf$/m);
  expect(failed.stdout).toMatch(/^lab-stack: deploy failed after .*: workload dp-srv \(exit 1\)$/m);
  expect(failed.stdout + failed.stderr).not.toMatch(SPEC);

  project.useLab(lab(["sleep", "600"]));
  const fixed = must(nslab("deploy", "lab-stack"), "nslab deploy (fixed)");
  expect(fixed).toMatch(/^ {2}\+ workload dp-srv /m);
  expect(must(nslab("verify", "lab-stack"), "nslab verify")).toMatch(/match/);
  must(nslab("destroy", "lab-stack"), "nslab destroy");
  expect(hostState(host)).toEqual(before);
});

test("Ctrl-C stops a deploy gracefully; the next deploy finishes the lab", async () => {
  project.useMain(readFileSync(join(__dirname, "..", "..", "main.ts"), "utf8")); // lab-stack again
  const before = hostState(host);
  // one object at a time, so the interrupt lands with objects still to make
  const child = spawn("node", [join(project.dir, "bin", "nslab.js"), "deploy", "lab-stack", "--parallelism", "1"], {
    cwd: project.dir,
    env: { ...process.env, NSLAB_HOST_NETNS: host, CI: "true" },
  });
  let out = "";
  const exit = new Promise<number | null>((done) => child.on("exit", (code) => done(code)));
  await new Promise<void>((started) =>
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      if (/^ {2}\+ /m.test(out)) started();
    }),
  );
  child.kill("SIGINT"); // nslab's own pid: as a Ctrl-C at its terminal
  expect(await exit).not.toBe(0);
  expect(out).toMatch(/stopping: nothing new starts; what was being made is left for the next deploy/);
  expect(out).not.toMatch(/terraform error|signal: killed|execution halted/); // a line per object it killed, if any
  expect(out).not.toMatch(SPEC);
  expect(out).toMatch(/^lab-stack: deploy interrupted after .*: run `nslab deploy lab-stack` again to finish$/m);
  expect(out.match(/^ {2}\+ /gm)!.length).toBeLessThan(6);

  const again = must(nslab("deploy", "lab-stack"), "nslab deploy (after Ctrl-C)");
  expect(again).toMatch(/this machine: all 6 objects as declared/);
  works();
  must(nslab("destroy", "lab-stack"), "nslab destroy");
  expect(hostState(host)).toEqual(before);
});
