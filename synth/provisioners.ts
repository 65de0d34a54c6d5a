// Each of a stack's resources' Terraform block (constructs/netops-resource.ts says what
// each is): its trigger (the object's line, or the gate's lab file), its create and
// destroy provisioners, and its place in the graph. Written into the synthesized JSON
// (LabStack.toTerraform), so none of it goes through cdktf's token resolution, which at a
// thousand objects cost most of the synth. Bare addresses: cdktf would write a dependable
// as "${...}", which Terraform rejects there. Every local-exec is `quiet`: Terraform then
// prints the runner's own lines, not its command line with the object's whole spec.
import { HOSTS_WORD, LINE_ENV } from "../model/line";
import type { Block, TerraformType } from "./terraform-type";

/**
 * A line as Terraform JSON must hold it: a string there is a template, so `${` and `%{`
 * (a workload's command may carry them) are escaped; Terraform hands the runner the
 * original text.
 */
export const escapeTemplate = (s: string) => s.replace(/\$\{/g, () => "$${").replace(/%\{/g, "%%{");

/** The stack, as every block needs it. */
export interface StackView {
  readonly type: TerraformType;
  readonly runnerPath: string;
  readonly labPath: string;
  readonly gate: string;
  /** The converge every apply ends with: nslab-converge, or in a batched stack its apply. */
  readonly closing: string;
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

/**
 * A provisioner that runs the runner's `verb` on a line: the line goes in the environment
 * and only its key on the command line, which Terraform prints when a provisioner fails
 * or is killed.
 */
function onLine(s: StackView, verb: "create" | "destroy") {
  const text = s.type.self;
  return {
    "local-exec": {
      command: `\${split(" ", ${text})[0]}`,
      interpreter: ["node", s.runnerPath, verb],
      environment: { [LINE_ENV]: `\${${text}}` },
      when: verb,
      quiet: true,
    },
  };
}

/** A lab object (default mode): made and removed by its own provisioners, in its place in the graph. */
export function objectBlock(
  block: Block,
  line: string,
  place: { readonly parents: readonly string[]; readonly predecessors: readonly string[] },
  s: StackView,
): void {
  s.type.trigger(block, line);
  block.provisioner = [onLine(s, "create"), onLine(s, "destroy")];
  delete block["//"]; // construct-path metadata: see LabStack.toTerraform
  block.depends_on = [s.gate, ...place.predecessors];
  if (place.parents.length) block.lifecycle = { replace_triggered_by: [...place.parents] };
}

/** The stack's owner on a machine: its destroy removes what the stack has there; on a Host, its create puts the runner there. */
export function ownerBlock(block: Block, line: string, onAHost: boolean, s: StackView): void {
  s.type.trigger(block, line);
  // none rather than []: Terraform rejects `"provisioner": []`
  block.provisioner = onAHost ? [onLine(s, "create"), onLine(s, "destroy")] : [onLine(s, "destroy")];
}

/**
 * The gate: the sweep on the lab file, or a batched stack's apply. The apply is replaced
 * on every apply (it is also the converge that ends every deploy, which the default mode's
 * nslab-converge is), and its trigger holds every object's spec by its key, so a plan
 * shows each object added, changed or removed (`nslab diff` lists them, cli/batch-diff.ts)
 * with no Terraform resource per object. Either keeps the stack's Hosts.
 */
export function gateBlock(block: Block, verb: "sweep" | "converge", s: StackView): void {
  const self = s.batch
    ? s.type.batch(block, s.labPath, s.batch)
    : (s.type.trigger(block, s.labPath), `\${${s.type.self}}`);
  const interpreter = ["node", s.runnerPath, verb, ...(s.batch ? ["--apply"] : [])];
  block.provisioner = [{ "local-exec": { command: self, interpreter, when: "create", quiet: true } }];
  keepHosts(block, s);
  // after every other machine's owner: before every object, which comes after the gate
  const owners = s.hostOwners.map((o) => o.address);
  if (owners.length) block.depends_on = [...(block.depends_on ?? []), ...owners];
}

/** A runner verb on the lab file at the end of every apply (the converge, the test on deploy), after `after`. */
export function everyApplyBlock(block: Block, verb: readonly string[], after: readonly string[], s: StackView): void {
  // timestamp() is known only at apply: the resource is replaced, so run, by every apply
  s.type.everyApply(block);
  // the lab file comes last (local-exec's command); the runner reads options either side of it
  const run = { command: s.labPath, interpreter: ["node", s.runnerPath, ...verb], when: "create", quiet: true };
  block.provisioner = [{ "local-exec": run }];
  block.depends_on = [...after];
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
  // as JSON for the runner (a command must not be empty): [] for none, null from an older state
  const kept = s.type.keep(
    block,
    s.hostOwners.map((o) => o.line),
  );
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
