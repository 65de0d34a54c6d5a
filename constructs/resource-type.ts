// Which Terraform resource every lab object synthesizes to (DESIGN.md, fact 1).
export enum ResourceType {
  /** Terraform's built-in `terraform_data` (Terraform >= 1.4, no provider download). */
  TERRAFORM_DATA = "terraform_data",
  /** `null_resource` from the hashicorp/null provider, for older Terraform. */
  NULL_RESOURCE = "null_resource",
}

/** Where a stack's firewall rules live. */
export enum Firewall {
  /** iptables (nf_tables backend or legacy): netlab's chains hooked from the built-in ones. */
  IPTABLES = "iptables",
  /** Native nftables: one table per stack, `ip netlab-<stack>`, replaced atomically. */
  NFTABLES = "nftables",
}
