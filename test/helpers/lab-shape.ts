// A lab described as data, turned into the main.ts of a project copy: end-to-end tests
// edit the shape between deploys (remove a construct, change a prop) as a user edits code.
import type { ContainerNetworkProps, EndpointOptions, PortMappingOptions } from "../../constructs";

export interface PortShape {
  readonly id: string;
  readonly props: PortMappingOptions;
}
export interface EndpointShape {
  readonly id: string;
  readonly props?: EndpointOptions;
  readonly ports?: readonly PortShape[];
}
export interface NetworkShape {
  readonly id: string;
  readonly props: ContainerNetworkProps;
  readonly endpoints?: readonly EndpointShape[];
}
export type LabShape = readonly NetworkShape[];

/** main.ts for a project copy: one LabStack named `stack` built from `lab`. */
export function mainFor(lab: LabShape, stack = "lab-stack"): string {
  return `import { App } from "cdktf";
import { ContainerNetwork, LabStack } from "./constructs";
const lab: any[] = ${JSON.stringify(lab)};
const app = new App();
const stack = new LabStack(app, ${JSON.stringify(stack)});
for (const n of lab) {
  const net = new ContainerNetwork(stack, n.id, n.props);
  for (const e of n.endpoints ?? []) {
    const ep = net.addEndpoint(e.id, e.props ?? {});
    for (const p of e.ports ?? []) ep.publish(p.id, p.props);
  }
}
app.synth();
`;
}
