export { ContainerNetwork, type ContainerNetworkProps } from "./container-network";
export { Endpoint, type EndpointOptions, type EndpointProps } from "./endpoint";
export { PortMapping, Protocol, type PortMappingOptions, type PortMappingProps } from "./port-mapping";
export { Sandbox, type SandboxProps } from "./sandbox";
export { VethLink, type VethLinkEnd, type VethLinkProps } from "./veth-link";
export { Route, type RouteProps } from "./route";
export { Workload, type WorkloadOptions, type WorkloadProps } from "./workload";
export { Execution, Firewall, LabStack, ResourceType, type LabStackProps } from "./lab-stack";
export { NetlabValidationError } from "./errors";
