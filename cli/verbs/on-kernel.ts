// The deployed lab a verb acts on, when it acts on its kernel objects: its sandbox host
// must be there (only a deploy or boot restore makes it).
import { loadDeployed, requireSandbox, type DeployedLab } from "../deployed";

export function onKernel(stack: string, out = "cdktf.out"): DeployedLab {
  const d = loadDeployed(stack, out);
  requireSandbox(d);
  return d;
}
