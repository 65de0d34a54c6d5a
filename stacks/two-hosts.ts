// two-hosts (issue 13): one lab on two machines, reached by ssh from the one Terraform runs
// on. Two networks span both hosts (each host has its part of each bridge, joined by a
// VXLAN tunnel per network); each host runs a web server on "front" and publishes it on
// its own port 8080; "back" (dual stack) holds a client per host, isolated from "front"
// on every host. Four expectations check it from the hosts (`npx nslab test two-hosts`),
// and a scenario flaps host b's web server's link while host a probes it (`nslab run`).
// The hosts come from the environment (see docs/hosts.md):
//   NSLAB_HOST_A, NSLAB_HOST_B    their addresses (IP: the tunnels use them too)
//   NSLAB_SSH_KEY                  a private key both accept (default: ssh's own, the agent)
//   NSLAB_KNOWN_HOSTS              a known_hosts file of the lab's (default: ~/.ssh/known_hosts)
//   NSLAB_SSH_USER                 default root
import { TerraformOutput } from "cdktf";
import type { Construct } from "constructs";
import {
  Check,
  ContainerNetwork,
  Expectation,
  Fault,
  Host,
  LabStack,
  Scenario,
  type Endpoint,
  type LabStackProps,
  type PortMapping,
} from "../constructs";

/** Says which host answered and who asked (the address the endpoint sees). */
const WEB_SERVER = (host: string) =>
  `require("http").createServer((q, s) => s.end("hello from ${host}, you are " + q.socket.remoteAddress.replace(/^::ffff:/, "") + "\\n")).listen(80)`;

export interface TwoHostsProps extends LabStackProps {
  readonly addresses: readonly [string, string];
  readonly identityFile?: string;
  readonly knownHostsFile?: string;
  readonly user?: string;
}

export class TwoHostsStack extends LabStack {
  constructor(scope: Construct, id: string, props: TwoHostsProps) {
    super(scope, id, props);
    const ssh = { identityFile: props.identityFile, knownHostsFile: props.knownHostsFile, user: props.user };
    const hosts = [
      new Host(this, "a", { address: props.addresses[0], ...ssh }),
      new Host(this, "b", { address: props.addresses[1], ...ssh }),
    ];
    const front = new ContainerNetwork(this, "Front", { bridgeName: "br-front", subnet: "10.91.0.0/24", hosts });
    // dual stack: IPv6 crosses the tunnel as IPv4 does
    const back = new ContainerNetwork(this, "Back", {
      bridgeName: "br-back",
      subnet: "10.92.0.0/24",
      ipv6Subnet: "fd00:92::/64",
      hosts,
    });
    const [web, client] = [[] as Endpoint[], [] as Endpoint[]];
    const ports: PortMapping[] = [];
    hosts.forEach((host, i) => {
      const n = "ab"[i];
      web.push(front.addEndpoint(`Web-${n}`, { netns: `web-${n}`, host })); // 10.91.0.2, .3
      web[i].run(`Server-${n}`, { name: `web-${n}`, command: ["node", "-e", WEB_SERVER(host.name)] });
      ports.push(web[i].publish(`Http-${n}`, { hostPort: 8080, containerPort: 80 }));
      client.push(back.addEndpoint(`Client-${n}`, { netns: `client-${n}`, host })); // 10.92.0.2, .3; fd00:92::2, ::3
      new TerraformOutput(this, `web_${n}`, {
        value: `${props.addresses[i]}:8080 -> web-${n} (${web[i].addressToken}:80)`,
      });
    });
    // checked from the hosts by `npx nslab test two-hosts`, each check run where it starts
    new Expectation(this, "ClientAPingsClientB", { from: client[0], to: client[1] });
    const aToB = new Expectation(this, "WebAReachesWebBByName", { from: web[0], to: "web-b", check: Check.tcp(80) });
    new Expectation(this, "ClientBCannotReachWebA", { from: client[1], to: web[0], reachable: false });
    new Expectation(this, "ClientAReachesPortOnA", { from: client[0], to: ports[0] });
    // web-b's link down on host b for 1.5 s, probed from web-a on host a across the tunnel
    // (`npx nslab run two-hosts WebBFlap`: each runs on its machine)
    new Scenario(this, "WebBFlap", { seconds: 4, everyMs: 100, probes: [aToB], maxOutageMs: 3000 })
      .at(1, Fault.linkDown(web[1]))
      .at(2.5, Fault.linkUp(web[1]));

    new TerraformOutput(this, "tunnels", {
      value: `front: vni ${front.vni}, back: vni ${back.vni}, udp ${front.vxlanPort}, mtu ${front.mtu}`,
    });
  }
}

/** The stack from the environment; none when the two addresses are not given. */
export function twoHostsFromEnv(scope: Construct, id: string, env = process.env): TwoHostsStack | undefined {
  const [a, b] = [env.NSLAB_HOST_A, env.NSLAB_HOST_B];
  if (!a || !b) return undefined;
  return new TwoHostsStack(scope, id, {
    addresses: [a, b],
    identityFile: env.NSLAB_SSH_KEY || undefined,
    knownHostsFile: env.NSLAB_KNOWN_HOSTS || undefined,
    user: env.NSLAB_SSH_USER || undefined,
  });
}
