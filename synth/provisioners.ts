// A lab resource's Terraform block by its role (constructs/netops-resource.ts says what
// each role is): its trigger (the object's line, or the gate's lab file), its create and
// destroy provisioners, and its place in the graph. Written into the synthesized JSON
// (LabStack.toTerraform), so none of it goes through cdktf's token resolution, which at a
// thousand objects cost most of the synth. Bare addresses: cdktf would write a dependable
// as "${...}", which Terraform rejects there. Every local-exec is `quiet`: Terraform then
// prints the runner's own lines, not its command line with the object's whole spec.
import { HOSTS_WORD, LINE_ENV } from "../model/line";
import type { Role } from "../model/manifest";

export type { Role };

/**
 * A line as Terraform JSON must hold it: a string there is a template, so `${` and `%{`
 * (a workload's command may carry them) are escaped; Terraform hands the runner the
 * original text.
 */
export const escapeTemplate = (s: string) => s.replace(/\$\{/g, () => "$${").replace(/%\{/g, "%%{");

/** One resource, as its block needs it. */
export interface ResourceView {
  readonly role: Role;
  /** Its trigger line (objects and owners), escaped. */
  readonly line?: string;
  /** An owner on a Host: it copies and checks the runner there on create. */
  readonly onHost?: boolean;
  /** The runner verb of a gate's create provisioner, run on the lab file. */
  readonly gateVerb?: "sweep" | "converge";
  /** A lab object's parents and predecessors, by address. */
  readonly parents?: readonly string[];
  readonly predecessors?: readonly string[];
}

/** The stack, as every block needs it. */
export interface StackView {
  /** terraform_data (its triggers_replace and input), or null_resource (its triggers). */
  readonly isData: boolean;
  /** Default mode: each object its own provisioners; batched: the gate converges them all. */
  readonly perObject: boolean;
  readonly runnerPath: string;
  readonly labPath: string;
  readonly gate: string;
  /** The converge every apply ends with: nslab-converge, or in a batched stack its apply. */
  readonly settle: string;
  /** The lab objects' resources, by address (none in a batched stack). */
  readonly objects: readonly string[];
  /**
   * A batched stack's objects, for its apply's trigger: each one's line (escaped), by its
   * key (`@<host>/` before the key of an object on a Host).
   */
  readonly batch?: Readonly<Record<string, string>>;
  /** The owners on Hosts: their addresses, and their lines (escaped), which the sweep keeps. */
  readonly hostOwners: readonly { address: string; line: string }[];
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a resource block of cdktf's untyped JSON
type Block = Record<string, any>;

export function render(block: Block, r: ResourceView, s: StackView): void {
  if (r.role === "settle") return everyApply(block, s, ["converge", "--quiet"], [s.gate, ...s.objects]);
  if (r.role === "test") return everyApply(block, s, ["test"], [...s.objects, s.settle]);
  const batchApply = r.role === "gate" && s.batch !== undefined;
  if (batchApply) batchTrigger(block, s);
  else if (s.isData) block.triggers_replace = r.line ?? s.labPath;
  else block.triggers = { spec: r.line ?? s.labPath };
  // a literal reference (Terraform resolves it; cdktf never sees it)
  const text = s.isData ? "self.triggers_replace" : "self.triggers.spec";
  const self = batchApply && s.isData ? "${self.triggers_replace.lab}" : `\${${text}}`;
  // a line (an object's, an owner's) goes in the environment and only its key on the
  // command line, which Terraform prints when a provisioner fails or is killed
  const line = r.role === "object" || r.role === "owner";
  const runner = (verb: string, when: "create" | "destroy") => ({
    "local-exec": {
      command: line ? `\${split(" ", ${text})[0]}` : self,
      interpreter: ["node", s.runnerPath, verb, ...(batchApply ? ["--apply"] : [])],
      ...(line ? { environment: { [LINE_ENV]: self } } : {}),
      when,
      quiet: true,
    },
  });
  // none rather than []: Terraform rejects `"provisioner": []`
  if (r.role === "owner")
    block.provisioner = r.onHost
      ? [runner("create", "create"), runner("destroy", "destroy")]
      : [runner("destroy", "destroy")];
  else if (r.role === "gate") {
    block.provisioner = [runner(r.gateVerb!, "create")];
    keepHosts(block, s);
    // after every other machine's owner: before every object, which comes after the gate
    const owners = s.hostOwners.map((o) => o.address);
    if (owners.length) block.depends_on = [...(block.depends_on ?? []), ...owners];
  } else if (s.perObject) block.provisioner = [runner("create", "create"), runner("destroy", "destroy")];
  if (r.role !== "object") return;
  delete block["//"]; // construct-path metadata: see LabStack.toTerraform
  block.depends_on = [s.gate, ...(r.predecessors ?? [])];
  if (r.parents?.length) block.lifecycle = { replace_triggered_by: [...r.parents] };
}

/**
 * The gate (the sweep, or the batched apply) keeps the stack's Hosts (their owners'
 * lines) in its state. Every change of the lab replaces it, and its old instance's
 * destroy hands them to `netops retire`
 * with the new lab file: a Host deleted from the code together with its objects runs
 * no destroy provisioner (nor do they), so what the stack has on that machine is
 * removed there, as its owner's destroy would. An older state without the record
 * hands over nothing.
 */
function keepHosts(block: Block, s: StackView): void {
  const hosts = s.hostOwners.map((o) => o.line);
  // as JSON for the runner (a command must not be empty): [] for none, null from an older state
  if (s.isData) block.input = hosts;
  else block.triggers.hosts = JSON.stringify(hosts);
  const kept = s.isData ? "${jsonencode(self.input)}" : '${lookup(self.triggers, "hosts", "[]")}';
  // the gate's own address: what to `terraform state rm` when a Host cannot be cleared
  const retire = ["node", s.runnerPath, "retire", s.labPath, s.gate];
  // the owner lines in the environment, as an object's line (runner: withEnvLine)
  block.provisioner.push({
    "local-exec": {
      command: HOSTS_WORD,
      interpreter: retire,
      environment: { [LINE_ENV]: kept },
      when: "destroy",
      quiet: true,
    },
  });
}

/**
 * A batched stack's apply: replaced on every apply (it is also the converge that ends
 * every deploy, which the default mode's nslab-converge is), and its trigger holds every
 * object's spec by its key, so a plan shows each object added, changed or removed (and
 * `nslab diff` lists them, cli/batch-diff.ts) with no Terraform resource per object.
 */
function batchTrigger(block: Block, s: StackView): void {
  const at = "${timestamp()}";
  if (s.isData) block.triggers_replace = { lab: s.labPath, at, objects: s.batch };
  else block.triggers = { spec: s.labPath, at, ...s.batch };
}

/** A runner verb on the lab file at the end of every apply, after `after`. */
function everyApply(block: Block, s: StackView, verb: readonly string[], after: readonly string[]): void {
  // timestamp() is known only at apply: the resource is replaced, so run, by every apply
  if (s.isData) block.triggers_replace = "${timestamp()}";
  else block.triggers = { at: "${timestamp()}" };
  // the lab file comes last (local-exec's command); the runner reads options either side of it
  const run = { command: s.labPath, interpreter: ["node", s.runnerPath, ...verb], when: "create", quiet: true };
  block.provisioner = [{ "local-exec": run }];
  block.depends_on = [...after];
}
