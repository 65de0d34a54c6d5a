// Stack-wide choices: the Terraform resource type every lab object synthesizes to
// (terraform_data is built into Terraform >= 1.4: no provider to download), where
// firewall rules live, who does the kernel work.
export enum ResourceType {
  /** Terraform's built-in `terraform_data` (Terraform >= 1.4, no provider download). */
  TERRAFORM_DATA = "terraform_data",
  /** `null_resource` from the hashicorp/null provider, for older Terraform. */
  NULL_RESOURCE = "null_resource",
}

/** Where a stack's firewall rules live. */
export enum Firewall {
  /** iptables (nf_tables backend or legacy): nslab's chains hooked from the built-in ones. */
  IPTABLES = "iptables",
  /** Native nftables: one table per stack, `ip nslab-<stack>`, replaced atomically. */
  NFTABLES = "nftables",
}

/** Who does a deploy's kernel work. */
export enum Execution {
  /**
   * Each lab object's own resource runs the runner on it (create and destroy
   * provisioners): Terraform's graph is the order, and every Terraform verb (`-replace`,
   * `destroy -target`, `taint`, a failed create) means on the kernel what it says. One
   * node process per object.
   */
  PER_OBJECT = "per-object",
  /**
   * One runner call converges the whole lab to the lab file on every apply, with
   * batched kernel commands: for big labs on small machines. Lab objects have no
   * Terraform resource (the stack's apply holds their lines); docs/terraform.md lists
   * the Terraform verbs on one object this gives up.
   */
  BATCHED = "batched",
}
