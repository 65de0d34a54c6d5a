// The app: lab-stack (seed 004, the Quick start), one stack per other seed scenario,
// dual-stack (IPv4 and IPv6), and two-hosts (one lab on two machines: only when
// NSLAB_HOST_A and NSLAB_HOST_B name them, see stacks/two-hosts.ts).
// They reuse the seeds' own namespace names (ns1, ns2, ...): deploy one at a time.
import { App } from "cdktf";
import { Seed004BridgeNatStack } from "./stacks/seed004-bridge-nat";
import { Seed000BridgeStack } from "./stacks/seed000-bridge";
import { Seed000RoutesStack } from "./stacks/seed000-routes";
import { Seed000VethStack } from "./stacks/seed000-veth";
import { Seed001ModesStack } from "./stacks/seed001-modes";
import { Seed001VethStack } from "./stacks/seed001-veth";
import { Seed002NatStack } from "./stacks/seed002-nat";
import { Seed003BridgeStack } from "./stacks/seed003-bridge";
import { DualStackStack } from "./stacks/dual-stack";
import { twoHostsFromEnv } from "./stacks/two-hosts";

const app = new App();
new Seed004BridgeNatStack(app, "lab-stack");
new Seed000VethStack(app, "seed000-veth");
new Seed000BridgeStack(app, "seed000-bridge");
new Seed000RoutesStack(app, "seed000-routes");
new Seed001ModesStack(app, "seed001-modes");
new Seed001VethStack(app, "seed001-veth");
new Seed002NatStack(app, "seed002-nat");
new Seed003BridgeStack(app, "seed003-bridge");
new DualStackStack(app, "dual-stack");
twoHostsFromEnv(app, "two-hosts");
app.synth();
