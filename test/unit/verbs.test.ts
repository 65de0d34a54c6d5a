// Pure tier: every verb is described once (model/verbs.ts), and the CLI and the runner are
// what that description says: help, usage, parsing, completion, none hidden.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ArgvError, parseVerb } from "../../model/argv";
import { CLI_VERBS, RUNNER_VERBS } from "../../model/verbs";
import { thrown } from "../helpers/thrown";

const root = join(__dirname, "..", "..");
const nslab = (args: readonly string[], env: NodeJS.ProcessEnv = process.env) =>
  spawnSync("node", [join(root, "bin", "nslab.js"), ...args], { encoding: "utf8", env });
const verbs = Object.keys(CLI_VERBS);

test("GIVEN nslab help THEN every verb, a line each with its description", () => {
  const r = nslab(["help"]);
  expect(r.status).toBe(0);
  const lines = r.stdout.trimEnd().split("\n").slice(1);
  expect(lines.map((l) => l.trim().split(" ")[1])).toEqual(verbs);
  for (const [i, [, spec]] of Object.entries(CLI_VERBS).entries()) expect(lines[i]).toContain(spec.line);
});

test.each(verbs)("GIVEN nslab %s --help THEN exit 0 and that verb alone: its usage and every flag", (verb) => {
  const r = nslab([verb, "--help"]);
  expect(r.status).toBe(0);
  expect(r.stdout.split("\n")[0]).toMatch(new RegExp(`^usage: nslab ${verb}\\b`));
  expect(r.stdout).toContain(CLI_VERBS[verb as keyof typeof CLI_VERBS].line);
  for (const flag of Object.keys(CLI_VERBS[verb as keyof typeof CLI_VERBS].flags))
    expect(r.stdout).toContain(`--${flag}`);
  // no other verb's usage
  expect(r.stdout.match(/usage: nslab/g)).toHaveLength(1);
  expect(nslab(["help", verb]).stdout).toBe(r.stdout);
});

test.each(verbs)(
  "GIVEN nslab %s with an unknown flag THEN exit 2, one line naming it, then the verb's usage",
  (verb) => {
    const r = nslab([verb, "--no-such-flag", "lab-stack"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^nslab: ${verb}: unknown option --no-such-flag\\n  usage: nslab ${verb}\\b`));
  },
);

test("GIVEN a bad value THEN the flag, what it takes and what was given; nothing run", () => {
  const r = nslab(["ui", "lab-stack", "--port", "70000"]);
  expect(r.status).toBe(2);
  expect(r.stderr).toMatch(/^nslab: ui: --port needs a whole number from 0 to 65535, not "70000"/);
  expect(nslab(["link", "lab-stack", "ns01", "sideways"]).stderr).toMatch(
    /^nslab: link: state: give up or down, not "sideways"/,
  );
  expect(nslab(["graph", "lab-stack", "--format", "png"]).stderr).toMatch(
    /^nslab: graph: --format: give one of svg, dot, mermaid, not "png"/,
  );
  expect(nslab(["verify"]).stderr).toMatch(/^nslab: verify: which stack\?/);
  expect(nslab(["verify", "a", "b"]).stderr).toMatch(/^nslab: verify: unexpected argument "b"/);
  expect(nslab(["nosuch"]).stderr).toMatch(/^nslab: no verb nosuch\n {2}usage: nslab <verb>/);
});

describe("parseVerb", () => {
  it("types what it reads: numbers, booleans, positionals, and what follows --", () => {
    expect(parseVerb(CLI_VERBS.exec, ["lab", "ns01", "--", "ping", "-c1", "--", "x"])).toEqual({
      flags: {},
      pos: { stack: "lab", target: "ns01" },
      rest: ["ping", "-c1", "--", "x"],
    });
    const c = parseVerb(CLI_VERBS.capture, ["lab", "--count", "5", "ns01", "--write", "f.pcap", "--", "icmp"]);
    expect(c).toEqual({ flags: { count: 5, write: "f.pcap" }, pos: { stack: "lab", target: "ns01" }, rest: ["icmp"] });
    expect(parseVerb(CLI_VERBS.deploy, ["a", "b", "--json"])).toMatchObject({ pos: { stack: ["a", "b"] } });
    expect(parseVerb(CLI_VERBS.impair, ["lab", "ns01", "--rate=2.5"]).flags).toEqual({ rate: 2.5 });
  });
  it("says what is missing or wrong, in one line", () => {
    const err = (spec: Parameters<typeof parseVerb>[0], argv: string[]) =>
      thrown<ArgvError>(() => parseVerb(spec, argv)).message;
    expect(err(CLI_VERBS.exec, ["lab", "ns01"])).toBe("give the command after --");
    expect(err(CLI_VERBS.shell, ["lab", "ns01", "--", "ls"])).toBe("takes nothing after --");
    expect(err(CLI_VERBS.shell, ["lab"])).toBe("which target?");
    expect(err(CLI_VERBS.capture, ["lab", "ns01", "--count", "x"])).toBe(
      '--count needs a whole number from 1 to 1000000000, not "x"',
    );
    expect(err(CLI_VERBS.capture, ["lab", "ns01", "--count"])).toBe("--count needs a value (N)");
    expect(err(CLI_VERBS.test, ["lab", "--json=yes"])).toBe("--json takes no value");
    expect(err(CLI_VERBS.impair, ["lab", "ns01", "--jitter", "3"])).toMatch(/^--jitter is not a run-time change/);
  });
});

test("GIVEN the runner with no arguments THEN every verb it takes, none hidden", () => {
  spawnSync("npm", ["run", "build"], { cwd: root, encoding: "utf8" });
  const r = spawnSync("node", [join(root, "dist", "netops.cjs")], { encoding: "utf8" });
  expect(r.status).toBe(2);
  const listed = [...r.stderr.matchAll(/^ {2}netops (\S+)/gm)].map((m) => m[1]);
  expect(listed).toEqual(Object.keys(RUNNER_VERBS));
  // a verb it does not take, or a form a verb does not take, is refused with its usage
  const bad = spawnSync("node", [join(root, "dist", "netops.cjs"), "restore", "--b64", "e30="], { encoding: "utf8" });
  expect(bad.status).toBe(2);
  expect(bad.stderr).toMatch(/^netops restore: takes no forwarded \(it takes: args\)\nusage: netops restore/);
});

test("GIVEN nslab completion bash THEN valid bash that completes verbs, flags, choices and stack names", () => {
  const script = nslab(["completion", "bash"]).stdout;
  expect(spawnSync("bash", ["-n"], { input: script }).status).toBe(0);
  const dir = mkdtempSync(join(tmpdir(), "nslab-completion-"));
  try {
    mkdirSync(join(dir, "cdktf.out", "stacks", "synthesized-stack"), { recursive: true });
    mkdirSync(join(dir, "records", "_host", "deployed-stack"), { recursive: true });
    const complete = (...words: string[]) =>
      spawnSync(
        "bash",
        [
          "-c",
          `${script}\nCOMP_WORDS=(nslab ${words.map((w) => `'${w}'`).join(" ")}); COMP_CWORD=${words.length}; _nslab; echo "\${COMPREPLY[*]}"`,
        ],
        { cwd: dir, encoding: "utf8", env: { ...process.env, NSLAB_RECORD_DIR: join(dir, "records") } },
      ).stdout.trim();
    expect(complete("ver").split(" ").sort()).toEqual(["verify", "version"]);
    expect(complete("verify", "").split(" ").sort()).toEqual(["--out", "deployed-stack", "synthesized-stack"]);
    expect(complete("test", "lab", "--")).toBe("--all-pairs --json --junit --out");
    expect(complete("link", "lab", "ns01", "")).toBe("--out up down");
    expect(complete("boot", "")).toBe("--json enable disable status");
    expect(complete("boot", "enable", "dep")).toBe("deployed-stack");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  expect(nslab(["completion", "zsh"]).stdout).toMatch(/^autoload -U \+X bashcompinit && bashcompinit\n/);
});

test("GIVEN cli/ THEN one module runs the runner (cli/runner.ts)", () => {
  const files = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
    );
  const spawning = files(join(root, "cli")).filter((f) =>
    /execa\(\s*"node"|runnerArgv\(/.test(readFileSync(f, "utf8")),
  );
  expect(spawning.map((f) => f.slice(root.length + 1))).toEqual(["cli/runner.ts"]);
});
