// `npm test`'s jest run: the suite in shards side by side (NSLAB_TEST_SHARDS, default 2),
// files split by their durations (test/helpers/sequencer.js). Each shard runs in a private
// mount namespace with an empty /run (so /run/netns, the runner's ledger in /run/nslab and
// its ssh sockets are the shard's own), /etc/netns and /var/lib/nslab: the shards'
// namespaces, hosts files and records never meet each other's, nor a lab you have
// deployed. The kernel and e2e tests mostly wait (on Terraform, the kernel, timeouts), so
// two shards on two CPUs take about half the time of one. Arguments go to jest; a JSON
// report asked for (--json --outputFile=FILE) is the shards' reports merged.
const { spawn } = require("node:child_process");
const { mkdtempSync, readFileSync, rmSync, writeFileSync } = require("node:fs");
const { tmpdir } = require("node:os");
const { join } = require("node:path");

const SHARDS = Math.max(1, Number(process.env.NSLAB_TEST_SHARDS) || 2);
const JEST = join(__dirname, "..", "node_modules", ".bin", "jest");
const PRIVATE =
  "mount -t tmpfs nslab-tests /run && mkdir -p /run/netns /etc/netns /var/lib/nslab && " +
  "mount -t tmpfs nslab-tests /etc/netns && mount -t tmpfs nslab-tests /var/lib/nslab";

const args = process.argv.slice(2);
const outArg = args.findIndex((a) => a.startsWith("--outputFile"));
const asked = outArg < 0 ? undefined : args[outArg].includes("=") ? args[outArg].split("=")[1] : args[outArg + 1];
// every shard reports as JSON (to a file of ours when none was asked for): with --passWithNoTests
// an empty shard passes, and a filter that matched nothing in any shard must not
const own = mkdtempSync(join(tmpdir(), "nslab-test-"));
const outputFile = asked ?? join(own, "report.json");
const rest = args.filter(
  (a, i) => a !== "--json" && (outArg < 0 || (i !== outArg && !(i === outArg + 1 && !args[outArg].includes("=")))),
);

/** One shard: jest in its own mount namespace; its lines passed on whole, so two shards' never mix mid-line. */
function shard(i) {
  const own = SHARDS > 1 ? [`--shard=${i}/${SHARDS}`, "--passWithNoTests"] : [];
  const out = ["--json", `--outputFile=${outputFile}.${i}`];
  const child = spawn(
    "unshare",
    [
      "--mount",
      "--propagation",
      "private",
      "--",
      "sh",
      "-c",
      `${PRIVATE} && exec "$0" "$@"`,
      JEST,
      ...own,
      ...rest,
      ...out,
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  for (const [from, to] of [
    [child.stdout, process.stdout],
    [child.stderr, process.stderr],
  ]) {
    let partial = "";
    from.setEncoding("utf8");
    from.on("data", (text) => {
      const lines = (partial + text).split("\n");
      partial = lines.pop();
      if (lines.length) to.write(`${lines.join("\n")}\n`);
    });
    from.on("end", () => partial && to.write(`${partial}\n`));
  }
  return new Promise((resolve) => child.on("close", (code, signal) => resolve(code ?? 128 + (signal ? 15 : 0))));
}

/** The shards' JSON reports as one: counts summed, files listed together. */
function merge(files) {
  const reports = files.map((f) => JSON.parse(readFileSync(f, "utf8")));
  const merged = { ...reports[0], testResults: reports.flatMap((r) => r.testResults) };
  for (const key of Object.keys(reports[0]))
    if (typeof reports[0][key] === "number" && key.startsWith("num"))
      merged[key] = reports.reduce((n, r) => n + r[key], 0);
  merged.success = reports.every((r) => r.success);
  merged.startTime = Math.min(...reports.map((r) => r.startTime));
  return merged;
}

async function main() {
  const codes = await Promise.all(Array.from({ length: SHARDS }, (_, i) => shard(i + 1)));
  const files = codes.map((_, i) => `${outputFile}.${i + 1}`);
  let report;
  try {
    report = merge(files);
    writeFileSync(outputFile, JSON.stringify(report));
  } catch (err) {
    process.stderr.write(`npm test: a shard wrote no report (${err.message})\n`);
    codes.push(1);
  } finally {
    for (const f of files) rmSync(f, { force: true });
    rmSync(own, { recursive: true, force: true });
  }
  if (report && report.numTotalTestSuites === 0) {
    process.stderr.write("npm test: no test file matched\n");
    codes.push(1);
  }
  if (report)
    process.stdout.write(
      `npm test: ${SHARDS} shard(s): ${report.numPassedTestSuites} of ${report.numTotalTestSuites} files and ` +
        `${report.numPassedTests} of ${report.numTotalTests} tests passed, ${report.numFailedTests} failed\n`,
    );
  process.exit(codes.find((c) => c !== 0) ?? 0);
}

void main();
