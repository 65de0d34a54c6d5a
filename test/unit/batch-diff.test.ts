// Pure tier: a batched stack's diff (its objects live in nslab-apply's trigger, not in
// resources of their own) and the converge's closing line, which `nslab deploy` counts by.
import { batchChanges, type PlanJson } from "../../cli/batch-diff";
import { Progress } from "../../cli/progress";
import { convergedCounts, convergedLine } from "../../model/lab-change";
import { toLine } from "../../model/line";
import type { StackManifest } from "../../model/manifest";
import type { NamesSpec, ObjectSpec } from "../../model/schema";
import { br01, endpointSpec, port8080 } from "../helpers/specs";

const net = br01();
const ep = (netns: string, address: string) => endpointSpec(netns, { address });
const a = ep("ns01", "192.168.88.11");
const b = ep("ns02", "192.168.88.12");
const c = ep("ns03", "192.168.88.13");
const pm = port8080();
const GATE = "terraform_data.nslab-apply_1";
const objects = (specs: ObjectSpec[]) => Object.fromEntries(specs.map((s) => [toLine(s).split(" ")[0], toLine(s)]));
const manifest: StackManifest = {
  v: 1,
  stack: "lab",
  execution: "batched",
  lab: "nslab/lab-0123.json",
  runner: "r.cjs",
  resources: { [GATE]: { role: "gate", label: "converge", path: "lab" } },
  objects: { "endpoint-ns01:eth0": { label: "endpoint ns01", path: "lab/Br01/Ns01" } },
};
const plan = (before: unknown, after: unknown, more: PlanJson["resource_changes"] = []): PlanJson => ({
  resource_changes: [{ address: GATE, change: { actions: ["delete", "create"], before, after } }, ...more],
});
const shown = (r: ReturnType<typeof batchChanges>) => r.map((o) => `${o.action} ${o.label} ${o.path}`);

test("GIVEN the apply's objects before and after THEN each object made, removed, or rebuilt with what it hangs off", () => {
  const before = { triggers_replace: { lab: "x", at: "t", objects: objects([net, a, b, pm]) } };
  const after = { triggers_replace: { lab: "y", objects: objects([net, { ...a, mtu: 1400 }, c, pm]) } };
  expect(shown(batchChanges(plan(before, after), GATE, manifest)).sort()).toEqual(
    [
      "delete endpoint ns02 ",
      "replace endpoint ns01 lab/Br01/Ns01", // its own change
      "replace port *:8080/tcp -> 192.168.88.11:80 ", // hangs off ns01
      "create endpoint ns03 ",
    ].sort(),
  );
  // no change: nothing, whatever the apply's time and lab file name say
  expect(
    batchChanges(
      plan(before, { triggers_replace: { lab: "z", objects: before.triggers_replace.objects } }),
      GATE,
      manifest,
    ),
  ).toEqual([]);
  // null_resource: one flat map, the lab file under `spec`
  const flat = (specs: ObjectSpec[]) => ({ triggers: { spec: "x", at: "t", hosts: "[]", ...objects(specs) } });
  expect(shown(batchChanges(plan(flat([net, a]), flat([net, a, c])), GATE, manifest))).toEqual([
    "create endpoint ns03 ",
  ]);
});

test("GIVEN a stack an older nslab deployed (a tracking resource per object) THEN its objects are read from them", () => {
  const old = (s: ObjectSpec) => ({
    address: `terraform_data.${s.kind}`,
    change: { actions: ["delete"], before: { triggers_replace: toLine(s) }, after: null },
  });
  // a key without a dash (names, nftables) is an object's too
  const names: NamesSpec = { v: 1, stack: "lab", kind: "names", endpoints: [], files: [] };
  const p = plan(
    { triggers_replace: "nslab/lab-old.json" },
    { triggers_replace: { lab: "y", objects: objects([net, a, c, names]) } },
    [old(net), old(a), old(names)],
  );
  expect(shown(batchChanges(p, GATE, manifest))).toEqual(["create endpoint ns03 "]);
});

test("GIVEN a converge's change THEN one closing line, a first deploy's objects counted not named, and counts read back", () => {
  const none = { made: [], rebuilt: [], removed: [], putRight: [] };
  expect(convergedLine("this machine", 4, none)).toBe("this machine: all 4 objects as declared");
  expect(convergedLine("this machine", 3, { ...none, made: [net, a, b] })).toBe("this machine: made 3");
  const many = [a, b, c, ep("ns04", "192.168.88.14"), ep("ns05", "192.168.88.15"), ep("ns06", "192.168.88.16")];
  const line = convergedLine("host b", 9, {
    made: [c],
    rebuilt: [pm],
    removed: many,
    putRight: [{ spec: net, drift: ["missing: bridge br01", "missing: firewall"] }],
  });
  expect(line).toBe(
    "host b: made 1: endpoint ns03; rebuilt 1: port *:8080/tcp -> 192.168.88.11:80; " +
      "removed 6: endpoint ns01, endpoint ns02, endpoint ns03, endpoint ns04, endpoint ns05, ... (1 more); " +
      "put right 1 of 9: bridge br01 (missing: bridge br01, ...)",
  );
  expect(convergedCounts(line)).toEqual({ made: 1, rebuilt: 1, removed: 6, putRight: 1 });
  expect(convergedCounts("this machine: all 4 objects as declared")).toEqual({
    made: 0,
    rebuilt: 0,
    removed: 0,
    putRight: 0,
  });
});

test("GIVEN a batched deploy's messages THEN the counts come from the apply's closing lines, a Host's named by its owner", () => {
  const resources = {
    [GATE]: { role: "gate" as const, label: "converge", path: "lab" },
    "terraform_data.owner_b": { role: "owner" as const, label: "host b", path: "lab/B" },
  };
  const p = new Progress(resources, true, undefined);
  const out = (addr: string, output: string) =>
    p.onMessage({ type: "provision_progress", hook: { resource: { addr }, output } });
  out(GATE, "netops endpoint ns01: create namespace ns01");
  out(GATE, "netops stack lab: this machine: made 3");
  out(GATE, "netops stack lab: host b: made 2; removed 1: endpoint x");
  // a tracking resource an older nslab made: dropped, not counted, not shown
  p.onMessage({ type: "apply_complete", hook: { resource: { addr: "terraform_data.Br01_Bridge" }, action: "delete" } });
  expect(p.counts()).toEqual({ created: 5, replaced: 0, updated: 0, destroyed: 1 });
  expect(p.converged).toEqual(["this machine: made 3", "host b: made 2; removed 1: endpoint x"]);
  expect(p.changes).toEqual([]);
  const d = new Progress(resources, true, undefined);
  d.onMessage({
    type: "provision_progress",
    hook: {
      resource: { addr: "terraform_data.owner_b" },
      output: "netops stack lab: this machine: removed 2: endpoint y, endpoint z",
    },
  });
  expect(d.converged).toEqual(["host b: removed 2: endpoint y, endpoint z"]);
  expect(d.counts().destroyed).toBe(2);
});
