// The Terraform resource type a stack's resources are, as their blocks differ: where the
// trigger goes (what replaces the resource when it changes), how a provisioner reads it
// back from `self`, and where the gate keeps the stack's Hosts. terraform_data is built
// into Terraform >= 1.4 (no provider to download); null_resource (the null provider) is
// for older ones.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a resource block of cdktf's untyped JSON
export type Block = Record<string, any>;

export interface TerraformType {
  readonly name: "terraform_data" | "null_resource";
  /** Replaced when `text` (an object's line, the lab file's path) changes. */
  trigger(block: Block, text: string): void;
  /** The trigger's text as a provisioner reads it (inside `${}`). */
  readonly self: string;
  /** Replaced on every apply (its trigger is the apply's time). */
  everyApply(block: Block): void;
  /** A batched apply's trigger: the lab file, the apply's time, and every object's line by key; the lab file read back. */
  batch(block: Block, labPath: string, objects: Readonly<Record<string, string>>): string;
  /** `hosts` kept in the state beside the trigger (the gate's Hosts); how a provisioner reads them, as JSON. */
  keep(block: Block, hosts: readonly string[]): string;
}

const AT = "${timestamp()}";

const terraformData: TerraformType = {
  name: "terraform_data",
  trigger: (block, text) => void (block.triggers_replace = text),
  self: "self.triggers_replace",
  everyApply: (block) => void (block.triggers_replace = AT),
  batch: (block, lab, objects) => ((block.triggers_replace = { lab, at: AT, objects }), "${self.triggers_replace.lab}"),
  keep: (block, hosts) => ((block.input = hosts), "${jsonencode(self.input)}"),
};

const nullResource: TerraformType = {
  name: "null_resource",
  trigger: (block, text) => void (block.triggers = { spec: text }),
  self: "self.triggers.spec",
  everyApply: (block) => void (block.triggers = { at: AT }),
  batch: (block, lab, objects) => ((block.triggers = { spec: lab, at: AT, ...objects }), "${self.triggers.spec}"),
  // triggers hold strings only
  keep: (block, hosts) => ((block.triggers.hosts = JSON.stringify(hosts)), '${lookup(self.triggers, "hosts", "[]")}'),
};

export const TERRAFORM_TYPES = { terraform_data: terraformData, null_resource: nullResource } as const;
