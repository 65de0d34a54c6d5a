// Pure tier: which deployed lab a run-time verb acts on (its record, never the synth), and
// where a deploy may go (where its record says the lab is).
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadDeployed } from "../../cli/deployed";
import type { CliError } from "../../cli/manifest";
import { carryTerraform, swapIn } from "../../cli/project";
import { checkSandbox } from "../../cli/sandbox-guard";
import { recordDir, type DeployedRecord } from "../../model/record";
import { thrown } from "../helpers/thrown";

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "nslab-records-"));
  process.env.NSLAB_RECORD_DIR = join(root, "labs");
  delete process.env.NSLAB_HOST_NETNS;
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
  delete process.env.NSLAB_RECORD_DIR;
  delete process.env.NSLAB_HOST_NETNS;
});

/** A record as a deploy's runner writes it, from project `project`, with this lab text. */
function deployed(stack: string, host: string | undefined, project: string, lab = '{"lab":1}\n'): void {
  const dir = recordDir(host, stack);
  mkdirSync(dir, { recursive: true });
  const r: DeployedRecord = {
    v: 1,
    stack,
    ...(host ? { host } : {}),
    state: "deployed",
    at: "2026-12-07T00:00:00.000Z",
    from: join(root, project, "cdktf.out", "stacks", stack),
  };
  writeFileSync(join(dir, "record.json"), JSON.stringify(r));
  writeFileSync(join(dir, "lab.json"), lab);
}

/** A synth of `stack` in project `project` for `host`, with this lab text. */
function synthesized(stack: string, host: string | undefined, project: string, lab = '{"lab":1}\n') {
  const dir = join(root, project, "cdktf.out", "stacks", stack);
  mkdirSync(join(dir, "nslab"), { recursive: true });
  const manifest = {
    v: 1,
    stack,
    ...(host ? { host } : {}),
    execution: "per-object",
    lab: "nslab/lab-0.json",
    runner: "r",
  };
  writeFileSync(join(dir, "nslab", "stack.json"), JSON.stringify(manifest));
  writeFileSync(join(dir, "nslab", "lab-0.json"), lab);
  return { out: join(root, project, "cdktf.out"), manifest: manifest as never };
}

const refusal = (f: () => unknown) => thrown<CliError>(f);

test("GIVEN a lab deployed in a sandbox THEN a verb finds it with no variable, whatever the last synth says, and says how the synth differs", () => {
  deployed("lab", "sbx", "p");
  const { out } = synthesized("lab", undefined, "p"); // a diff without NSLAB_HOST_NETNS rewrote it
  const said: string[] = [];
  const d = loadDeployed("lab", out, (l) => said.push(l));
  expect(d.record.host).toBe("sbx");
  expect(d.dir).toBe(join(root, "labs", "sbx", "lab"));
  expect(said).toEqual([
    `nslab: lab: the code's last synth (${out}) puts it on the real host, and it is deployed on sandbox host sbx; ` +
      "acting on what is deployed (`nslab diff lab` shows the difference)",
  ]);
  // the same lab synthesized again: nothing to say
  synthesized("lab", "sbx", "p");
  said.length = 0;
  loadDeployed("lab", out, (l) => said.push(l));
  expect(said).toEqual([]);
  synthesized("lab", "sbx", "p", '{"lab":2}\n');
  loadDeployed("lab", out, (l) => said.push(l));
  expect(said).toEqual([
    `nslab: lab: the code's last synth (${out}) differs from what is deployed; acting on what is deployed (\`nslab diff lab\` shows the difference)`,
  ]);
});

test("GIVEN no record THEN a clear error naming the stack and how to deploy it", () => {
  const e = refusal(() => loadDeployed("lab", "cdktf.out"));
  expect(e.message).toBe(`stack lab is not deployed on this machine: it has no record in ${join(root, "labs")}`);
  expect(e.hint).toMatch(/^deploy it first: `NSLAB_HOST_NETNS=<sandbox> npx nslab deploy lab`/);
  deployed("lab", "sbx", "p");
  process.env.NSLAB_HOST_NETNS = "other";
  expect(refusal(() => loadDeployed("lab", "cdktf.out")).message).toBe(
    "stack lab is not deployed in sandbox host other: it is deployed on sandbox host sbx",
  );
});

test("GIVEN one stack name deployed in two places THEN NSLAB_HOST_NETNS picks, else this project's, else an error", () => {
  deployed("lab", "sbx", "p");
  deployed("lab", "sby", "q");
  deployed("lab", undefined, "r");
  const say = () => {};
  expect(loadDeployed("lab", join(root, "q", "cdktf.out"), say).record.host).toBe("sby");
  expect(refusal(() => loadDeployed("lab", join(root, "elsewhere", "cdktf.out"), say)).message).toBe(
    "stack lab is deployed in 3 places: the real host, sandbox host sbx, sandbox host sby",
  );
  process.env.NSLAB_HOST_NETNS = "sbx";
  expect(loadDeployed("lab", join(root, "elsewhere", "cdktf.out"), say).record.host).toBe("sbx");
});

test("GIVEN this project's lab deployed in a sandbox THEN a deploy or diff synthesized for another place is refused with the fix", () => {
  const { out } = synthesized("lab", "sbx", "p");
  const at = (host?: string) => synthesized("lab", host, "p").manifest;
  checkSandbox("lab", at(), out); // never deployed: nothing to compare
  deployed("lab", "sbx", "p");
  checkSandbox("lab", at("sbx"), out);
  expect(() => checkSandbox("lab", at(), out)).toThrow(
    "lab is deployed on sandbox host sbx, and this synth puts it on the real host: the deploy would rebuild every object there",
  );
  expect(refusal(() => checkSandbox("lab", at("other"), out)).exitCode).toBe(2);
  const e = refusal(() => checkSandbox("lab", at("other"), out, "diff"));
  expect(e.exitCode).toBe(1); // diff's 2 means "changes"
  expect(e.message).toMatch(/the diff would rebuild/);
  expect(e.hint).toMatch(/^set NSLAB_HOST_NETNS=sbx .* or `nslab destroy lab` first/);
  // another project's lab of the same name elsewhere is not this one's
  checkSandbox("lab", at("sbx"), join(root, "other", "cdktf.out"));
  checkSandbox("lab", at(), join(root, "other", "cdktf.out"));
});

test("GIVEN a synth aside THEN swapped in, each stack keeps its Terraform files; a copy for a plan leaves the output's own", () => {
  const p = { dir: root, app: ["true"], out: join(root, "cdktf.out") };
  const aside = { ...p, out: join(root, ".cdktf.out.next-1") };
  const stack = (out: string) => join(out, "stacks", "lab");
  mkdirSync(join(stack(p.out), ".terraform"), { recursive: true });
  writeFileSync(join(stack(p.out), ".terraform", "nslab-init"), "hash");
  writeFileSync(join(stack(p.out), "cdk.tf.json"), "old");
  mkdirSync(stack(aside.out), { recursive: true });
  writeFileSync(join(stack(aside.out), "cdk.tf.json"), "new");
  carryTerraform(stack(p.out), stack(aside.out), "copy");
  expect(readFileSync(join(stack(aside.out), ".terraform", "nslab-init"), "utf8")).toBe("hash");
  expect(readFileSync(join(stack(p.out), ".terraform", "nslab-init"), "utf8")).toBe("hash");
  rmSync(join(stack(aside.out), ".terraform"), { recursive: true });
  swapIn(aside, p);
  expect(readFileSync(join(stack(p.out), "cdk.tf.json"), "utf8")).toBe("new");
  expect(readFileSync(join(stack(p.out), ".terraform", "nslab-init"), "utf8")).toBe("hash");
  expect(readdirSync(root)).toEqual(["cdktf.out"]); // the synth aside and the old output gone
});
