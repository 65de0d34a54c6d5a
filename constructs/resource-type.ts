// Which Terraform resource every lab object synthesizes to (DESIGN.md, fact 1).
export enum ResourceType {
  /** Terraform's built-in `terraform_data` (Terraform >= 1.4, no provider download). */
  TERRAFORM_DATA = "terraform_data",
  /** `null_resource` from the hashicorp/null provider, for older Terraform. */
  NULL_RESOURCE = "null_resource",
}
