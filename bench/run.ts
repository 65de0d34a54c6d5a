// npm run bench: nslab against the hand-written floor, side by side in one run. Not a
// test: it prints figures and ratios and writes them to bench/results/.
//
// For each repetition and each N (interleaved, so drift of the machine hits all alike):
//   naive    the tutorial-style script, one process per command (bench/floor/naive_create.sh exec)
//   batch    the physical floor: one ip -batch, ip -n NS -batch, one iptables-restore
//   nslab   `cdktf deploy` / `cdktf destroy` of a generated stack (one network, N
//            endpoints, one port mapping each), default mode: each object's own provisioners
//   batched  the same stack with `execution: Execution.BATCHED`
//   fast, fast-batched  the same two through `nslab deploy` / `nslab destroy` (Terraform
//            driven directly, no cdktf CLI)
// lab-stack (the Quick start's) through `cdktf deploy|destroy` and `nslab deploy|destroy`,
// and once per repetition: the synth of N=1000, a no-change redeploy at N=200, the fixed
// cost of an empty LabStack (deploy and destroy, this tree and the baseline commit side by
// side, and where one deploy's time goes), `node -e 0` as the floor of one process.
//
// Environment: BENCH_N="2 20 100 200", BENCH_REPS=3, BENCH_BASELINE=<commit> (the main
// before per-object provisioners), BENCH_PARALLELISM (Terraform's, default its own 10).
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cmd, ok } from "../test/helpers/cmd";
import type { LabShape } from "../test/helpers/lab-shape";
import { mainFor } from "../test/helpers/lab-shape";
import { projectCopy } from "../test/helpers/project";
import { addHost, delNs, uniq } from "../test/helpers/sandbox";
import type { ScenarioReport } from "../model/reports";
import { STACK_MANIFEST, type StackManifest } from "../model/manifest";

const NS_LIST = (process.env.BENCH_N ?? "2 20 100 200").split(/\s+/).filter(Boolean).map(Number);
const REPS = Number(process.env.BENCH_REPS ?? 3);
const BASELINE = process.env.BENCH_BASELINE ?? "26855d1";
const ROOT = join(__dirname, "..");
const FLOOR = join(__dirname, "floor"); // copied from ../shared/floor (bench/floor/README.md)
const FLOOR_HOST = "rd-perfhost"; // the floor's own sandbox name (floor/lib.sh)
const TICKS = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;

if (process.getuid?.() !== 0) throw new Error("npm run bench needs root (it builds real namespaces in a sandbox)");

interface Sample {
  readonly wall: number; // s
  readonly cpu: number; // s, user+sys of the whole process tree that was waited for
  readonly peakMb: number; // MB, highest sum of RSS over the process tree, sampled
}
type Row = { variant: string; n: number; rep: number; phase: string } & Sample;
const rows: Row[] = [];
const rec = (variant: string, n: number, rep: number, phase: string, s: Sample) => {
  rows.push({ variant, n, rep, phase, ...s });
  process.stderr.write(
    `  ${variant.padEnd(8)} N=${String(n).padEnd(4)} rep ${rep} ${phase.padEnd(14)} ${s.wall.toFixed(3)} s  cpu ${s.cpu.toFixed(2)} s  peak ${s.peakMb.toFixed(0)} MB\n`,
  );
};

/** CPU of this process's waited-for children so far (cutime + cstime), in seconds. */
function childCpu(): number {
  const f = readFileSync("/proc/self/stat", "utf8");
  const fields = f.slice(f.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[13]) + Number(fields[14])) / TICKS;
}

/** Sum of RSS (MB) of `pid` and all its descendants now. */
function treeRss(pid: number): number {
  const children = new Map<number, number[]>();
  const rss = new Map<number, number>();
  for (const p of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const ppid = Number(fields[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(p)]);
      rss.set(Number(p), (Number(fields[21]) * 4096) / 2 ** 20);
    } catch {
      // gone meanwhile
    }
  }
  let sum = 0;
  const queue = [pid];
  while (queue.length) {
    const p = queue.pop()!;
    sum += rss.get(p) ?? 0;
    queue.push(...(children.get(p) ?? []));
  }
  return sum;
}

/** Run argv to the end; wall time, CPU of the tree, sampled peak memory. Throws on failure. */
function measure(what: string, argv: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const cpu0 = childCpu();
    const t0 = process.hrtime.bigint();
    const child = spawn(argv[0], argv.slice(1), { ...opts, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out = (out + d).slice(-6000)));
    child.stderr.on("data", (d) => (out = (out + d).slice(-6000)));
    let peak = 0;
    const timer = setInterval(() => (peak = Math.max(peak, treeRss(child.pid!))), 100);
    child.on("close", (code) => {
      clearInterval(timer);
      const wall = Number(process.hrtime.bigint() - t0) / 1e9;
      if (code !== 0) reject(new Error(`${what} failed (${code}):\n${out}`));
      else resolve({ wall, cpu: childCpu() - cpu0, peakMb: peak });
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---- the floor, run as its README says: inside its sandbox, with nsenter ----
const inFloor = (argv: string[]) => ["nsenter", `--net=/run/netns/${FLOOR_HOST}`, "--", ...argv];
const floorEnv = { ...process.env, RD_WORK: join(ROOT, "bench", ".floor-work") };
const vethCount = () =>
  ok(inFloor(["ip", "-o", "link", "show"]))
    .split("\n")
    .filter((l) => /: rdv/.test(l)).length;

async function settleFloor(): Promise<void> {
  // namespace deletion is asynchronous: teardown is "settled" once the veths are gone
  for (let i = 0; i < 3000 && vethCount() > 0; i++) await sleep(5);
}

async function floorRun(variant: "naive" | "batch", n: number, rep: number): Promise<void> {
  const dir = join(floorEnv.RD_WORK, "gen", `n${n}`);
  const create =
    variant === "naive"
      ? ["bash", join(FLOOR, "naive_create.sh"), String(n), "exec"]
      : ["bash", join(FLOOR, "batch_create.sh"), dir, String(n), "n"];
  const teardown =
    variant === "naive"
      ? ["bash", join(FLOOR, "naive_teardown.sh"), String(n)]
      : ["bash", join(FLOOR, "batch_teardown.sh"), dir, "full"];
  rec(variant, n, rep, "create", await measure(`${variant} create`, inFloor(create), { env: floorEnv }));
  await sleep(500);
  const t0 = process.hrtime.bigint();
  const down = await measure(`${variant} teardown`, inFloor(teardown), { env: floorEnv });
  await settleFloor();
  rec(variant, n, rep, "teardown", { ...down, wall: Number(process.hrtime.bigint() - t0) / 1e9 });
}

// ---- nslab ----
function benchLab(n: number): LabShape {
  return [
    {
      id: "Net",
      props: { subnet: "10.90.0.0/21", bridgeName: "bnbr" },
      endpoints: Array.from({ length: n }, (_, i) => ({
        id: `E${i + 1}`,
        props: { netns: `bn-e${i + 1}` },
        ports: [{ id: "P", props: { hostPort: 20000 + i, containerPort: 80 } }],
      })),
    },
  ];
}
/** Lab objects of benchLab(n): the network, the names, and per endpoint its namespace and its port. */
const objectsOf = (n: number) => 2 * n + 2;

/** main.ts for a variant: the generated lab, in the default or the batched mode. */
const mainOf = (n: number, batched: boolean) =>
  mainFor(benchLab(n))
    .replace(
      'new LabStack(app, "lab-stack")',
      `new LabStack(app, "lab-stack"${batched ? ", { execution: Execution.BATCHED }" : ""})`,
    )
    .replace(
      "import { ContainerNetwork, LabStack, Workload }",
      "import { ContainerNetwork, Execution, LabStack, Workload }",
    );

async function main(): Promise<void> {
  const host = uniq("nlb");
  const project = projectCopy();
  // `npx nslab` in a folder whose package is nslab installs that package into npx's cache
  // first (its prepare: the build), once per folder: the copy gets what the build reads, and
  // a warm-up call below pays it (a fresh clone pays it once, at its first npx nslab)
  cpSync(join(ROOT, "tsconfig.build.json"), join(project.dir, "tsconfig.build.json"));
  const cdktf = (args: string[]) => [join(ROOT, "node_modules", ".bin", "cdktf"), ...args];
  const parallelism = process.env.BENCH_PARALLELISM ? [`--terraform-parallelism=${process.env.BENCH_PARALLELISM}`] : [];
  const env = {
    ...process.env,
    NSLAB_HOST_NETNS: host,
    CI: "true",
    CHECKPOINT_DISABLE: "1",
    DISABLE_VERSION_CHECK: "1",
    TF_CLI_CONFIG_FILE: "/dev/null",
  };
  const opts = { cwd: project.dir, env };
  const deploy = () => cdktf(["deploy", "lab-stack", "--auto-approve", ...parallelism]);
  const destroy = () => cdktf(["destroy", "lab-stack", "--auto-approve", ...parallelism]);
  // as the README writes it: npx finds the repository's own bin (node_modules/.bin, linked by npm ci)
  const nslab = (verb: string) => [
    "npx",
    "nslab",
    verb,
    "lab-stack",
    ...(process.env.BENCH_PARALLELISM ? ["--parallelism", process.env.BENCH_PARALLELISM] : []),
  ];
  // by variant: how it is deployed and destroyed, and whether batched
  const paths = {
    nslab: { deploy, destroy, batched: false },
    batched: { deploy, destroy, batched: true },
    fast: { deploy: () => nslab("deploy"), destroy: () => nslab("destroy"), batched: false },
    "fast-batched": { deploy: () => nslab("deploy"), destroy: () => nslab("destroy"), batched: true },
  };
  const baseline = baselineCopy();
  try {
    delNs(FLOOR_HOST);
    ok(["ip", "netns", "add", FLOOR_HOST]);
    ok(["ip", "-n", FLOOR_HOST, "link", "set", "lo", "up"]);
    for (const n of NS_LIST)
      ok(["bash", join(FLOOR, "gen_batch.sh"), String(n), join(floorEnv.RD_WORK, "gen", `n${n}`)], { env: floorEnv });
    addHost(host);
    // warm-up (not recorded): terraform init and the first synth pay one-time costs, npx its install
    ok(["npx", "nslab", "version"], opts);
    project.useMain(mainOf(1, false));
    await measure("warm-up deploy", deploy(), opts);
    await measure("warm-up destroy", destroy(), opts);

    for (let rep = 1; rep <= REPS; rep++) {
      rec(
        "node",
        0,
        rep,
        "node -e 0 x20",
        await measure("node -e 0", ["bash", "-c", "for i in $(seq 20); do node -e 0; done"]),
      );
      for (const n of NS_LIST) {
        await floorRun("naive", n, rep);
        await sleep(500);
        await floorRun("batch", n, rep);
        await sleep(500);
        for (const [variant, path] of Object.entries(paths)) {
          project.useMain(mainOf(n, path.batched));
          rec(variant, n, rep, "create", await measure(`${variant} deploy`, path.deploy(), opts));
          if (n === Math.max(...NS_LIST)) {
            rec(variant, n, rep, "redeploy", await measure(`${variant} redeploy`, path.deploy(), opts));
            // the converge that ends every deploy (nslab-converge), by itself, with nothing to put right
            const dir = join(project.dir, "cdktf.out", "stacks", "lab-stack");
            const m = JSON.parse(readFileSync(join(dir, STACK_MANIFEST), "utf8")) as StackManifest;
            const converge = ["node", m.runner, "converge", "--quiet", m.lab];
            rec(variant, n, rep, "converge", await measure(`${variant} converge`, converge, { ...opts, cwd: dir }));
          }
          await sleep(500);
          rec(variant, n, rep, "teardown", await measure(`${variant} destroy`, path.destroy(), opts));
          await sleep(500);
        }
      }
      // the Quick start's stack through each tool (and, deployed, its scenario: how exact a run's timing is)
      project.useMain(readFileSync(join(ROOT, "main.ts"), "utf8"));
      for (const [tool, up, down] of [
        ["cdktf", deploy, destroy],
        ["nslab", () => nslab("deploy"), () => nslab("destroy")],
      ] as const) {
        rec("lab-stack", 0, rep, `${tool} deploy`, await measure(`lab-stack ${tool} deploy`, up(), opts));
        if (tool === "nslab") scenarioTiming(ok(["npx", "nslab", "run", "lab-stack", "Flap", "--json"], opts));
        rec("lab-stack", 0, rep, `${tool} destroy`, await measure(`lab-stack ${tool} destroy`, down(), opts));
      }
      project.useMain(mainOf(1000, false));
      rec("nslab", 1000, rep, "synth", await measure("synth N=1000", cdktf(["synth"]), opts));
      await fixedCost(rep, project.dir, opts, cdktf, nslab);
      if (baseline) {
        rec(
          "baseline",
          0,
          rep,
          "empty deploy",
          await measure("baseline empty deploy", cdktf(["deploy", "lab-stack", "--auto-approve"]), {
            ...opts,
            cwd: baseline.dir,
          }),
        );
        rec(
          "baseline",
          0,
          rep,
          "empty destroy",
          await measure("baseline empty destroy", cdktf(["destroy", "lab-stack", "--auto-approve"]), {
            ...opts,
            cwd: baseline.dir,
          }),
        );
      }
    }
  } finally {
    cmd(destroy(), opts);
    if (baseline) cmd(cdktf(["destroy", "lab-stack", "--auto-approve"]), { ...opts, cwd: baseline.dir });
    delNs(host, FLOOR_HOST);
    project.remove();
    baseline?.remove();
  }
  report();
}

/** Where one deploy of an empty LabStack spends its time, piece by piece, then as a whole. */
async function fixedCost(
  rep: number,
  dir: string,
  opts: { cwd: string; env: NodeJS.ProcessEnv },
  cdktf: (a: string[]) => string[],
  nslab: (verb: string) => string[],
): Promise<void> {
  writeFileSync(join(dir, "main.ts"), EMPTY_MAIN);
  const stackDir = join(dir, "cdktf.out", "stacks", "lab-stack");
  const tf = (args: string[]) => ["terraform", `-chdir=${stackDir}`, ...args, "-input=false"];
  rec("fixed", 0, rep, "cdktf CLI start", await measure("cdktf --version", cdktf(["--version"]), opts));
  rec(
    "fixed",
    0,
    rep,
    "synth (app)",
    await measure("app", JSON.parse(readFileSync(join(dir, "cdktf.json"), "utf8")).app.split(" "), opts),
  );
  rec("fixed", 0, rep, "terraform init", await measure("terraform init", tf(["init"]), opts));
  rec("fixed", 0, rep, "terraform plan", await measure("terraform plan", tf(["plan"]), opts));
  rec("fixed", 0, rep, "terraform apply", await measure("terraform apply", tf(["apply", "-auto-approve"]), opts));
  const lab = readdirSync(join(stackDir, "nslab"))[0];
  const runner = JSON.parse(readFileSync(join(stackDir, "cdk.tf.json"), "utf8")).resource.terraform_data;
  const gate = Object.values(runner as Record<string, any>).find(
    (r) => typeof r.triggers_replace === "string" && r.triggers_replace.startsWith("nslab/"),
  );
  rec(
    "fixed",
    0,
    rep,
    "runner start",
    await measure(
      "runner",
      [
        "node",
        join(stackDir, gate.provisioner[0]["local-exec"].interpreter[1]),
        "verify",
        join(stackDir, "nslab", lab),
      ],
      opts,
    ),
  );
  rec("fixed", 0, rep, "terraform destroy", await measure("terraform destroy", tf(["destroy", "-auto-approve"]), opts));
  rec(
    "fixed",
    0,
    rep,
    "empty deploy",
    await measure("empty deploy", cdktf(["deploy", "lab-stack", "--auto-approve"]), opts),
  );
  rec(
    "fixed",
    0,
    rep,
    "empty destroy",
    await measure("empty destroy", cdktf(["destroy", "lab-stack", "--auto-approve"]), opts),
  );
  rec("fixed", 0, rep, "empty nslab deploy", await measure("empty nslab deploy", nslab("deploy"), opts));
  rec("fixed", 0, rep, "empty nslab destroy", await measure("empty nslab destroy", nslab("destroy"), opts));
}

const EMPTY_MAIN = `import { App } from "cdktf";
import { LabStack } from "./constructs";
const app = new App();
new LabStack(app, "lab-stack");
app.synth();
`;

/** The baseline commit checked out next to the project, with an empty LabStack, or null if it cannot be. */
function baselineCopy(): { dir: string; remove: () => void } | null {
  const dir = join(tmpdir(), `nslab-baseline-${process.pid}`);
  const r = spawnSync("git", ["-C", ROOT, "worktree", "add", "--detach", dir, BASELINE], { encoding: "utf8" });
  if (r.status !== 0) {
    process.stderr.write(
      `bench: baseline ${BASELINE} not available (${r.stderr.trim()}); fixed cost is measured without it\n`,
    );
    return null;
  }
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
  writeFileSync(join(dir, "main.ts"), EMPTY_MAIN);
  return {
    dir,
    remove: () => {
      spawnSync("git", ["-C", ROOT, "worktree", "remove", "--force", dir]);
      if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A scenario run's own timing (lab-stack's Flap, `npx nslab run lab-stack Flap --json`), over every run. */
const timing = {
  everyMs: 0,
  offsets: [] as number[],
  late: [] as number[],
  took: [] as number[],
  error: [] as number[],
};

/**
 * How far each probe left from its tick, how late each step was applied and what it took,
 * and how far each measured outage is from the time the link was really down (from the
 * down step's end to the up step's end): what a given everyMs resolves.
 */
function scenarioTiming(json: string): void {
  const r = JSON.parse(json) as ScenarioReport;
  timing.everyMs = r.everyMs;
  for (const p of r.probes) {
    p.samples.forEach((m, i) => timing.offsets.push(Math.abs(m.at - i * r.everyMs)));
    const [down, up] = r.steps.map((st) => st.appliedMs! + st.tookMs!);
    timing.error.push(...p.outages.map((o) => o.ms - (up - down)));
  }
  for (const st of r.steps) {
    timing.late.push(st.appliedMs! - st.at * 1000);
    timing.took.push(st.tookMs!);
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function report(): void {
  const med = (variant: string, n: number, phase: string, field: keyof Sample = "wall") =>
    median(rows.filter((r) => r.variant === variant && r.n === n && r.phase === phase).map((r) => r[field]));
  const f = (x: number, d = 2) => (Number.isNaN(x) ? "-" : x.toFixed(d));
  const lines: string[] = [];
  const hi = Math.max(...NS_LIST);
  const node0 = med("node", 0, "node -e 0 x20", "cpu") / 20;
  lines.push(`nslab bench, ${new Date().toISOString()}, ${REPS} repetitions, medians; wall seconds unless said`);
  lines.push("");
  lines.push(
    "| N | phase | naive | batch | nslab | batched | nslab/naive | batched/naive | nslab CPU s | nslab CPU ms/object | nslab peak MB | batched peak MB |",
  );
  lines.push("|---|---|---|---|---|---|---|---|---|---|---|---|");
  for (const n of NS_LIST) {
    for (const phase of ["create", "teardown"]) {
      const [nv, bt, nl, bd] = [
        med("naive", n, phase),
        med("batch", n, phase),
        med("nslab", n, phase),
        med("batched", n, phase),
      ];
      const cpu = med("nslab", n, phase, "cpu");
      lines.push(
        `| ${n} | ${phase === "create" ? "deploy" : "destroy"} | ${f(nv)} | ${f(bt)} | ${f(nl)} | ${f(bd)} | ${f(nl / nv)}x | ${f(bd / nv)}x | ${f(cpu)} | ${f((cpu * 1000) / objectsOf(n), 0)} | ${f(med("nslab", n, phase, "peakMb"), 0)} | ${f(med("batched", n, phase, "peakMb"), 0)} |`,
      );
    }
  }
  lines.push("");
  lines.push("Through `nslab deploy` / `nslab destroy` (Terraform driven directly), same run:");
  lines.push("");
  lines.push("| N | phase | naive | fast | fast-batched | fast/naive | fast-batched/naive | fast CPU ms/object |");
  lines.push("|---|---|---|---|---|---|---|---|");
  for (const n of NS_LIST)
    for (const phase of ["create", "teardown"]) {
      const [nv, fa, fb] = [med("naive", n, phase), med("fast", n, phase), med("fast-batched", n, phase)];
      lines.push(
        `| ${n} | ${phase === "create" ? "deploy" : "destroy"} | ${f(nv)} | ${f(fa)} | ${f(fb)} | ${f(fa / nv)}x | ${f(fb / nv)}x | ${f((med("fast", n, phase, "cpu") * 1000) / objectsOf(n), 0)} |`,
      );
    }
  const lab = (p: string) => med("lab-stack", 0, p);
  lines.push("");
  lines.push(
    `- lab-stack: nslab deploy ${f(lab("nslab deploy"))} s = ${f(lab("nslab deploy") / lab("cdktf deploy"))}x cdktf deploy (${f(lab("cdktf deploy"))} s); nslab destroy ${f(lab("nslab destroy"))} s = ${f(lab("nslab destroy") / lab("cdktf destroy"))}x cdktf destroy (${f(lab("cdktf destroy"))} s) (target <= 0.4x)`,
  );
  const n100 = NS_LIST.includes(100) ? 100 : hi;
  lines.push(
    `- N=${n100} through nslab deploy: batched ${f(med("fast-batched", n100, "create") / med("naive", n100, "create"))}x the naive create, ${f(med("fast-batched", n100, "teardown") / med("naive", n100, "teardown"))}x its teardown (target <= 0.5x); default ${f(med("fast", n100, "create") / med("naive", n100, "create"))}x, ${f(med("fast", n100, "teardown") / med("naive", n100, "teardown"))}x (target <= 3.0x)`,
  );
  const fastPerObject = (med("fast", hi, "create", "cpu") * 1000) / objectsOf(hi);
  lines.push(
    `- default mode through nslab deploy, CPU per object at N=${hi}: ${f(fastPerObject, 0)} ms = ${f(fastPerObject / (node0 * 1000))}x \`node -e 0\` (target <= 2.0x)`,
  );
  lines.push(
    `- no-change redeploy N=${hi} through nslab deploy: default ${f(med("fast", hi, "redeploy"))} s, batched ${f(med("fast-batched", hi, "redeploy"))} s (target <= 2 s)`,
  );
  const perObject = (med("nslab", hi, "create", "cpu") * 1000) / objectsOf(hi);
  lines.push("");
  lines.push(
    `- default mode, CPU per object at N=${hi} (${objectsOf(hi)} objects): ${f(perObject, 0)} ms = ${f(perObject / (node0 * 1000))}x a bare \`node -e 0\` (${f(node0 * 1000, 0)} ms, same run; target <= 1.5x)`,
  );
  lines.push(
    `- default mode, N=${hi}: deploy ${f(med("nslab", hi, "create") / med("naive", hi, "create"))}x the naive create (target <= 2.5x), destroy ${f(med("nslab", hi, "teardown") / med("naive", hi, "teardown"))}x the naive teardown (target <= 2.5x)`,
  );
  lines.push(
    `- batched mode, N=${hi}: deploy ${f(med("batched", hi, "create") / med("naive", hi, "create"))}x the naive create (target <= 0.6x), destroy ${f(med("batched", hi, "teardown") / med("naive", hi, "teardown"))}x the naive teardown (target <= 0.5x)`,
  );
  lines.push(
    `- no-change redeploy N=${hi}: default ${f(med("nslab", hi, "redeploy"))} s, batched ${f(med("batched", hi, "redeploy"))} s (target <= 3 s)`,
  );
  lines.push(
    `- the converge that ends every deploy, N=${hi}, nothing to put right: default ${f(med("nslab", hi, "converge"))} s, batched ${f(med("batched", hi, "converge"))} s (target < 1 s)`,
  );
  lines.push(`- synth N=1000: ${f(med("nslab", 1000, "synth"))} s (target <= 3 s)`);
  const most = (xs: number[]) => (xs.length ? Math.max(...xs) : NaN);
  lines.push(
    `- a scenario run's timing (lab-stack's Flap, a probe every ${timing.everyMs} ms, ${REPS} runs): probes left within ` +
      `${f(most(timing.offsets), 0)} ms of their tick (median ${f(median(timing.offsets), 0)}); steps applied at most ` +
      `${f(most(timing.late), 0)} ms late, taking ${f(median(timing.took), 0)} ms (median); measured outage minus the time ` +
      `the link was down: ${f(Math.min(...timing.error), 0)} to ${f(most(timing.error), 0)} ms (within +-everyMs: docs/scenarios.md)`,
  );
  lines.push("");
  lines.push("Fixed cost, an empty LabStack (its owner, sweep and names resources only):");
  lines.push("");
  lines.push("| piece | wall s | CPU s |");
  lines.push("|---|---|---|");
  for (const piece of [
    "cdktf CLI start",
    "synth (app)",
    "terraform init",
    "terraform plan",
    "terraform apply",
    "runner start",
    "terraform destroy",
    "empty deploy",
    "empty destroy",
    "empty nslab deploy",
    "empty nslab destroy",
  ]) {
    lines.push(`| ${piece} | ${f(med("fixed", 0, piece))} | ${f(med("fixed", 0, piece, "cpu"))} |`);
  }
  for (const phase of ["empty deploy", "empty destroy"]) {
    const base = med("baseline", 0, phase);
    if (!Number.isNaN(base))
      lines.push(`| ${phase}, baseline ${BASELINE} | ${f(base)} | ${f(med("baseline", 0, phase, "cpu"))} |`);
  }
  const ratio = (phase: string) => med("fixed", 0, phase) / med("baseline", 0, phase);
  lines.push("");
  lines.push(
    `- empty deploy ${f(ratio("empty deploy"))}x and empty destroy ${f(ratio("empty destroy"))}x the baseline ${BASELINE} (target <= 0.5x)`,
  );
  const text = lines.join("\n") + "\n";
  process.stdout.write(`\n${text}`);
  const dir = join(ROOT, "bench", "results");
  mkdirSync(dir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  writeFileSync(
    join(dir, `${stamp}.json`),
    JSON.stringify({ reps: REPS, ns: NS_LIST, baseline: BASELINE, rows }, null, 1),
  );
  writeFileSync(join(dir, `${stamp}.md`), text);
  writeFileSync(join(dir, "latest.md"), text);
  process.stdout.write(`written: bench/results/${stamp}.{json,md} and bench/results/latest.md\n`);
}

main().catch((err: Error) => {
  process.stderr.write(`bench: ${err.message}\n`);
  process.exit(1);
});
