// End to end, issue 10 item 4: two stacks of 20 endpoints each (a port mapping apiece),
// deployed and destroyed together (`cdktf deploy a b` runs both at once) twice, each
// at Terraform's default parallelism:
// up to twenty runners change one firewall, one ip_forward and one ledger at once. No
// error, verify clean, isolation and published ports right, the host pristine after.
import { existsSync } from "node:fs";
import { must, ok, requireRoot } from "../helpers/cmd";
import { e2eSandbox } from "../helpers/e2e";
import { hostState, inNs } from "../helpers/sandbox";
import { ping } from "../helpers/traffic";

requireRoot("e2e");
jest.setTimeout(1_200_000);

const N = 20;
const ns = (stack: number, i: number) => `cc${stack}-e${i}`;
const { host, project } = e2eSandbox([1, 2].flatMap((s) => Array.from({ length: N }, (_, i) => ns(s, i + 1))));

const stack = (id: string, s: number) => `
{
  const st = new LabStack(app, ${JSON.stringify(id)});
  const net = new ContainerNetwork(st, "Net", { subnet: "10.250.${60 + s}.0/24", bridgeName: "ccbr${s}" });
  for (let i = 1; i <= ${N}; i++) net.addEndpoint("E" + i, { netns: "cc${s}-e" + i }).publish("P", { hostPort: ${s * 1000 + 30000} + i, containerPort: 80 });
}`;

test("two 20-endpoint stacks deployed and destroyed together twice: no error, verify clean, host pristine", () => {
  project.useMain(`import { App } from "cdktf";
import { ContainerNetwork, LabStack } from "./constructs";
const app = new App();
${stack("stack-a", 1)}
${stack("stack-b", 2)}
app.synth();
`);
  const pristine = hostState(host);
  for (let cycle = 1; cycle <= 2; cycle++) {
    const up = project.cdktf(["deploy", "stack-a", "stack-b", "--auto-approve"], host);
    expect({ cycle, code: up.code, out: up.code ? (up.stdout + up.stderr).slice(-3000) : "" }).toEqual({
      cycle,
      code: 0,
      out: "",
    });
    for (const s of ["stack-a", "stack-b"])
      expect(must(project.nslab(["verify", s], host), `nslab verify ${s}`)).toMatch(/42 objects match the kernel/);
    // each network's IN hook above every OUT hook in FORWARD, whatever order the runners ran in
    const forward = ok(inNs(host, ["iptables", "-w", "-S", "FORWARD"]))
      .split("\n")
      .filter((l) => l.includes("NSLAB-"));
    const lastIn = Math.max(...forward.map((l, i) => (l.includes("NSLAB-IN-") ? i : -1)));
    const firstOut = forward.findIndex((l) => l.includes("NSLAB-OUT-"));
    expect({ cycle, hooks: forward.length, inAboveOut: lastIn < firstOut }).toEqual({
      cycle,
      hooks: 4,
      inAboveOut: true,
    });
    expect(ping(ns(1, 1), `10.250.61.${N + 1}`)).toBe(true);
    expect(ping(ns(2, 1), "10.250.61.2")).toBe(false); // the two stacks' networks stay apart
    expect(ok(inNs(host, ["iptables-save", "-t", "nat"])).match(/-j DNAT/g)).toHaveLength(2 * N);
    const down = project.cdktf(["destroy", "stack-a", "stack-b", "--auto-approve"], host);
    expect({ cycle, code: down.code, out: down.code ? (down.stdout + down.stderr).slice(-3000) : "" }).toEqual({
      cycle,
      code: 0,
      out: "",
    });
    expect(hostState(host)).toEqual(pristine);
    expect(existsSync(`/run/nslab/${host}`)).toBe(false);
  }
});
