import { App } from "cdktf";
import { BridgeLabStack } from "./stacks/lab-stack";

const app = new App();
new BridgeLabStack(app, "lab-stack");
app.synth();
