// The null provider and its null_resource, for stacks that choose ResourceType.NULL_RESOURCE,
// rendered without @cdktf/provider-null: that package is built on cdktf alone, and these
// two blocks are all nslab needs of it. They render as provider-null 11 renders them (a
// constructs test compares the two), so a stack deployed with it plans no change.
import type { Construct } from "constructs";
import { TerraformProvider, TerraformResource } from "./engine";

/** The provider-null release whose blocks these are. */
const GENERATOR = { providerName: "null", providerVersion: "3.2.4", providerVersionConstraint: "~> 3.0" };

export class NullProvider extends TerraformProvider {
  constructor(scope: Construct, id: string) {
    super(scope, id, {
      terraformResourceType: "null",
      terraformGeneratorMetadata: GENERATOR,
      terraformProviderSource: "null",
    });
  }

  protected synthesizeAttributes(): Record<string, unknown> {
    return {};
  }
}

export class NullResource extends TerraformResource {
  constructor(scope: Construct, id: string, dependsOn?: TerraformResource[]) {
    super(scope, id, { terraformResourceType: "null_resource", terraformGeneratorMetadata: GENERATOR, dependsOn });
  }

  protected synthesizeAttributes(): Record<string, unknown> {
    return { triggers: {} };
  }
}
