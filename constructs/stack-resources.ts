// The stack's own resources, around its lab objects:
//   owner     nslab-owner (one per machine: a Host's own too): created first, destroyed
//             last; its destroy removes whatever the stack still has on the machine.
//   gate      nslab-sweep (default) or nslab-apply (batched): its trigger is the lab file,
//             its create runs `netops sweep` on it (every lab object is created after it),
//             or in a batched stack `netops converge --apply` on every apply. It also keeps
//             the stack's Hosts: its destroy (`netops retire`) clears a machine the code no
//             longer has.
//   converge  nslab-converge (default mode): replaced on every apply, after every lab
//             object; its create runs `netops converge --quiet` on the lab file, which
//             checks every machine of the lab against it and puts right what is not as
//             declared, whatever the cause (a deploy killed half-way, whose objects
//             Terraform has in its state but never built; a reboot; a device deleted by
//             hand; a run-time impair or link down).
//   test      nslab-test (testOnDeploy): replaced on every apply, after the converge; its
//             create runs `netops test` on the lab file, so a deploy fails when an
//             Expectation does not hold.
import type { Construct } from "constructs";
import { NetopsResource, type NetopsResourceProps } from "./netops-resource";
import { everyApplyBlock, gateBlock, ownerBlock, type StackView } from "../synth/provisioners";
import type { Block } from "../synth/terraform-type";

type Props = Pick<NetopsResourceProps, "stack" | "after" | "host">;

export class StackOwner extends NetopsResource {
  readonly role = "owner" as const;

  constructor(scope: Construct, id: string, props: Props) {
    super(scope, id, { ...props, spec: () => ({ kind: "stack" }) });
  }

  get label(): string {
    return this.host ? `host ${this.host.remote.name}` : "owner";
  }

  render(block: Block, stack: StackView): void {
    ownerBlock(block, this.line, this.host !== undefined, stack);
  }
}

export class StackGate extends NetopsResource {
  readonly role = "gate" as const;

  constructor(
    scope: Construct,
    id: string,
    props: Props,
    /** The runner verb its create runs on the lab file. */
    private readonly verb: "sweep" | "converge",
  ) {
    super(scope, id, props);
  }

  get label(): string {
    return this.verb;
  }

  render(block: Block, stack: StackView): void {
    gateBlock(block, this.verb, stack);
  }
}

/** The converge every apply of a default stack ends with. */
export class StackConverge extends NetopsResource {
  readonly role = "converge" as const;
  readonly label = "converge";

  render(block: Block, stack: StackView): void {
    everyApplyBlock(block, ["converge", "--quiet"], [stack.gate, ...stack.objects], stack);
  }
}

/** The stack's Expectations, checked at the end of every apply (testOnDeploy). */
export class StackTest extends NetopsResource {
  readonly role = "test" as const;
  readonly label = "test";

  render(block: Block, stack: StackView): void {
    everyApplyBlock(block, ["test"], [...stack.objects, stack.closing], stack);
  }
}
