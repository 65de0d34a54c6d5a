// A lab described as data, turned into the main.ts of a project copy: end-to-end tests
// edit the shape between deploys (remove a construct, change a prop) as a user edits code.
import type { ContainerNetworkProps, EndpointOptions, PortMappingOptions, WorkloadOptions } from "../../constructs";

export interface PortShape {
  readonly id: string;
  readonly props: PortMappingOptions;
}
export interface WorkloadShape {
  readonly id: string;
  readonly props: WorkloadOptions;
}
export interface EndpointShape {
  readonly id: string;
  readonly props?: EndpointOptions;
  readonly ports?: readonly PortShape[];
  readonly workloads?: readonly WorkloadShape[];
}
export interface NetworkShape {
  readonly id: string;
  readonly props: ContainerNetworkProps;
  readonly endpoints?: readonly EndpointShape[];
  /** Ids of networks (earlier in the list) this one is connected to. */
  readonly connect?: readonly string[];
}
export type LabShape = readonly NetworkShape[];

/** Workloads in the host namespace (host mode), next to the networks. */
export interface HostShape {
  readonly workloads?: readonly WorkloadShape[];
}

/** main.ts for a project copy: one LabStack named `stack` built from `lab`. */
export function mainFor(lab: LabShape, stack = "lab-stack", host: HostShape = {}): string {
  return `import { App } from "cdktf";
import { ContainerNetwork, LabStack, Workload } from "./constructs";
const lab: any[] = ${JSON.stringify(lab)};
const hostWorkloads: any[] = ${JSON.stringify(host.workloads ?? [])};
const app = new App();
const stack = new LabStack(app, ${JSON.stringify(stack)});
const nets = new Map<string, ContainerNetwork>();
for (const n of lab) {
  const net = new ContainerNetwork(stack, n.id, n.props);
  nets.set(n.id, net);
  for (const other of n.connect ?? []) net.connect(nets.get(other)!);
  for (const e of n.endpoints ?? []) {
    const ep = net.addEndpoint(e.id, e.props ?? {});
    for (const p of e.ports ?? []) ep.publish(p.id, p.props);
    for (const w of e.workloads ?? []) ep.run(w.id, w.props);
  }
}
for (const w of hostWorkloads) new Workload(stack, w.id, w.props);
app.synth();
`;
}

/**
 * main.ts with two LabStacks, stack-a and stack-b (for deploying them at once): each one
 * network 10.250.<subnet+i>.0/24 on bridge <tag><i> with one endpoint, namespace
 * <tag>-s<i>, publishing host port <port+i> to 80.
 */
export function twoStacksMain(
  tag: string,
  subnet: number,
  port: number,
  execution: "per-object" | "batched" = "per-object",
): string {
  const stack = (id: string, i: number) => `
{
  const s = new LabStack(app, ${JSON.stringify(id)}, { execution: ${JSON.stringify(execution)} as Execution });
  const net = new ContainerNetwork(s, "Net", { subnet: "10.250.${subnet + i}.0/24", bridgeName: "${tag}s${i}" });
  net.addEndpoint("E", { netns: "${tag}-s${i}" }).publish("P", { hostPort: ${port + i}, containerPort: 80 });
}`;
  return `import { App } from "cdktf";
import { ContainerNetwork, type Execution, LabStack } from "./constructs";
const app = new App();
${stack("stack-a", 1)}
${stack("stack-b", 2)}
app.synth();
`;
}
