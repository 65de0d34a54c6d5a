// Pure tier, issue 31 item 1: a mistake in the user's constructs reaches them as its
// message (path, prop, problem, fix) and the line of their own file that made the
// construct; under `nslab deploy|diff`, the message alone. Not node's dump of an uncaught
// error, nor cdktf's advice to skip validation.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe as said, userFrame } from "../../constructs/error-printer";
import { SYNTH_SAID_EXIT } from "../../model/manifest";

const ROOT = join(__dirname, "..", "..");
const dir = mkdtempSync(join(tmpdir(), "nslab-synth-errors-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A user's main.ts (importing this library's sources), run as `npx tsx main.ts` runs it. */
function runApp(body: string, env: Record<string, string> = {}) {
  const file = join(dir, `main-${Math.random().toString(36).slice(2)}.ts`);
  writeFileSync(
    file,
    `import { App } from "cdktf";\nimport { ContainerNetwork, LabStack } from "${join(ROOT, "constructs")}";\n` +
      `const app = new App({ outdir: "${join(dir, "out")}" });\nconst stack = new LabStack(app, "lab");\n${body}\napp.synth();\n`,
  );
  const r = spawnSync(join(ROOT, "node_modules", ".bin", "tsx"), [file], {
    encoding: "utf8",
    // a project of the user's own resolves cdktf from its node_modules; this one borrows ours
    env: { ...process.env, NODE_PATH: join(ROOT, "node_modules"), ...env },
  });
  return { file, code: r.status, stderr: r.stderr };
}

test("GIVEN a bad prop, run directly THEN its message and the user's line; under nslab, the message alone", () => {
  const body = 'new ContainerNetwork(stack, "Net", { subnet: "10.250.77.0/24", gateway: "10.9.9.1" });';
  const message =
    "lab/Net: ContainerNetwork prop `gateway`: 10.9.9.1 is outside the subnet 10.250.77.0/24. " +
    "Fix: pick an address inside 10.250.77.0/24.\n";
  const direct = runApp(body);
  expect(direct.stderr).toBe(`${message}    at ${direct.file}:5:1\n`);
  expect(direct.code).toBe(SYNTH_SAID_EXIT);
  const underNslab = runApp(body, { NSLAB_SYNTH_BY: "nslab" });
  expect(underNslab.stderr).toBe(message);
});

test("GIVEN a clash found at app.synth() THEN its lines, without cdktf's advice to skip validation", () => {
  const r = runApp(
    'const n = new ContainerNetwork(stack, "Net", { subnet: "10.250.77.0/24" });\n' +
      'n.addEndpoint("A", { netns: "dup" });\nn.addEndpoint("B", { netns: "dup" });',
  );
  expect(r.stderr).toBe(
    'lab/Net/B: Endpoint prop `netns`: namespace "dup" is also made by lab/Net/A (Endpoint). ' +
      "Fix: give each its own netns, or join them through one Sandbox.\n",
  );
  expect(r.code).toBe(SYNTH_SAID_EXIT);
});

test("GIVEN an error that is not ours THEN node reports it as ever", () => {
  const r = runApp('throw new Error("the user\'s own");');
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/Error: the user's own\n\s+at /);
  expect(said(new Error("x"), false)).toBeNull();
});

test("GIVEN a stack THEN the first frame outside the library, its sources or its builds", () => {
  const stack = [
    "NslabValidationError: x",
    `    at fail (${ROOT}/constructs/container-network.ts:325:13)`,
    `    at new ContainerNetwork (${ROOT}/lib/constructs/container-network.js:157:12)`,
    "    at <anonymous> (/home/u/my-lab/main.ts:5:1)",
    "    at Module._compile (node:internal/modules/cjs/loader:1521:14)",
  ].join("\n");
  expect(userFrame(stack, ROOT)).toBe("/home/u/my-lab/main.ts:5:1");
  expect(userFrame(stack.split("\n").slice(0, 3).join("\n"), ROOT)).toBeUndefined();
});
