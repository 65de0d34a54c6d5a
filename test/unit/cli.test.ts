// Pure tier: the nslab CLI finds a stack only through the manifest synth wrote for it,
// and says what is wrong, with the cause underneath.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { renderInspect } from "../../cli/inspect";
import { thrown } from "../helpers/thrown";
import { CliError, loadStack } from "../../cli/manifest";

const out = mkdtempSync(join(tmpdir(), "nslab-cli-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));
const write = (stack: string, manifest: unknown) => {
  mkdirSync(join(out, "stacks", stack, "nslab"), { recursive: true });
  writeFileSync(join(out, "stacks", stack, "nslab", "stack.json"), JSON.stringify(manifest));
};
const good = {
  v: 1,
  stack: "lab",
  execution: "per-object",
  lab: "nslab/lab-0123abcd.json",
  runner: "assets/netops/X/netops.cjs",
};
const failure = (f: () => unknown) => thrown<CliError>(f);

test("GIVEN a synthesized stack THEN its manifest is read", () => {
  write("lab", good);
  expect(loadStack(out, "lab")).toEqual({ dir: join(out, "stacks", "lab"), manifest: good });
});

test("GIVEN no synth THEN the error says to synthesize and keeps the file system's cause", () => {
  const err = failure(() => loadStack(out, "nosuch"));
  expect(err).toBeInstanceOf(CliError);
  expect(err.message).toMatch(/stack nosuch is not synthesized/);
  expect(err.hint).toMatch(/cdktf synth/);
  expect((err.cause as NodeJS.ErrnoException).code).toBe("ENOENT");
  expect(err.exitCode).toBe(2);
});

test("GIVEN a manifest of another version or stack THEN it is refused, with the schema's cause", () => {
  write("old", { ...good, stack: "old", v: 2 });
  const err = failure(() => loadStack(out, "old"));
  expect(err.message).toMatch(/not an nslab stack manifest this CLI reads/);
  expect(String(err.cause)).toMatch(/v/);
  write("other", good);
  expect(failure(() => loadStack(out, "other")).message).toMatch(/belongs to stack lab, not other/);
});

test("GIVEN an inspect report THEN tables by kind, the differing row marked, its differences and extras listed", () => {
  const endpoint = (netns: string, status: "ok" | "drift", state: string) => ({
    kind: "endpoint",
    key: `endpoint-${netns}:eth0`,
    name: `endpoint ${netns}`,
    status,
    drift: status === "ok" ? [] : [`missing: veth veth-${netns}`],
    observed: {
      netns,
      interface: "eth0",
      network: "br01",
      addresses: state === "up" ? ["10.0.0.2/24"] : [],
      mac: null,
      state,
    },
  });
  const text = renderInspect({
    v: 1,
    stack: "lab",
    hostNetns: null,
    objects: [endpoint("a", "ok", "up"), endpoint("b", "drift", "absent")],
    extra: [{ kind: "route", key: "route-:10.9.0.0_24", name: "route 10.9.0.0/24" }],
  });
  expect(text).toBe(
    [
      "lab on this host: 2 objects, 1 not as declared (!)",
      "",
      "ENDPOINTS",
      "   NETNS  INTERFACE  NETWORK  ADDRESSES    MAC  STATE   HOST VETH  HOST STATE  DEFAULT VIA",
      "   a      eth0       br01     10.0.0.2/24  -    up      -          -           -",
      "!  b      eth0       br01     -            -    absent  -          -           -",
      "",
      "DIFFERENCES",
      "! endpoint b: missing: veth veth-b",
      "",
      "NOT DECLARED (removed by the next deploy)",
      "+ route 10.9.0.0/24",
      "",
    ].join("\n"),
  );
});

/** The CLI as a user runs it (no lab needed: these stop before anything is read). */
const nslab = (...args: string[]) =>
  spawnSync("node", [join(__dirname, "..", "..", "bin", "nslab.js"), ...args], { encoding: "utf8" });

test("GIVEN --help or --version THEN a line per verb, or the version; nothing else", () => {
  const help = nslab("--help");
  expect(help.status).toBe(0);
  const lines = help.stdout.trimEnd().split("\n");
  expect(lines[0]).toMatch(/^usage: nslab <verb>/);
  const verbs = lines.slice(1).map((l) => l.trim().split(" ")[1]);
  for (const v of ["deploy", "destroy", "diff", "verify", "repair", "inspect", "test", "graph", "impair", "link"])
    expect(verbs).toContain(v);
  for (const v of ["exec", "shell", "capture", "ui", "boot"]) expect(verbs).toContain(v);
  expect(new Set(verbs).size).toBe(verbs.length); // one line each
  const version = nslab("--version");
  expect(version.status).toBe(0);
  expect(version.stdout).toBe(
    `${(JSON.parse(readFileSync(join(__dirname, "..", "..", "package.json"), "utf8")) as { version: string }).version}\n`,
  );
});

test("GIVEN impair --delay THEN what delay is here and the fix, not 'unknown argument'", () => {
  const r = nslab("impair", "lab-stack", "ns01", "--delay", "100");
  expect(r.status).toBe(2);
  expect(r.stderr).toMatch(
    /^nslab: impair: --delay is not a run-time change: a delay \(and its jitter\) is a delay line/,
  );
  expect(r.stderr).toMatch(
    /impairment: \{ delayMs: 100, jitterMs: 10 \}, and deploy; at run time, impair changes --loss and --rate/,
  );
});

test("GIVEN npm ci in this repository THEN its own bin is linked, so npx nslab runs it without packing the project", () => {
  // (the bin of a package named nslab: a copy of this repository shares its node_modules)
  const bin = realpathSync(join(__dirname, "..", "..", "node_modules", ".bin", "nslab"));
  expect(bin).toMatch(/\/bin\/nslab\.js$/);
  expect(JSON.parse(readFileSync(join(bin, "..", "..", "package.json"), "utf8")).name).toBe("nslab");
});
