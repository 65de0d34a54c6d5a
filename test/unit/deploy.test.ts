// Pure tier: what `nslab deploy` reads before and while Terraform runs: cdktf.json's app
// as an argv (no shell), the stacks asked for, and Terraform's -json messages turned into
// a line per lab object, a failure with the runner's lines, the converge's word.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { diffExit } from "../../cli/deploy";
import { lockProject } from "../../cli/deploy-lock";
import { CliError } from "../../cli/manifest";
import { Progress } from "../../cli/progress";
import { appArgv, pickStacks } from "../../cli/project";
import type { TfMessage } from "../../cli/terraform";
import { thrown } from "../helpers/thrown";
import { startTime } from "../../netops/proc";

test("GIVEN cdktf.json's app THEN words, quotes kept together; a shell command line is refused with the fix", () => {
  expect(appArgv("npx ts-node main.ts")).toEqual(["npx", "ts-node", "main.ts"]);
  expect(appArgv(`node "my app/synth.js" --flag 'a b'`)).toEqual(["node", "my app/synth.js", "--flag", "a b"]);
  expect(appArgv(`node -e "a && b"`)).toEqual(["node", "-e", "a && b"]); // quoted: one word, no shell
  for (const bad of ["npm run build && node main.js", "node main.js | tee log", "node $APP", "node `x`"])
    expect(() => appArgv(bad)).toThrow(/nslab runs it without a shell/);
  expect(() => appArgv("  ")).toThrow(CliError);
});

test("GIVEN the app's stacks THEN the named ones, the only one, or an error listing them", () => {
  const all = new Map([
    ["a", "/o/stacks/a"],
    ["b", "/o/stacks/b"],
  ]);
  expect(pickStacks(all, ["b", "a"])).toEqual(["b", "a"]);
  expect(pickStacks(new Map([["a", "/o/stacks/a"]]), [])).toEqual(["a"]);
  expect(() => pickStacks(all, [])).toThrow("which stack?");
  try {
    pickStacks(all, ["c"]);
    throw new Error("not refused");
  } catch (err) {
    expect((err as CliError).message).toBe("no stack c in this app");
    expect((err as CliError).hint).toBe("its stacks: a, b");
  }
});

const RESOURCES = {
  "terraform_data.sweep": { role: "gate" as const, label: "sweep", path: "lab" },
  "terraform_data.br": { role: "object" as const, label: "bridge br01", path: "lab/Br01" },
  "terraform_data.ns": { role: "object" as const, label: "endpoint ns01", path: "lab/Br01/Ns01" },
  "terraform_data.converge": { role: "converge" as const, label: "converge", path: "lab" },
};
const hook = (type: string, addr: string, more: object = {}): TfMessage => ({
  type,
  hook: { resource: { addr }, ...more },
});
const out = (addr: string, output: string) => hook("provision_progress", addr, { output });

test("GIVEN Terraform's messages of a deploy THEN a line per object, no echo, the sweep's word, counts, the converge", () => {
  const lines: string[] = [];
  const p = new Progress(RESOURCES, false, (l) => lines.push(l));
  const msgs: TfMessage[] = [
    ...Object.keys(RESOURCES).map((addr) => ({
      type: "planned_change",
      change: { resource: { addr }, action: "create" },
    })),
    hook("apply_start", "terraform_data.sweep", { action: "create" }),
    out("terraform_data.sweep", "local-exec: Executing: Suppressed by quiet=true"),
    out("terraform_data.sweep", "netops sandbox host h: created: a namespace standing in for this machine's own"),
    hook("apply_complete", "terraform_data.sweep", { action: "create" }),
    hook("apply_start", "terraform_data.br", { action: "create" }),
    out("terraform_data.br", "netops bridge br01: create bridge br01"),
    hook("apply_complete", "terraform_data.br", { action: "create" }),
    hook("apply_start", "terraform_data.ns", { action: "create" }),
    hook("apply_complete", "terraform_data.ns", { action: "create" }),
    hook("apply_start", "terraform_data.converge", { action: "create" }),
    out("terraform_data.converge", "netops stack lab: this machine: put right 1 of 2: endpoint ns01 (missing: veth)"),
    hook("apply_complete", "terraform_data.converge", { action: "create" }),
  ];
  for (const m of msgs) p.onMessage(m);
  expect(lines.map((l) => l.replace(/\d+\.\d\d s$/, "T"))).toEqual([
    "  netops sandbox host h: created: a namespace standing in for this machine's own",
    `  + ${"bridge br01".padEnd(44)} T`,
    `  + ${"endpoint ns01".padEnd(44)} T`,
  ]);
  expect(p.counts()).toEqual({ created: 2, replaced: 0, updated: 0, destroyed: 0 });
  expect(p.converged).toEqual(["this machine: put right 1 of 2: endpoint ns01 (missing: veth)"]);
  expect(p.results.get("terraform_data.br")!.output).toEqual(["netops bridge br01: create bridge br01"]);
});

test("GIVEN a failed create THEN its label, its construct's path and the runner's lines; Terraform's own error not repeated", () => {
  const lines: string[] = [];
  const p = new Progress(RESOURCES, false, (l) => lines.push(l));
  p.onMessage(hook("apply_start", "terraform_data.ns", { action: "create" }));
  p.onMessage(out("terraform_data.ns", "netops create: endpoint ns01: ip link add: File exists"));
  p.onMessage(hook("apply_errored", "terraform_data.ns", { action: "create" }));
  p.onMessage({
    type: "diagnostic",
    diagnostic: { severity: "error", summary: "local-exec provisioner error", address: "terraform_data.ns" },
  });
  p.onMessage({ type: "diagnostic", diagnostic: { severity: "error", summary: "Failed to save state" } });
  expect(lines).toEqual([
    "  ✗ endpoint ns01 failed (lab/Br01/Ns01):",
    "      netops create: endpoint ns01: ip link add: File exists",
    "  terraform error: Failed to save state",
  ]);
});

test("GIVEN a plan THEN the lab's changes only (the stack's bookkeeping changes on every plan)", () => {
  const p = new Progress(RESOURCES, false, undefined);
  for (const [addr, action] of [
    ["terraform_data.sweep", "replace"],
    ["terraform_data.converge", "replace"],
    ["terraform_data.ns", "replace"],
    ["terraform_data.br", "noop"],
  ])
    p.onMessage({ type: "planned_change", change: { resource: { addr }, action } });
  expect(p.changes.map((c) => [c.label, c.action, c.path])).toEqual([["endpoint ns01", "replace", "lab/Br01/Ns01"]]);
});

test("GIVEN a plan that did not finish (an error, Ctrl-C, a signal) THEN its exit code, never 'no change'", () => {
  expect(diffExit(0, 0)).toBe(0);
  expect(diffExit(2, 0)).toBe(0); // the stack's own resources only
  expect(diffExit(2, 3)).toBe(2);
  expect(diffExit(0, 3)).toBe(2);
  expect(diffExit(1, 0)).toBe(1);
  expect(diffExit(130, 0)).toBe(130); // killed by SIGINT: 128 + 2
  expect(diffExit(143, 2)).toBe(143);
});

test("GIVEN Terraform's state lock held by another run THEN one line naming it, without the -lock=false advice", () => {
  const lines: string[] = [];
  const p = new Progress(RESOURCES, false, (l) => lines.push(l));
  // as Terraform 1.11 sends it (a plan while an apply of the same state runs)
  const detail =
    "Error message: resource temporarily unavailable\nLock Info:\n  ID:        293b7044-cb0e-0711-1a18-f259dd83afb4\n" +
    "  Path:      /tmp/lk/x.tfstate\n  Operation: OperationTypeApply\n  Who:       root@vm\n  Version:   1.11.4\n" +
    "  Created:   2026-12-07 04:01:41.974481558 +0000 UTC\n  Info:      \n\n\nTerraform acquires a state lock to protect the " +
    "state from being written\nby multiple users at the same time. Please resolve the issue above and try\nagain. For most " +
    'commands, you can disable locking with the "-lock=false"\nflag, but this is not recommended.';
  p.onMessage({
    type: "diagnostic",
    diagnostic: { severity: "error", summary: "Error acquiring the state lock", detail },
  });
  expect(lines).toEqual([
    "  another Terraform run holds this stack's state (apply by root@vm since 2026-12-07 04:01:41.974481558 +0000 UTC): " +
      "wait for it to finish; nothing was changed",
  ]);
});

test("GIVEN an nslab deploy running in the project THEN a second one is refused at once in one line; a dead holder's lock is taken over", () => {
  const dir = mkdtempSync(join(tmpdir(), "nslab-lock-"));
  const out = join(dir, "cdktf.out");
  const other = spawn("sleep", ["30"]);
  try {
    const lock = join(dir, ".cdktf.out.nslab-lock");
    const holder = (pid: number) =>
      JSON.stringify({
        pid,
        start: startTime(pid),
        verb: "deploy",
        stacks: ["lab-stack"],
        since: "2026-12-07T04:00:00Z",
      });
    writeFileSync(lock, holder(other.pid!));
    const refused = thrown<CliError>(() => lockProject(out, "deploy", []));
    expect(refused.message).toBe(
      `another nslab deploy lab-stack is running in this project (pid ${other.pid}, since 2026-12-07T04:00:00Z): ` +
        "wait for it to finish; nothing was changed",
    );
    expect(refused.exitCode).toBe(1);
    other.kill("SIGKILL");
    while (startTime(other.pid!) !== null) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
    const release = lockProject(out, "destroy", ["lab-stack"]);
    expect(JSON.parse(readFileSync(lock, "utf8"))).toMatchObject({ pid: process.pid, verb: "destroy" });
    release();
    expect(existsSync(lock)).toBe(false);
  } finally {
    other.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
});

test("GIVEN Ctrl-C passed on THEN a line per object Terraform killed, none of its errors, no spec", () => {
  const lines: string[] = [];
  const p = new Progress(RESOURCES, false, (l) => lines.push(l));
  p.onMessage(hook("apply_start", "terraform_data.ns", { action: "create" }));
  p.onMessage(out("terraform_data.ns", "netops endpoint ns01: create namespace ns01 and veth veth-ns01"));
  p.interrupt();
  p.onMessage(hook("apply_errored", "terraform_data.ns", { action: "create" }));
  // as Terraform 1.11 says it (the command is the object's key: its spec is in the environment)
  const killed = {
    severity: "error" as const,
    summary: "local-exec provisioner error",
    detail: "Error running command 'endpoint-ns01:eth0': signal: killed. Output: ",
    address: "terraform_data.ns",
  };
  p.onMessage({ type: "diagnostic", diagnostic: killed });
  // one Terraform had not started yet when the interrupt came
  const canceled = { ...killed, detail: "Error running command 'names': context canceled. Output: " };
  p.onMessage({ type: "diagnostic", diagnostic: canceled });
  for (let i = 0; i < 3; i++)
    p.onMessage({ type: "diagnostic", diagnostic: { severity: "error", summary: "execution halted" } });
  expect(lines).toEqual(["  ✗ endpoint ns01 interrupted (lab/Br01/Ns01)"]);
  // an error of another kind still shows
  p.onMessage({ type: "diagnostic", diagnostic: { severity: "error", summary: "Failed to save state" } });
  expect(lines).toHaveLength(2);
});
