// Workload: a long-lived command, started on deploy and stopped on destroy. Inside an
// endpoint's namespace (Docker's bridge mode), or in the host namespace when no endpoint
// is given (host mode; the sandbox host when the stack has one). Two workloads on one
// endpoint share its namespace and reach each other on 127.0.0.1 (container mode).
import { Construct } from "constructs";
import { checkProps } from "./props";
import type { Endpoint } from "./endpoint";
import type { Sandbox } from "./sandbox";
import { message } from "./errors";
import { LabStack } from "./lab-stack";
import { LabObject } from "./lab-object";

export interface WorkloadOptions {
  /** The command and its arguments, run as is: no shell, no expansion. */
  readonly command: readonly string[];
  /**
   * Name of its pid and log files (`/run/nslab/<host>/<stack>/workload-<name>.{pid,log}`).
   * @default - the construct id
   */
  readonly name?: string;
}

export interface WorkloadProps extends WorkloadOptions {
  /**
   * The endpoint whose namespace it runs in.
   * @default - the host namespace (the sandbox host when the stack has one)
   */
  readonly endpoint?: Endpoint;
  /**
   * The sandbox whose namespace it runs in (instead of an endpoint's).
   * @default - see endpoint
   */
  readonly sandbox?: Sandbox;
}

const KIND = "Workload";

export class Workload extends Construct {
  readonly name: string;
  readonly command: readonly string[];
  readonly endpoint?: Endpoint;
  readonly resource: LabObject;

  constructor(scope: Construct, id: string, props: WorkloadProps) {
    super(scope, id);
    const stack = LabStack.of(this);
    // its name defaults to the id, which must name a file as well
    checkProps(this, "Workload", { ...props, name: props.name ?? id });
    this.name = props.name ?? id;
    this.command = [...props.command];
    this.endpoint = props.endpoint;
    const endpoint = props.endpoint;
    const sandbox = props.sandbox;
    const netns = endpoint?.netns ?? sandbox?.netns;
    this.resource = new LabObject(this, "Process", {
      stack,
      kind: "workload",
      spec: () => ({ kind: "workload", name: this.name, ...(netns ? { netns } : {}), command: [...this.command] }),
      host: () => sandbox?.host ?? endpoint?.host,
    });
    stack._register(this);
    this.node.addValidation({
      validate: () => {
        const same = stack.membersOf(Workload).find((w) => w.name === this.name);
        return same && same !== this
          ? [
              message(
                KIND,
                "name",
                `"${this.name}" is also the name of ${same.node.path}`,
                "give each workload of a stack its own name",
              ),
            ]
          : [];
      },
    });
  }
}
