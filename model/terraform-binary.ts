// Which Terraform runs a stack: NSLAB_TERRAFORM, else TERRAFORM_BINARY_NAME (what the
// cdktf and cdktn CLIs read, so one setting serves all three), else `terraform`. OpenTofu
// (`tofu`) applies the same cdk.tf.json and speaks the same -json stream (cli/terraform.ts).
// Read by the CLI, which runs it, and by the runner, whose hints name it: Terraform hands
// its own environment to every provisioner.

/** The command to run for Terraform, as the user named it (a name on PATH or a path). */
export function terraformBinary(env: NodeJS.ProcessEnv = process.env): string {
  return env.NSLAB_TERRAFORM || env.TERRAFORM_BINARY_NAME || "terraform";
}
