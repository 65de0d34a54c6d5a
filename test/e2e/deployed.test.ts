// End to end: the deployed lab is a record of its own (issue 30). The CLI runs inside a
// throwaway namespace that plays this machine's root ("the real host", made by the test),
// and deploys lab-stack into a sandbox host that nslab itself makes. Then, as a user who
// forgot the variable once: a diff without it (refused: cdktf.out left as it was), a plain
// `cdktf synth` without it (which does rewrite cdktf.out, for the real host), and every
// run-time verb: each acts on what is deployed, in the sandbox, and nothing of the lab
// appears in the "real host". One deploy serves the rest: boot restore after a
// reboot-like wipe, with the project folder moved away and no terraform on PATH, and a
// destroy that leaves nothing (the sandbox host nslab made included).
import { existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { recordRoot } from "../../model/record";
import { startTime } from "../../netops/proc";
import { cmd, must, ok, requireRoot, type Out } from "../helpers/cmd";
import { projectCopy } from "../helpers/project";
import { addExternal, addHost, delNs, EXT_ADDR, HOST_ADDR, hostState, inNs, uniq } from "../helpers/sandbox";
import { http, ping, processesWith } from "../helpers/traffic";

requireRoot("e2e");
jest.setTimeout(600_000);

const ROOT = uniq("nlr"); // plays the machine's root namespace
const SANDBOX = uniq("nls"); // made by nslab's deploy, not by the test
const EXT = uniq("nlx");
const WEB_MARK = "hello from ns01";
const project = projectCopy();
const units = mkdtempSync(join(tmpdir(), "nslab-units-"));
let dir = project.dir;

/** The nslab CLI as a user on "the real host" runs it: in ROOT, NSLAB_HOST_NETNS only when given. */
function nslab(args: string[], opts: { sandbox?: string; cwd?: string; env?: Record<string, string> } = {}): Out {
  const { NSLAB_HOST_NETNS: _, ...env } = process.env;
  return cmd(inNs(ROOT, ["node", join(dir, "bin", "nslab.js"), ...args]), {
    cwd: opts.cwd ?? dir,
    env: { ...env, CI: "true", ...(opts.sandbox ? { NSLAB_HOST_NETNS: opts.sandbox } : {}), ...opts.env },
  });
}
/** What the lab must never touch in the "real host": its links, routes, firewall, forwarding. */
const rootState = () => {
  const { netns: _, ...rest } = hostState(ROOT);
  return rest;
};
/** The lab's web servers running in a namespace (another test run's twin elsewhere is not ours). */
const serversIn = (ns: string) => {
  const inode = statSync(`/run/netns/${ns}`).ino;
  return processesWith(WEB_MARK).filter((pid) => {
    try {
      return statSync(`/proc/${pid}/ns/net`).ino === inode;
    } catch {
      return false; // gone meanwhile
    }
  });
};
const pidFile = `/run/nslab/${SANDBOX}/lab-stack/workload-ns01-web.pid`;
const webPid = () => Number(readFileSync(pidFile, "utf8").split(" ")[0]);
const synthOut = () =>
  readdirSync(join(dir, "cdktf.out", "stacks", "lab-stack", "nslab")).map((f) =>
    readFileSync(join(dir, "cdktf.out", "stacks", "lab-stack", "nslab", f), "utf8"),
  );

beforeAll(() => {
  for (const ns of ["ns01", "ns02", SANDBOX])
    if (existsSync(`/run/netns/${ns}`)) throw new Error(`namespace ${ns} already exists; remove it first`);
  addHost(ROOT);
  ok(inNs(ROOT, ["sysctl", "-qw", "net.ipv4.ip_forward=0"]));
});

afterAll(() => {
  if (dir !== project.dir) renameSync(dir, project.dir);
  dir = project.dir;
  nslab(["destroy", "lab-stack"], { sandbox: SANDBOX });
  if (existsSync(pidFile)) process.kill(-webPid(), "SIGKILL"); // a failed run's workload, by its own pid
  delNs("ns01", "ns02", EXT, SANDBOX, ROOT);
  for (const d of [`/run/nslab/${SANDBOX}`, join(recordRoot(), SANDBOX), units])
    rmSync(d, { recursive: true, force: true });
  project.remove();
});

test("every verb acts on the deployed lab, in its sandbox, whatever the last synth says; nothing is built in the real host", () => {
  const before = rootState();
  must(nslab(["deploy", "lab-stack"], { sandbox: SANDBOX }), "nslab deploy");
  expect(existsSync(`/run/netns/${SANDBOX}`)).toBe(true);
  const pid = webPid();
  const synth = synthOut();

  // a diff without the variable: refused, and cdktf.out is as it was
  const diff = nslab(["diff", "lab-stack"]);
  expect(diff.code).toBe(1);
  expect(diff.stderr).toContain(
    `lab-stack is deployed on sandbox host ${SANDBOX}, and this synth puts it on the real host: the diff would rebuild every object there`,
  );
  expect(synthOut()).toEqual(synth);
  // a plain synth without it does rewrite cdktf.out, for the real host
  must(
    cmd([join(dir, "node_modules", ".bin", "cdktf"), "synth"], {
      cwd: dir,
      env: { ...process.env, NSLAB_HOST_NETNS: "", CI: "true" },
    }),
    "cdktf synth",
  );
  expect(synthOut()).not.toEqual(synth);

  // the run-time verbs, with the variable and without: on the sandbox, saying the synth differs
  const differs = `the code's last synth (cdktf.out) puts it on the real host, and it is deployed on sandbox host ${SANDBOX}`;
  for (const sandbox of [SANDBOX, undefined]) {
    const repair = nslab(["repair", "lab-stack"], { sandbox });
    expect(must(repair, "nslab repair")).toMatch(/this machine: all 6 objects as declared/);
    expect(repair.stderr).toContain(differs);
    expect(must(nslab(["verify", "lab-stack"], { sandbox }), "nslab verify")).toBe(
      `nslab: lab-stack: 6 objects match the kernel on sandbox host ${SANDBOX}\n`,
    );
    const seen = JSON.parse(must(nslab(["inspect", "lab-stack", "--json"], { sandbox }), "nslab inspect"));
    expect(seen.hostNetns).toBe(SANDBOX);
    expect(seen.objects.map((o: { status: string }) => o.status)).toEqual(Array(6).fill("ok"));
    // (real traffic takes a few seconds: once is enough to show where it is sent from)
    if (sandbox) expect(must(nslab(["test", "lab-stack"], { sandbox }), "nslab test")).toMatch(/6 of 6 hold/);
    must(nslab(["impair", "lab-stack", "ns01", "--loss", "20"], { sandbox }), "nslab impair");
    must(nslab(["impair", "lab-stack", "ns01", "reset"], { sandbox }), "nslab impair reset");
    must(nslab(["link", "lab-stack", "ns02", "down"], { sandbox }), "nslab link down");
    must(nslab(["link", "lab-stack", "ns02", "up"], { sandbox }), "nslab link up");
    expect(
      must(nslab(["exec", "lab-stack", "host", "--", "ip", "-br", "link", "show", "br01"], { sandbox }), "exec"),
    ).toMatch(/^br01 /);
  }
  // nothing of the lab in the real host: no bridge, rule, chain, server; ip_forward as before
  expect(rootState()).toEqual(before);
  expect(serversIn(ROOT)).toEqual([]);
  expect(serversIn("ns01")).toEqual([pid]);
  // the lab in its sandbox untouched: as declared, the same workload
  expect(must(nslab(["verify", "lab-stack"]), "nslab verify")).toMatch(/6 objects match the kernel/);
  expect(webPid()).toBe(pid);
  expect(ping("ns01", "192.168.88.12")).toBe(true);
});

test("boot: a reboot-like wipe, no project folder, no terraform: the unit's ExecStart brings the lab back", () => {
  const env = { NSLAB_SYSTEMD_DIR: units };
  must(nslab(["boot", "enable", "lab-stack"], { env }), "nslab boot enable");
  const names = readdirSync(units).filter((f) => f.endsWith(".service"));
  expect(names).toEqual([expect.stringMatching(/^nslab-lab-stack-[0-9a-f]{8}\.service$/)]);
  const unitFile = join(units, names[0]);
  expect(readdirSync(join(units, "multi-user.target.wants"))).toEqual(names);
  must(cmd(["systemd-analyze", "verify", unitFile]), "systemd-analyze verify");
  expect(must(nslab(["boot", "status"]), "boot status")).toMatch(
    new RegExp(`lab-stack +sandbox host ${SANDBOX} +deployed +\\S+ +enabled +${unitFile}`),
  );

  // the reboot: workloads killed, the lab's namespaces and the sandbox host gone, /run/nslab's part of it emptied
  process.kill(-webPid(), "SIGKILL");
  delNs("ns01", "ns02", SANDBOX);
  rmSync(`/run/nslab/${SANDBOX}`, { recursive: true, force: true });
  const away = `${project.dir}-away`;
  renameSync(project.dir, away);
  dir = away;
  const unit = readFileSync(unitFile, "utf8");
  const execStart = /^ExecStart=(.*)$/m.exec(unit)![1].split(" ");
  const cwd = /^WorkingDirectory=(.*)$/m.exec(unit)![1];
  const PATH = "/usr/sbin:/usr/bin:/sbin:/bin"; // terraform is in /usr/local/bin
  expect(cmd(["sh", "-c", "command -v terraform"], { env: { PATH } }).code).not.toBe(0);
  const restored = cmd(inNs(ROOT, execStart), { cwd, env: { PATH } });
  // all but the names files, which are on disk (/etc/netns) and outlive a reboot
  expect(must(restored, "the unit's ExecStart")).toMatch(/this machine: put right 5 of 6/);

  expect(ping("ns01", "192.168.88.12")).toBe(true);
  const restoredPid = webPid();
  expect(serversIn("ns01")).toEqual([restoredPid]);
  addExternal(SANDBOX, EXT, false);
  expect(http(EXT, `http://${HOST_ADDR}:8080/`)).toBe(`hello from ns01, you are ${EXT_ADDR}\n`);
  // verify from anywhere, with no project at all: the record
  expect(must(nslab(["verify", "lab-stack"], { cwd: "/" }), "nslab verify")).toMatch(/6 objects match the kernel/);

  must(nslab(["boot", "disable", "lab-stack"]), "nslab boot disable");
  expect(readdirSync(units).filter((f) => f.endsWith(".service"))).toEqual([]);
  expect(readdirSync(join(units, "multi-user.target.wants"))).toEqual([]);
  renameSync(away, project.dir);
  dir = project.dir;
  must(nslab(["destroy", "lab-stack"], { sandbox: SANDBOX }), "nslab destroy");
  // nothing left: the sandbox host nslab made, the record, the workload
  expect(existsSync(`/run/netns/${SANDBOX}`)).toBe(false);
  expect(existsSync(join(recordRoot(), SANDBOX))).toBe(false);
  expect(startTime(restoredPid)).toBeNull(); // gone (a zombie until this machine's init reaps it)
  expect(nslab(["verify", "lab-stack"]).stderr).toMatch(/stack lab-stack is not deployed on this machine/);
});
