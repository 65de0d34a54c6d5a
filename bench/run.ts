// npm run bench: netlab against the hand-written floor (../shared/floor), side by side in
// one run. Not a test: it prints figures and ratios and writes them to bench/results/.
//
// For each repetition and each N (interleaved, so drift of the machine hits all alike):
//   naive   the tutorial-style script, one process per command (floor/naive_create.sh exec)
//   batch   the physical floor: one ip -batch, ip -n NS -batch, one iptables-restore
//   netlab  `cdktf deploy` / `cdktf destroy` of a generated stack (N endpoints, one port
//           mapping each, one network), synth included, inside a sandbox host namespace
// plus the synth time of N=1000 and a no-change redeploy at N=200.
//
// Environment: BENCH_N="20 100 200", BENCH_REPS=3, FLOOR_DIR=../shared/floor.
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cmd, ok, type Out } from "../test/helpers/cmd";
import type { LabShape } from "../test/helpers/lab-shape";
import { projectCopy } from "../test/helpers/project";
import { addHost, delNs, uniq } from "../test/helpers/sandbox";

const NS_LIST = (process.env.BENCH_N ?? "20 100 200").split(/\s+/).filter(Boolean).map(Number);
const REPS = Number(process.env.BENCH_REPS ?? 3);
const FLOOR = process.env.FLOOR_DIR ?? join(__dirname, "..", "..", "shared", "floor");
const ROOT = join(__dirname, "..");
const FLOOR_HOST = "rd-perfhost"; // the floor's own sandbox name (floor/lib.sh)

if (process.getuid?.() !== 0) throw new Error("npm run bench needs root (it builds real namespaces in a sandbox)");
if (!existsSync(join(FLOOR, "naive_create.sh"))) throw new Error(`floor scripts not found in ${FLOOR} (set FLOOR_DIR)`);

type Row = { variant: string; n: number; rep: number; phase: string; s: number };
const rows: Row[] = [];
const rec = (variant: string, n: number, rep: number, phase: string, s: number) => {
  rows.push({ variant, n, rep, phase, s });
  process.stderr.write(`  ${variant.padEnd(7)} N=${String(n).padEnd(4)} rep ${rep} ${phase.padEnd(9)} ${s.toFixed(3)} s\n`);
};

function timed(what: string, argv: string[], opts: Parameters<typeof cmd>[1] = {}): number {
  const t0 = process.hrtime.bigint();
  const r: Out = cmd(argv, opts);
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.code !== 0) throw new Error(`${what} failed (${r.code}):\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`);
  return s;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---- the floor, run as its README says: inside its sandbox, with nsenter ----
const inFloor = (argv: string[]) => ["nsenter", `--net=/run/netns/${FLOOR_HOST}`, "--", ...argv];
const floorEnv = { ...process.env, RD_WORK: join(ROOT, "bench", ".floor-work") };
const vethCount = () => ok(inFloor(["ip", "-o", "link", "show"])).split("\n").filter((l) => /: rdv/.test(l)).length;

async function settleFloor(): Promise<void> {
  // namespace deletion is asynchronous: teardown is "settled" once the veths are gone
  for (let i = 0; i < 3000 && vethCount() > 0; i++) await sleep(5);
}

async function floorRun(variant: "naive" | "batch", n: number, rep: number): Promise<void> {
  const dir = join(floorEnv.RD_WORK, "gen", `n${n}`);
  const create = variant === "naive" ? ["bash", join(FLOOR, "naive_create.sh"), String(n), "exec"] : ["bash", join(FLOOR, "batch_create.sh"), dir, String(n), "n"];
  const teardown = variant === "naive" ? ["bash", join(FLOOR, "naive_teardown.sh"), String(n)] : ["bash", join(FLOOR, "batch_teardown.sh"), dir, "full"];
  rec(variant, n, rep, "create", timed(`${variant} create`, inFloor(create), { env: floorEnv }));
  await sleep(500);
  const t0 = process.hrtime.bigint();
  timed(`${variant} teardown`, inFloor(teardown), { env: floorEnv });
  await settleFloor();
  rec(variant, n, rep, "teardown", Number(process.hrtime.bigint() - t0) / 1e9);
}

// ---- netlab ----
function benchLab(n: number): LabShape {
  return [
    {
      id: "Net",
      props: { subnet: "10.90.0.0/21", bridgeName: "bnbr" },
      endpoints: Array.from({ length: n }, (_, i) => ({ id: `E${i + 1}`, props: { netns: `bn-e${i + 1}` }, ports: [{ id: "P", props: { hostPort: 20000 + i, containerPort: 80 } }] })),
    },
  ];
}

async function main(): Promise<void> {
  const host = uniq("nlb");
  const project = projectCopy();
  const cdktf = (args: string[]) => [join(ROOT, "node_modules", ".bin", "cdktf"), ...args];
  const env = { ...process.env, NETLAB_HOST_NETNS: host, CI: "true", CHECKPOINT_DISABLE: "1", DISABLE_VERSION_CHECK: "1", TF_CLI_CONFIG_FILE: "/dev/null" };
  const opts = { cwd: project.dir, env };
  try {
    delNs(FLOOR_HOST);
    ok(["ip", "netns", "add", FLOOR_HOST]);
    ok(["ip", "-n", FLOOR_HOST, "link", "set", "lo", "up"]);
    for (const n of NS_LIST) ok(["bash", join(FLOOR, "gen_batch.sh"), String(n), join(floorEnv.RD_WORK, "gen", `n${n}`)], { env: floorEnv });
    addHost(host);
    // warm-up (not recorded): terraform init and the first synth pay one-time costs
    project.useLab(benchLab(1));
    timed("warm-up deploy", cdktf(["deploy", "lab-stack", "--auto-approve"]), opts);
    timed("warm-up destroy", cdktf(["destroy", "lab-stack", "--auto-approve"]), opts);

    for (let rep = 1; rep <= REPS; rep++) {
      for (const n of NS_LIST) {
        await floorRun("naive", n, rep);
        await sleep(500);
        await floorRun("batch", n, rep);
        await sleep(500);
        project.useLab(benchLab(n));
        rec("netlab", n, rep, "create", timed("netlab deploy", cdktf(["deploy", "lab-stack", "--auto-approve"]), opts));
        if (n === 200) rec("netlab", n, rep, "redeploy", timed("netlab redeploy", cdktf(["deploy", "lab-stack", "--auto-approve"]), opts));
        await sleep(500);
        rec("netlab", n, rep, "teardown", timed("netlab destroy", cdktf(["destroy", "lab-stack", "--auto-approve"]), opts));
        await sleep(500);
      }
      project.useLab(benchLab(1000));
      rec("netlab", 1000, rep, "synth", timed("synth N=1000", cdktf(["synth"]), opts));
    }
  } finally {
    cmd(cdktf(["destroy", "lab-stack", "--auto-approve"]), opts);
    delNs(host, FLOOR_HOST);
    project.remove();
  }
  report();
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function report(): void {
  const med = (variant: string, n: number, phase: string) => {
    const xs = rows.filter((r) => r.variant === variant && r.n === n && r.phase === phase).map((r) => r.s);
    return xs.length ? median(xs) : NaN;
  };
  const f = (x: number, d = 2) => (Number.isNaN(x) ? "-" : x.toFixed(d));
  const lines: string[] = [];
  lines.push(`netlab bench, ${new Date().toISOString()}, ${REPS} repetitions, medians in seconds`);
  lines.push("");
  lines.push("| N | phase | naive | batch | netlab | netlab/naive | netlab/batch | netlab ms per endpoint |");
  lines.push("|---|---|---|---|---|---|---|---|");
  for (const n of NS_LIST) {
    for (const phase of ["create", "teardown"]) {
      const [nv, bt, nl] = [med("naive", n, phase), med("batch", n, phase), med("netlab", n, phase)];
      lines.push(`| ${n} | ${phase === "create" ? "deploy" : "destroy"} | ${f(nv)} | ${f(bt)} | ${f(nl)} | ${f(nl / nv)}x | ${f(nl / bt, 1)}x | ${f((nl * 1000) / n, 1)} |`);
    }
  }
  const lo = Math.min(...NS_LIST);
  const hi = Math.max(...NS_LIST);
  const per = (n: number) => med("netlab", n, "create") / n;
  lines.push("");
  lines.push(`- per-endpoint deploy cost, N=${hi} vs N=${lo}: ${f((per(hi) * 1000), 1)} ms vs ${f(per(lo) * 1000, 1)} ms = ${f(per(hi) / per(lo))}x (target <= 1.2x)`);
  lines.push(`- deploy N=${hi} / naive create: ${f(med("netlab", hi, "create") / med("naive", hi, "create"))}x (target <= 1.0x); destroy / naive teardown: ${f(med("netlab", hi, "teardown") / med("naive", hi, "teardown"))}x (target <= 1.0x)`);
  lines.push(`- synth N=1000: ${f(med("netlab", 1000, "synth"))} s (target <= 5 s)`);
  lines.push(`- no-change redeploy N=200: ${f(med("netlab", 200, "redeploy"))} s (target <= 5 s)`);
  const text = lines.join("\n") + "\n";
  process.stdout.write(`\n${text}`);
  const dir = join(ROOT, "bench", "results");
  mkdirSync(dir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  writeFileSync(join(dir, `${stamp}.json`), JSON.stringify({ reps: REPS, ns: NS_LIST, rows }, null, 1));
  writeFileSync(join(dir, `${stamp}.md`), text);
  writeFileSync(join(dir, "latest.md"), text);
  process.stdout.write(`written: bench/results/${stamp}.{json,md} and bench/results/latest.md\n`);
}

main().catch((err: Error) => {
  process.stderr.write(`bench: ${err.message}\n`);
  process.exit(1);
});
