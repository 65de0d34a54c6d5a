// End to end, issue 4 item 3: workloads in Docker's network modes, with real traffic.
//   bridge: a server in an endpoint's namespace, reached through a published port
//   host: a server in the (sandbox) host namespace, reached on the host's own address
//   container: two workloads in one namespace talk over 127.0.0.1
// Started by the deploy, listed by verify when killed, restarted by repair, and gone
// (no orphan process) after destroy.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { must, requireRoot } from "../helpers/cmd";
import { e2eSandbox } from "../helpers/e2e";
import type { LabShape } from "../helpers/lab-shape";
import { EXT_ADDR, HOST_ADDR, hostState } from "../helpers/sandbox";
import { processesWith, request } from "../helpers/traffic";

requireRoot("e2e");
jest.setTimeout(300_000);

const PEER = join(__dirname, "..", "helpers", "peer.js");
const { host, ext, project } = e2eSandbox(["wl-a"]);
const TAG = `wl${process.pid}`; // in every command line: finds our processes, and only ours

/** Asks 127.0.0.1:9000 every 200 ms and prints the answer: a sidecar in the same namespace. */
const SIDECAR = `setInterval(() => { const c = require("net").connect(9000, "127.0.0.1"); c.on("data", (d) => process.stdout.write(d)); c.on("error", () => {}); }, 200); // ${TAG}`;

const lab: LabShape = [
  {
    id: "Net",
    props: { subnet: "10.250.7.0/24", bridgeName: "wlbr" },
    endpoints: [
      {
        id: "A",
        props: { netns: "wl-a", address: "10.250.7.11" },
        ports: [{ id: "Web", props: { hostPort: 8080, containerPort: 80 } }],
        workloads: [
          {
            id: "Server",
            props: { name: "bridge-web", command: ["node", PEER, "serve", "tcp", "80", `bridge-${TAG}`] },
          },
          {
            id: "Local",
            props: { name: "local-only", command: ["node", PEER, "serve", "tcp", "9000", `local-${TAG}`, "127.0.0.1"] },
          },
          { id: "Sidecar", props: { name: "sidecar", command: ["node", "-e", SIDECAR] } },
        ],
      },
    ],
  },
];
const hostMode = {
  workloads: [
    { id: "HostWeb", props: { name: "host-web", command: ["node", PEER, "serve", "tcp", "7000", `host-${TAG}`] } },
  ],
};
const logOf = (name: string) => join("/run/nslab", host, "lab-stack", `workload-${name}.log`);
const wait = async (cond: () => boolean) => {
  for (let i = 0; i < 50 && !cond(); i++) await new Promise((r) => setTimeout(r, 100));
  return cond();
};

test("bridge, host and container modes; verify sees a killed workload, repair restarts it, destroy leaves no process", async () => {
  const before = hostState(host);
  project.useLab(lab, hostMode);
  must(project.cdktf(["deploy", "lab-stack", "--auto-approve"], host), "cdktf deploy");
  expect(processesWith(TAG)).toHaveLength(4);

  // bridge mode: through the published port, the client's own address seen inside
  expect(request(ext, "tcp", HOST_ADDR, 8080)).toBe(`bridge-${TAG} peer=${EXT_ADDR}`);
  // host mode: on the sandbox host's own address, no DNAT involved
  expect(request(ext, "tcp", HOST_ADDR, 7000)).toBe(`host-${TAG} peer=${EXT_ADDR}`);
  // container mode: the sidecar reaches the server over the namespace's loopback...
  const sidecarLog = () => (existsSync(logOf("sidecar")) ? readFileSync(logOf("sidecar"), "utf8") : "(no log)");
  await wait(() => sidecarLog().includes(`local-${TAG} peer=127.0.0.1`));
  expect(sidecarLog()).toContain(`local-${TAG} peer=127.0.0.1`);
  // ...which nobody outside the namespace can (not published, and not on lo elsewhere)
  expect(request(ext, "tcp", HOST_ADDR, 9000)).toBeNull();
  // the host routes to wl-a's address (its published server answers there), not to its lo
  expect(request(host, "tcp", "10.250.7.11", 80)).toBe(`bridge-${TAG} peer=10.250.7.1`);
  expect(request(host, "tcp", "10.250.7.11", 9000)).toBeNull();

  // killed out of band: verify says so, repair starts it again
  const [pid] = processesWith(`bridge-${TAG}`);
  process.kill(pid, "SIGKILL");
  await wait(() => processesWith(`bridge-${TAG}`).length === 0);
  const drift = project.nslab(["verify", "lab-stack"], host);
  expect(drift.code).toBe(1);
  expect(drift.stdout).toMatch(/workload bridge-web: missing: process node in wl-a is not running/);
  must(project.nslab(["repair", "lab-stack"], host), "nslab repair");
  expect(request(ext, "tcp", HOST_ADDR, 8080)).toBe(`bridge-${TAG} peer=${EXT_ADDR}`);

  // a workload removed from the code is stopped by the next deploy
  project.useLab(lab, {});
  must(project.cdktf(["deploy", "lab-stack", "--auto-approve"], host), "cdktf deploy without host-web");
  expect(processesWith(`host-${TAG}`)).toEqual([]);
  expect(request(ext, "tcp", HOST_ADDR, 7000)).toBeNull();

  must(project.cdktf(["destroy", "lab-stack", "--auto-approve"], host), "cdktf destroy");
  expect(processesWith(TAG)).toEqual([]);
  expect(existsSync(`/run/nslab/${host}`)).toBe(false); // pid and log files went with them
  expect(hostState(host)).toEqual(before);
});
