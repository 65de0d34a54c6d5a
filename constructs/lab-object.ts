// A lab object's resource: its trigger line (key + spec) in the replace trigger, its
// parents (from the registry of kinds, model/kinds.ts) in depends_on and
// replace_triggered_by. Default mode: a create provisioner (`netops create`) and a destroy
// provisioner (`netops destroy`, the line read from `self`). Batched mode: no Terraform
// resource at all (the stack's nslab-apply does the work, and holds every object's spec
// in its trigger).
import type { Construct } from "constructs";
import { labelOf } from "../model/kinds";
import type { ObjectSpec } from "../model/schema";
import { Execution } from "./resource-type";
import { addressOf, NetopsResource, type NetopsResourceProps } from "./netops-resource";
import { objectBlock, type StackView } from "../synth/provisioners";
import type { Block } from "../synth/terraform-type";

export interface LabObjectProps extends Omit<NetopsResourceProps, "noResource"> {
  /** The kind of its spec, known before the spec is (objects' specs read each other's at synth). */
  readonly kind: ObjectSpec["kind"];
  readonly spec: NonNullable<NetopsResourceProps["spec"]>;
}

export class LabObject extends NetopsResource {
  readonly role = "object" as const;
  readonly kind: ObjectSpec["kind"];

  constructor(scope: Construct, id: string, props: LabObjectProps) {
    super(scope, id, { ...props, noResource: props.stack.execution === Execution.BATCHED });
    this.kind = props.kind;
    // two objects never make the same thing on one machine (reported on the user's construct)
    scope.node.addValidation({ validate: () => this.stack._clashesOf(this) });
  }

  get objectSpec(): ObjectSpec {
    return this.spec as ObjectSpec;
  }

  get label(): string {
    return labelOf(this.objectSpec);
  }

  render(block: Block, stack: StackView): void {
    const place = this.stack.graphOf(this);
    objectBlock(
      block,
      this.line,
      { parents: place.parents.map(addressOf), predecessors: place.predecessors.map(addressOf) },
      stack,
    );
  }
}
