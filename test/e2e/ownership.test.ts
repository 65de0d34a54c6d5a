// End to end, issue 3: nslab never changes what it does not own. A sandbox host full of
// someone else's objects (a Docker-like bridge, a namespace, routes, rules in the same
// built-in chains nslab hooks, a chain of their own) is byte-identical after a deploy
// and destroy, and so is ip_forward; 50 endpoints deploy and destroy twice over at
// Terraform's default parallelism (through `nslab deploy`: the same Terraform, the same ten
// runners at once, without the cdktf CLI's 3 s a call).
import { existsSync } from "node:fs";
import { must, ok, requireRoot } from "../helpers/cmd";
import { e2eSandbox } from "../helpers/e2e";
import type { LabShape } from "../helpers/lab-shape";
import { addNs, EXT_ADDR, HOST_ADDR, hostState, inNs } from "../helpers/sandbox";
import { ping, request, serve } from "../helpers/traffic";

requireRoot("e2e");
jest.setTimeout(900_000);

const N = 50;
const BIG_NS = Array.from({ length: N }, (_, i) => `lo-e${String(i + 1).padStart(2, "0")}`);
const FOREIGN_NS = "lo-foreign";
const LAB_NS = ["lo-a1", "lo-a2", FOREIGN_NS, ...BIG_NS];
const { host, ext, project, servers } = e2eSandbox(LAB_NS, { ipv6: false });

const lab: LabShape = [
  {
    id: "Net",
    props: { subnet: "10.250.5.0/24", bridgeName: "lobr" },
    endpoints: [
      {
        id: "A1",
        props: { netns: "lo-a1", address: "10.250.5.11" },
        ports: [{ id: "Web", props: { hostPort: 8080, containerPort: 80 } }],
      },
      { id: "A2", props: { netns: "lo-a2", address: "10.250.5.12" } },
    ],
  },
];

/** Exactly what `iptables-save` and `ip -json link/addr/route` print, minus the timestamp comments. */
function raw(): Record<string, string> {
  return {
    iptables: ok(inNs(host, ["iptables-save"])).replace(/^#.*\n/gm, ""),
    link: ok(inNs(host, ["ip", "-json", "link", "show"])),
    addr: ok(inNs(host, ["ip", "-json", "addr", "show"])),
    route: ok(inNs(host, ["ip", "-json", "route", "show"])),
    foreignNs: ok(["ip", "-n", FOREIGN_NS, "-json", "addr", "show"]),
    ipForward: ok(inNs(host, ["sysctl", "-n", "net.ipv4.ip_forward"])),
  };
}

/** Someone else's objects; returns how many there are. */
function addForeign(): number {
  const h = (argv: string[]) => ok(inNs(host, argv));
  h(["ip", "link", "add", "docker0", "type", "bridge"]);
  h(["ip", "addr", "add", "172.17.0.1/16", "dev", "docker0"]);
  h(["ip", "link", "set", "docker0", "up"]);
  addNs(FOREIGN_NS);
  ok([
    "ip",
    "netns",
    "exec",
    FOREIGN_NS,
    "sysctl",
    "-qw",
    "net.ipv6.conf.all.disable_ipv6=1",
    "net.ipv6.conf.default.disable_ipv6=1",
  ]);
  h(["ip", "link", "add", "vforeign", "type", "veth", "peer", "name", "eth0", "netns", FOREIGN_NS]);
  h(["ip", "link", "set", "vforeign", "master", "docker0", "up"]);
  ok(["ip", "-n", FOREIGN_NS, "addr", "add", "172.17.0.2/16", "dev", "eth0"]);
  ok(["ip", "-n", FOREIGN_NS, "link", "set", "eth0", "up"]);
  h(["ip", "route", "add", "10.99.0.0/16", "via", "172.17.0.9"]);
  const rules = [
    "*nat",
    ":DOCKER - [0:0]",
    "-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER",
    "-A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER",
    "-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE",
    "-A DOCKER -i docker0 -j RETURN",
    "-A DOCKER ! -i docker0 -p tcp -m tcp --dport 9999 -j DNAT --to-destination 172.17.0.2:80",
    "COMMIT",
    "*filter",
    ":DOCKER-USER - [0:0]",
    "-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT",
    "-A FORWARD -j DOCKER-USER",
    "-A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
    "-A FORWARD -i docker0 ! -o docker0 -j ACCEPT",
    "-A DOCKER-USER -j RETURN",
    "COMMIT",
    "",
  ];
  ok(inNs(host, ["iptables-restore", "-w", "--noflush"]), { input: rules.join("\n") });
  // bridge, veth pair, namespace, address, route, 2 chains, 10 rules
  return 1 + 1 + 1 + 1 + 1 + 2 + rules.filter((l) => l.startsWith("-A")).length;
}

/** New links settle (operstate, carrier) a moment after they come up: wait for a still picture. */
async function settled(): Promise<Record<string, string>> {
  let last = raw();
  for (let i = 0; i < 50; i++) {
    await new Promise((r) => setTimeout(r, 200));
    const now = raw();
    if (JSON.stringify(now) === JSON.stringify(last)) return now;
    last = now;
  }
  throw new Error("the sandbox host did not settle in 10 s");
}

test("foreign bridge, namespace, route and rules in the same built-in chains are byte-identical after deploy and destroy", async () => {
  const count = addForeign();
  const before = await settled();
  expect(before.ipForward.trim()).toBe("0");
  project.useLab(lab);
  must(project.cdktf(["deploy", "lab-stack", "--auto-approve"], host), "cdktf deploy");
  // the lab works among them
  servers.push(await serve("lo-a1", "tcp", 80, "a1"));
  expect(request(ext, "tcp", HOST_ADDR, 8080)).toBe(`a1 peer=${EXT_ADDR}`);
  expect(ping("lo-a2", "10.250.5.11")).toBe(true);
  expect(ok(inNs(host, ["sysctl", "-n", "net.ipv4.ip_forward"])).trim()).toBe("1");
  must(project.cdktf(["destroy", "lab-stack", "--auto-approve"], host), "cdktf destroy");
  // byte for byte, ip_forward included (item 6: back to its prior value)
  expect(await settled()).toEqual(before);
  process.stdout.write(`foreign objects compared: ${count}\n`);
  // leave the sandbox as the other tests expect it
  ok(inNs(host, ["ip", "link", "del", "docker0"]));
  ok(inNs(host, ["ip", "route", "flush", "10.99.0.0/16"]));
});

test("two deploy/destroy cycles of a 50-endpoint stack at default parallelism: no lock errors, nothing left", () => {
  const pristine = hostState(host);
  const big: LabShape = [
    {
      id: "Big",
      props: { subnet: "10.250.64.0/24", bridgeName: "lobig" },
      endpoints: BIG_NS.map((netns, i) => ({
        id: `E${i + 1}`,
        props: { netns },
        ports: [{ id: "P", props: { hostPort: 20000 + i, containerPort: 80 } }],
      })),
    },
  ];
  project.useLab(big);
  for (let cycle = 1; cycle <= 2; cycle++) {
    const up = project.nslab(["deploy", "lab-stack"], host);
    const said = up.stdout + up.stderr;
    expect({
      cycle,
      code: up.code,
      lock: /lock|resource busy|File exists/i.test(said) ? said.slice(-3000) : null,
    }).toEqual({ cycle, code: 0, lock: null });
    expect(said).toMatch(/lab-stack: deployed in .*: 102 created/); // 102 objects (besides the owner, the sweep, nslab-converge)
    expect(must(project.nslab(["verify", "lab-stack"], host), "nslab verify")).toMatch(/102 objects match the kernel/);
    expect(ping(BIG_NS[0], "10.250.64.51")).toBe(true); // first to last
    const down = project.nslab(["destroy", "lab-stack"], host);
    expect({ cycle, code: down.code, out: down.code ? (down.stdout + down.stderr).slice(-3000) : "" }).toEqual({
      cycle,
      code: 0,
      out: "",
    });
    expect(hostState(host)).toEqual(pristine);
    expect(existsSync(`/run/nslab/${host}`)).toBe(false);
  }
});
