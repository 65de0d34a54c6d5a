// Pure tier: spec + observed state -> exact command lists. No kernel, no root.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { endpointOps, type EndpointObs } from "../../netops/endpoint";
import { impairmentDrift, impairSteps } from "../../netops/impair";
import { delayLineOps } from "../../netops/delayline";
import { linkOps } from "../../netops/link";
import { finishChecksum } from "../../netops/relay";
import { ensureStep, parseSave, removeStep, saveLine } from "../../netops/iptables";
import { bridgeMac, linkLocalOf, networkChains, networkOps, networkRules } from "../../netops/network";
import { readLab } from "../../model/lab-file";
import { staleOf } from "../../model/lab-change";
import { KINDS } from "../../model/kinds";
import { namesOps } from "../../netops/names";
import { renderRules, renderTable, tableComment } from "../../netops/nftables";
import { portMappingOps, portMappingRules } from "../../netops/portmap";
import { vxlanOps, type VxlanObs } from "../../netops/vxlan";
import {
  parseSpec,
  type DelayLineSpec,
  type EndpointSpec,
  type LinkSpec,
  type NetworkSpec,
  type NamesSpec,
  type NftablesSpec,
  type PortMappingSpec,
  type VxlanSpec,
} from "../../model/schema";

import { br01, delayLine, endpointSpec, noDelayLine } from "../helpers/specs";

const NS = ["nsenter", "--net=/run/netns/sbx", "--"];
const net: NetworkSpec = br01({ host: "sbx" });
const ep: EndpointSpec = endpointSpec("ns01", { host: "sbx" });
const pm: PortMappingSpec = {
  v: 1,
  kind: "portmap",
  stack: "lab",
  host: "sbx",
  protocol: "tcp",
  hostPort: 8080,
  address: "192.168.88.11",
  port: 80,
  bridge: "br01",
};
const EMPTY_SAVE = "*nat\n:PREROUTING ACCEPT [0:0]\nCOMMIT\n*filter\n:FORWARD ACCEPT [0:0]\nCOMMIT\n";
const absent: EndpointObs = { nsExists: false, hostLink: null, inside: null, routes: null };

describe("endpoint plan", () => {
  test("GIVEN nothing exists WHEN converging THEN one host batch (namespace, veth made in it) and one batch inside", () => {
    const steps = endpointOps.converge(ep, absent);
    expect(steps.map((s) => s.argv)).toEqual([
      [...NS, "ip", "-batch", "-"],
      ["ip", "-n", "ns01", "-batch", "-"],
    ]);
    expect(steps[0].input).toBe(
      "netns add ns01\n" +
        // no MAC given: 02:42 + the address, so a rebuilt endpoint keeps its MAC
        "link add name veth-ns01 mtu 1500 type veth peer name eth0 netns ns01 mtu 1500 address 02:42:c0:a8:58:0b\n" +
        "link set dev veth-ns01 alias nslab:lab master br01 addrgenmode none up\n" +
        "link set dev veth-ns01 type bridge_slave isolated off hairpin on\n",
    );
    expect(steps[1].input).toBe(
      "link set dev lo alias nslab:lab up\nlink set dev eth0 addrgenmode none\naddr replace 192.168.88.11/24 dev eth0\n" +
        "link set dev eth0 up\nroute replace default via 192.168.88.1 dev eth0\n",
    );
    expect(steps[0].undo?.argv).toEqual([...NS, "ip", "-force", "-batch", "-"]);
    expect(steps[0].undo?.input).toBe("link del dev veth-ns01\nnetns del ns01\n");
  });

  test("GIVEN a MAC WHEN converging THEN the inside end is created with it", () => {
    const steps = endpointOps.converge({ ...ep, mac: "02:42:c0:a8:58:0b" }, absent);
    expect(steps[0].input).toContain("peer name eth0 netns ns01 mtu 1500 address 02:42:c0:a8:58:0b\n");
  });

  test("GIVEN a half-made endpoint of ours WHEN converging THEN it is removed first, veth before namespace, at once", () => {
    const half: EndpointObs = {
      nsExists: true,
      hostLink: { ifname: "veth-ns01", flags: [], mtu: 1500, ifalias: "nslab:lab" },
      inside: [],
      routes: [],
    };
    const [veth, ns, create] = endpointOps.converge(ep, half);
    expect(veth.argv).toEqual([...NS, "ip", "-force", "-batch", "-"]);
    expect(veth.input).toBe("link del dev veth-ns01\n");
    // a named namespace is a file under /run/netns: deleted from anywhere, no host needed
    expect(ns.argv).toEqual(["ip", "-force", "-batch", "-"]);
    expect(ns.input).toBe("netns del ns01\n");
    expect(create.input).toMatch(/^netns add ns01\n/);
  });

  test("GIVEN an endpoint to remove THEN only its namespace is deleted (the veth goes with it)", () => {
    const whole: EndpointObs = {
      nsExists: true,
      hostLink: { ifname: "veth-ns01", flags: [], mtu: 1500, ifalias: "nslab:lab" },
      inside: [{ ifname: "lo", flags: ["UP"], mtu: 65536, ifalias: "nslab:lab" }],
      routes: [],
    };
    const [del, more] = endpointOps.remove(ep, whole, false);
    expect(del.input).toBe("netns del ns01\n");
    expect(del.argv).toEqual(["ip", "-force", "-batch", "-"]);
    expect(del.what).toBe("delete namespace ns01");
    expect(more).toBeUndefined();
  });

  test("GIVEN an intact endpoint with a lost route WHEN converging THEN it is repaired in place", () => {
    const intact: EndpointObs = {
      nsExists: true,
      hostLink: { ifname: "veth-ns01", flags: ["UP"], mtu: 1500, ifalias: "nslab:lab", master: "br01" },
      inside: [{ ifname: "eth0", flags: ["UP"], mtu: 1500, address: "02:42:c0:a8:58:0b" }],
      routes: [],
    };
    const steps = endpointOps.converge(ep, intact);
    expect(steps.map((s) => s.argv)).toEqual([
      [...NS, "ip", "-batch", "-"],
      ["ip", "-n", "ns01", "-batch", "-"],
    ]);
    expect(steps[0].input).toBe(
      "link set dev veth-ns01 alias nslab:lab master br01 addrgenmode none up\nlink set dev veth-ns01 type bridge_slave isolated off hairpin on\n",
    );
  });

  test("GIVEN a foreign namespace with our name THEN drift refuses to touch it", () => {
    const foreign: EndpointObs = {
      nsExists: true,
      hostLink: null,
      inside: [{ ifname: "lo", flags: ["UP"], mtu: 65536 }],
      routes: [],
    };
    expect(() => endpointOps.drift(ep, foreign, false)).toThrow(/namespace ns01 exists and is not nslab's/);
    expect(endpointOps.remove(ep, foreign, false)).toEqual([]);
  });
});

describe("network plan", () => {
  test("GIVEN nothing exists WHEN converging THEN bridge, config batch, one restore (ip_forward is held, not a step)", () => {
    const steps = networkOps.converge(net, {
      link: null,
      rules: parseSave(EMPTY_SAVE),
      forwarding: { "net.ipv4.ip_forward": "0" },
    });
    expect(steps.map((s) => s.argv)).toEqual([
      [...NS, "ip", "link", "add", "name", "br01", "type", "bridge"],
      [...NS, "ip", "-batch", "-"],
      [...NS, "sysctl", "-qw", "net/ipv4/conf/br01/route_localnet=1"],
      [...NS, "iptables-restore", "-w", "--noflush"],
    ]);
    expect(networkOps.sysctls?.(net)).toEqual({ "net.ipv4.ip_forward": "1" });
    // a fixed bridge MAC: removing a port must not change the gateway's MAC under the others
    expect(steps[1].input).toContain(
      `link set dev br01 alias nslab:lab mtu 1500 address ${bridgeMac(net)} addrgenmode none\n`,
    );
    expect(bridgeMac(net)).toMatch(/^02(:[0-9a-f]{2}){5}$/);
    expect(bridgeMac({ ...net, bridge: "br02" })).not.toBe(bridgeMac(net));
    expect(steps[3].input).toBe(
      [
        "*nat",
        ":NSLAB-DNAT-br01 - [0:0]",
        "-A PREROUTING ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -m comment --comment nslab:lab -j NSLAB-DNAT-br01",
        "-A OUTPUT -m addrtype --dst-type LOCAL -m comment --comment nslab:lab -j NSLAB-DNAT-br01",
        "-A POSTROUTING -s 192.168.88.0/24 -d 192.168.88.0/24 -o br01 -m conntrack --ctstate DNAT -m comment --comment nslab:lab -j MASQUERADE",
        "-A POSTROUTING -s 127.0.0.0/8 -o br01 -m comment --comment nslab:lab -j MASQUERADE",
        "-A POSTROUTING -s 192.168.88.0/24 ! -o br01 -m comment --comment nslab:lab -j MASQUERADE",
        "COMMIT",
        "*filter",
        ":NSLAB-IN-br01 - [0:0]",
        ":NSLAB-OUT-br01 - [0:0]",
        "-I FORWARD 1 -o br01 -m comment --comment nslab:lab -j NSLAB-IN-br01",
        "-I FORWARD 2 -i br01 -m comment --comment nslab:lab -j NSLAB-OUT-br01",
        "-A NSLAB-IN-br01 -m conntrack --ctstate RELATED,ESTABLISHED -m comment --comment nslab:lab -j ACCEPT",
        "-A NSLAB-IN-br01 -i br01 -m comment --comment nslab:lab -j ACCEPT",
        "-A NSLAB-IN-br01 -m comment --comment nslab:lab -j DROP",
        "-A NSLAB-OUT-br01 -m comment --comment nslab:lab -j ACCEPT",
        "COMMIT",
        "",
      ].join("\n"),
    );
  });

  test("GIVEN other networks' hooks (and someone's rule on top) THEN IN goes first, OUT right after the last IN hook", () => {
    const save = parseSave(
      "*nat\nCOMMIT\n*filter\n:FORWARD ACCEPT [0:0]\n" +
        '-A FORWARD -j DOCKER-USER\n-A FORWARD -o br09 -m comment --comment "nslab:x" -j NSLAB-IN-br09\n-A FORWARD -i br09 -m comment --comment "nslab:x" -j NSLAB-OUT-br09\nCOMMIT\n',
    );
    const fw = networkOps
      .converge(net, { link: null, rules: save, forwarding: { "net.ipv4.ip_forward": "1" } })
      .at(-1)!;
    // after the insert at 1, br09's IN hook is rule 3: our OUT hook goes to 4, above br09's OUT
    expect(fw.input).toContain(
      "-I FORWARD 1 -o br01 -m comment --comment nslab:lab -j NSLAB-IN-br01\n-I FORWARD 4 -i br01 ",
    );
  });

  test("GIVEN ICC off, internal, connected THEN no ICC accept, OUT drops, no MASQUERADE, the other bridge accepted in", () => {
    const lines = networkRules({ ...net, icc: false, internal: true, connect: ["br02"] }).map(
      (r) => `${r.chain} ${r.args.join(" ")}`,
    );
    const icc = "NSLAB-IN-br01 -i br01 -m comment --comment nslab:lab -j ACCEPT";
    expect(networkRules(net).map((r) => `${r.chain} ${r.args.join(" ")}`)).toContain(icc); // with ICC on
    expect(lines).not.toContain(icc);
    expect(lines).toContain("NSLAB-IN-br01 -i br02 -m comment --comment nslab:lab -j ACCEPT");
    expect(lines).toContain("NSLAB-OUT-br01 -m comment --comment nslab:lab -j DROP");
    expect(lines.some((l) => l.includes("! -o br01") && l.includes("MASQUERADE"))).toBe(false);
  });

  test("GIVEN masquerade off THEN no MASQUERADE of the subnet going out; hairpin and loopback stay", () => {
    const post = (masquerade: boolean) =>
      networkRules({ ...net, masquerade })
        .filter((r) => r.chain === "POSTROUTING")
        .map((r) => r.args.join(" ").replace(" -m comment --comment nslab:lab", ""));
    const out = "-s 192.168.88.0/24 ! -o br01 -j MASQUERADE";
    const kept = [
      "-s 192.168.88.0/24 -d 192.168.88.0/24 -o br01 -m conntrack --ctstate DNAT -j MASQUERADE",
      "-s 127.0.0.0/8 -o br01 -j MASQUERADE",
    ];
    expect(post(true)).toEqual([...kept, out]);
    // exactly the two rules into the bridge: a rule out of it (`! -o br01`) would fail this
    expect(post(false)).toEqual(kept);
  });

  test("GIVEN the IN chain lost a rule WHEN converging THEN it goes back in its declared place, above the final DROP", () => {
    const chains = networkChains(net);
    const rules = networkRules(net);
    const related = rules.find((r) => r.chain === "NSLAB-IN-br01" && r.args.includes("RELATED,ESTABLISHED"))!;
    const accept = portMappingRules(pm)[1];
    const save = (table: string) =>
      [
        `*${table}`,
        ":PREROUTING ACCEPT [0:0]",
        ":OUTPUT ACCEPT [0:0]",
        ":POSTROUTING ACCEPT [0:0]",
        ":FORWARD ACCEPT [0:0]",
        ...chains.filter((c) => c.table === table).map((c) => `:${c.name} - [0:0]`),
        // a port mapping's accept sits at the top of the IN chain, as it inserts it there
        ...(table === "filter" ? [saveLine(accept)] : []),
        ...rules.filter((r) => r.table === table && r !== related).map(saveLine),
        "COMMIT",
      ].join("\n");
    const [step] = ensureStep(net, "firewall", parseSave(`${save("nat")}\n${save("filter")}\n`), chains, rules);
    // [port mapping accept, ICC accept, DROP]: before the ICC accept, not behind the DROP
    expect(step.input).toBe(`*filter\n-I NSLAB-IN-br01 2 ${related.args.join(" ")}\nCOMMIT\n`);
  });

  test("GIVEN no sandbox host THEN commands run on the host without nsenter", () => {
    const { host: _h, ...onHost } = net;
    const steps = networkOps.converge(onHost, {
      link: null,
      rules: parseSave(EMPTY_SAVE),
      forwarding: { "net.ipv4.ip_forward": "1" },
    });
    expect(steps[0].argv).toEqual(["ip", "link", "add", "name", "br01", "type", "bridge"]);
  });
});

describe("firewall diff", () => {
  const saved = (lines: string[]) =>
    parseSave(
      `*nat\n:PREROUTING ACCEPT [0:0]\n:NSLAB-DNAT-br01 - [0:0]\n${lines.join("\n")}\nCOMMIT\n*filter\n:NSLAB-IN-br01 - [0:0]\nCOMMIT\n`,
    );
  const dnatLine =
    '-A NSLAB-DNAT-br01 -p tcp -m tcp --dport 8080 -m comment --comment "nslab:lab" -j DNAT --to-destination 192.168.88.11:80';

  test("GIVEN the DNAT rule exists as iptables-save prints it THEN only the accept of DNAT'd connections is added, above the network's DROP", () => {
    const step = portMappingOps.converge(pm, saved([dnatLine]))[0];
    const accept =
      "NSLAB-IN-br01 -d 192.168.88.11/32 -p tcp -m tcp --dport 80 -m conntrack --ctstate DNAT -m comment --comment nslab:lab -j ACCEPT";
    expect(step.input).toBe(`*filter\n-I ${accept.replace(" ", " 1 ")}\nCOMMIT\n`);
    expect(step.undo?.input).toBe(`*filter\n-D ${accept}\nCOMMIT\n`);
  });

  test("GIVEN only some rules exist WHEN removing THEN only those are deleted", () => {
    const step = portMappingOps.remove(pm, saved([dnatLine]), true)[0];
    expect(step.input).toBe(
      "*nat\n-D NSLAB-DNAT-br01 -p tcp -m tcp --dport 8080 -m comment --comment nslab:lab -j DNAT --to-destination 192.168.88.11:80\nCOMMIT\n",
    );
  });

  test("GIVEN everything exists THEN no step, and nothing to remove when nothing exists", () => {
    const rules = portMappingRules(pm);
    expect(ensureStep({}, "x", saved([dnatLine, ""]), [], rules.slice(0, 1))).toEqual([]);
    expect(removeStep({}, "x", parseSave(EMPTY_SAVE), [], rules)).toEqual([]);
  });

  test("udp and host IP binding", () => {
    const [dnat] = portMappingRules({ ...pm, protocol: "udp", hostIp: "10.0.0.1", hostPort: 5353, port: 53 });
    expect(dnat.args).toEqual([
      "-d",
      "10.0.0.1/32",
      "-p",
      "udp",
      "-m",
      "udp",
      "--dport",
      "5353",
      "-m",
      "comment",
      "--comment",
      "nslab:lab",
      "-j",
      "DNAT",
      "--to-destination",
      "192.168.88.11:53",
    ]);
  });
});

describe("spec parsing (the runner's defence in depth)", () => {
  test("rejects an unknown version", () => {
    expect(() => parseSpec({ ...net, v: 2 })).toThrow(/unknown spec version 2: this runner reads versions 1;/);
  });
  test("reads every spec version a runner ever wrote (test/fixtures/specs/v<N>)", () => {
    const root = join(__dirname, "..", "fixtures", "specs");
    const files = readdirSync(root)
      .filter((v) => /^v\d+$/.test(v))
      .flatMap((v) => readdirSync(join(root, v)).map((f) => join(root, v, f)));
    const specs = files.filter((f) => !f.endsWith("/lab.json"));
    for (const f of specs) expect(parseSpec(JSON.parse(readFileSync(f, "utf8"))).kind).toBe(basename(f, ".json"));
    // every kind of the registry, the owner and the old sweep, and the lab file
    expect(
      specs
        .filter((f) => f.includes("/v1/"))
        .map((f) => basename(f, ".json"))
        .sort(),
    ).toEqual([...Object.keys(KINDS), "stack", "sweep"].sort());
    const lab = readLab(join(root, "v1", "lab.json"));
    expect(lab.specs.map((x) => x.kind).sort()).toEqual([
      "endpoint",
      "endpoint",
      "names",
      "network",
      "portmap",
      "workload",
    ]);
  });
  test("a lab file in a sandbox host: this machine's specs carry it, a Host's carry none", () => {
    const dir = mkdtempSync(join(tmpdir(), "nslab-lab-"));
    try {
      const remote = { name: "b", address: "10.0.0.2", user: "root", port: 22 };
      const write = (specs: object[]) => {
        writeFileSync(join(dir, "lab.json"), JSON.stringify({ v: 1, stack: "lab", host: "sbx", kind: "lab", specs }));
        return join(dir, "lab.json");
      };
      const { host: _sbx, ...there } = ep;
      expect(readLab(write([net, { ...there, remote }])).specs).toHaveLength(2);
      expect(() => readLab(write([{ ...ep, remote }]))).toThrow(/spec of stack lab on sbx in the lab of lab/);
      expect(() => readLab(write([there]))).toThrow(/spec of stack lab on the host in the lab of lab/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  test("rejects a name with shell metacharacters or over 15 characters", () => {
    expect(() => parseSpec({ ...ep, netns: "ns;rm -rf" })).toThrow(
      /netns: "ns;rm -rf": not a valid namespace name \(use 1 to 15 characters/,
    );
    expect(() => parseSpec({ ...net, bridge: "a-very-long-bridge" })).toThrow(/bridge/);
  });
  test("rejects unknown fields and bad addresses", () => {
    expect(() => parseSpec({ ...pm, extra: 1 })).toThrow(/invalid spec/);
    expect(() => parseSpec({ ...pm, address: "300.1.1.1" })).toThrow(
      /address: "300.1.1.1": not an IPv4 address \(write four decimal numbers/,
    );
  });
});

describe("converge: what goes before the lab is applied", () => {
  const ep2: EndpointSpec = { ...ep, netns: "ns02", hostIf: "veth-ns02", address: "192.168.88.12" };
  const pm2: PortMappingSpec = { ...pm, hostPort: 8081, address: "192.168.88.12" };
  const keys = (xs: { kind: string }[]) => xs.map((x) => JSON.stringify(x)).sort();
  test("nothing, when the lab is unchanged", () => {
    expect(staleOf([net, ep, pm], [net, ep, pm])).toEqual([]);
  });
  test("what is no longer declared", () => {
    expect(keys(staleOf([net, ep, ep2, pm], [net, ep, pm]))).toEqual(keys([ep2]));
  });
  test("what is declared differently, and the port mappings of a changed endpoint", () => {
    const moved = { ...ep, mac: "02:00:00:00:00:01" };
    expect(keys(staleOf([net, ep, ep2, pm, pm2], [net, moved, ep2, pm, pm2]))).toEqual(keys([ep, pm]));
  });
  test("a changed network takes its endpoints and port mappings with it, as Terraform replaces them", () => {
    const changed = { ...net, masquerade: false };
    expect(keys(staleOf([net, ep, ep2, pm], [changed, ep, ep2, pm]))).toEqual(keys([net, ep, ep2, pm]));
  });
});

describe("nftables table (one per stack)", () => {
  const spec: NftablesSpec = {
    v: 1,
    kind: "nftables",
    stack: "lab",
    networks: [
      { bridge: "br01", subnet: "192.168.88.0", prefix: 24, masquerade: true },
      { bridge: "br02", subnet: "10.0.2.0", prefix: 24, masquerade: true, internal: true },
    ],
    portmaps: [{ bridge: "br01", protocol: "tcp", hostPort: 8080, address: "192.168.88.11", port: 80 }],
  };
  test("both families in the inet table", () => {
    const six = renderRules({
      ...spec,
      networks: [{ ...spec.networks[0], subnet6: "fd00:88::", prefix6: 64, masquerade6: false }],
      portmaps: [{ ...spec.portmaps[0], address6: "fd00:88::b" }],
    });
    expect(six).toContain("meta nfproto ipv6 tcp dport 8080 dnat ip6 to [fd00:88::b]:80");
    expect(six).toContain("ip6 daddr fd00:88::b tcp dport 80 ct status dnat accept");
    // routed IPv6: hairpin only, no MASQUERADE out
    expect(six).toContain('ip6 saddr fd00:88::/64 ip6 daddr fd00:88::/64 oifname "br01" ct status dnat masquerade');
    expect(six).not.toContain('ip6 saddr fd00:88::/64 oifname != "br01" masquerade');
  });

  test("replaced atomically: created empty, deleted, defined, in one nft -f", () => {
    const text = renderTable(spec);
    expect(text.split("\n").slice(0, 4)).toEqual([
      "table inet nslab-lab {}",
      "delete table inet nslab-lab",
      "table inet nslab-lab {",
      `  comment "${tableComment(spec)}"`,
    ]);
  });
  test("every IN jump before any OUT jump; DNAT'd accepts before the drop; internal has no MASQUERADE", () => {
    const rules = renderRules(spec);
    expect(rules).toContain(
      '    oifname "br01" jump in_0\n    oifname "br02" jump in_1\n    iifname "br01" jump out_0\n    iifname "br02" jump out_1\n',
    );
    expect(rules).toContain(
      '  chain in_0 {\n    ct state established,related accept\n    iifname "br01" accept\n    ip daddr 192.168.88.11 tcp dport 80 ct status dnat accept\n    drop\n  }\n',
    );
    expect(rules).toContain("  chain out_1 {\n    drop\n  }\n");
    expect(rules).toContain('ip saddr 192.168.88.0/24 oifname != "br01" masquerade');
    expect(rules).not.toContain('ip saddr 10.0.2.0/24 oifname != "br02" masquerade');
    expect(rules).toContain("ip daddr != 127.0.0.0/8 fib daddr type local jump published");
    expect(rules).toContain("meta nfproto ipv4 tcp dport 8080 dnat ip to 192.168.88.11:80");
  });
});

describe("names", () => {
  const spec: NamesSpec = {
    v: 1,
    kind: "names",
    stack: "lab",
    endpoints: [
      ["10.0.1.11", "a", "br1"],
      ["10.0.1.12", "b", "br1"],
      ["10.0.2.11", "c", "br2"],
    ],
    files: [
      { netns: "a", bridges: ["br1"], nameservers: ["10.0.1.1"] },
      { netns: "c", bridges: ["br2"] },
    ],
  };
  test("a namespace's hosts file lists the endpoints of its networks only; resolv.conf only where set", () => {
    const steps = namesOps.converge(spec, new Map());
    expect(steps.map((s) => s.file?.path)).toEqual([
      "/etc/netns/a/hosts",
      "/etc/netns/a/resolv.conf",
      "/etc/netns/c/hosts",
    ]);
    expect(steps[0].file?.content).toBe(
      "# nslab:lab: written by nslab for this host, removed on destroy\n127.0.0.1\tlocalhost\n10.0.1.11\ta\n10.0.1.12\tb\n",
    );
    expect(steps[1].file?.content).toBe(
      "# nslab:lab: written by nslab for this host, removed on destroy\nnameserver 10.0.1.1\n",
    );
    expect(steps[2].file?.content).toContain("10.0.2.11\tc\n");
    expect(steps[2].file?.content).not.toContain("10.0.1.11");
  });
  test("someone else's hosts file is not nslab's to touch", () => {
    const theirs = new Map([["/etc/netns/a/hosts", "127.0.0.1 localhost\n"]]);
    expect(() => namesOps.drift(spec, theirs, false)).toThrow(/\/etc\/netns\/a\/hosts exists and is not nslab's/);
    expect(namesOps.remove(spec, theirs, false)).toEqual([]);
  });
});

describe("link plan", () => {
  const link: LinkSpec = {
    v: 1,
    kind: "link",
    stack: "lab",
    host: "sbx",
    a: { netns: "test01", ifname: "veth001", address: "172.16.0.111/20" },
    b: { ifname: "veth", address: "172.16.0.112/20" },
    mtu: 1500,
  };
  const mine = (ifname: string, address?: string) => ({
    ifname,
    flags: ["UP"],
    mtu: 1500,
    ifalias: "nslab:lab",
    addr_info: address ? [{ family: "inet", local: address.split("/")[0], prefixlen: 20 }] : [],
  });

  test("GIVEN an end on the host WHEN converging THEN the pair is made from the host, its peer created in the namespace", () => {
    const steps = linkOps.converge(link, { a: null, b: null });
    expect(steps.map((s) => s.argv)).toEqual([
      [
        ...NS,
        "ip",
        "link",
        "add",
        "name",
        "veth",
        "mtu",
        "1500",
        "type",
        "veth",
        "peer",
        "name",
        "veth001",
        "netns",
        "test01",
        "mtu",
        "1500",
      ],
      ["ip", "-n", "test01", "-batch", "-"],
      [...NS, "ip", "-batch", "-"],
    ]);
    expect(steps[0].undo?.argv).toEqual([...NS, "ip", "link", "del", "dev", "veth"]);
    expect(steps[2].input).toBe(
      "link set dev veth alias nslab:lab addrgenmode none up\naddr replace 172.16.0.112/20 dev veth\n",
    );
  });

  test("GIVEN both ends in place THEN no drift; removal deletes the host end (the pair goes with it)", () => {
    const o = { a: mine("veth001", "172.16.0.111/20"), b: mine("veth", "172.16.0.112/20") };
    expect(linkOps.drift(link, o, true)).toEqual([]);
    expect(linkOps.remove(link, o, true).map((s) => s.argv)).toEqual([[...NS, "ip", "link", "del", "dev", "veth"]]);
    // half a pair (its host end deleted by hand): the half left in the namespace goes
    expect(linkOps.remove(link, { a: o.a, b: null }, true).map((s) => s.argv)).toEqual([
      ["ip", "-n", "test01", "link", "del", "dev", "veth001"],
    ]);
  });

  test("GIVEN a host device of that name that is not nslab's THEN apply refuses it", () => {
    expect(() => linkOps.drift(link, { a: null, b: { ...mine("veth"), ifalias: undefined } }, false)).toThrow(
      /host\/veth exists and is not nslab's/,
    );
  });

  test("GIVEN a delay line THEN two pairs, each peer on the host on its side's bridge; drift and removal see the peers", () => {
    const line = { a: { bridge: "nlp1234567", peer: "nlx1234567" }, b: { bridge: "nlq1234567", peer: "nly1234567" } };
    const delayed: LinkSpec = { ...link, line };
    const steps = linkOps.converge(delayed, { a: null, b: null });
    expect(steps.map((s) => [s.argv.slice(NS.length, NS.length + 5).join(" "), s.input ?? ""])).toEqual([
      ["ip link add name nlx1234567", ""],
      ["ip -batch -", "link set dev nlx1234567 alias nslab:lab master nlp1234567 addrgenmode none up\n"],
      ["ip link add name nly1234567", ""],
      ["ip -batch -", "link set dev nly1234567 alias nslab:lab master nlq1234567 addrgenmode none up\n"],
      [
        "-batch -",
        "link set dev veth001 alias nslab:lab addrgenmode none up\naddr replace 172.16.0.111/20 dev veth001\n",
      ],
      ["ip -batch -", "link set dev veth alias nslab:lab addrgenmode none up\naddr replace 172.16.0.112/20 dev veth\n"],
    ]);
    // a's peer is made on the host, a itself in its namespace; b (a host end) next to its peer
    expect(steps[0].argv.slice(-6)).toEqual(["name", "veth001", "netns", "test01", "mtu", "1500"]);
    expect(steps[2].argv.slice(-4)).toEqual(["name", "veth", "mtu", "1500"]);
    const ends = { a: mine("veth001", "172.16.0.111/20"), b: mine("veth", "172.16.0.112/20") };
    const peers = [
      { ...mine("nlx1234567"), master: "nlp1234567" },
      { ...mine("nly1234567"), master: "nlq1234567" },
    ] as const;
    expect(linkOps.drift(delayed, { ...ends, peers }, true)).toEqual([]);
    expect(linkOps.drift(delayed, { ...ends, peers: [peers[0], { ...peers[1], master: undefined }] }, true)).toEqual([
      "different: nly1234567 attached to nothing, want nlq1234567",
    ]);
    expect(linkOps.remove(delayed, { ...ends, peers }, true).map((s) => s.argv.slice(NS.length))).toEqual([
      ["ip", "link", "del", "dev", "nlx1234567"],
      ["ip", "link", "del", "dev", "nly1234567"],
    ]);
  });

  test("the key and the graph: a host end is a host device; only the namespaced end needs a namespace", () => {
    expect(KINDS.link.key(link)).toBe("link-test01:veth001");
    expect(KINDS.link.key({ ...link, a: link.b, b: link.a })).toBe("link-:veth");
    expect(KINDS.link.provides(link)).toEqual(["dev:test01/veth001", "devs:test01", "hostdev:veth", "hostnets"]);
    expect(KINDS.link.needs(link)).toEqual(["netns:test01"]);
  });
});

describe("impairment plan", () => {
  const wire = { stack: "lab", host: "sbx", netns: "ns01", ifname: "eth0", peer: { ifname: "veth-ns01" } };
  const IN_NS = ["nsenter", "--net=/run/netns/ns01", "--"];

  test("GIVEN loss and rate THEN one nft table on the interface (both hooks) and a tbf on each end's egress", () => {
    const steps = impairSteps(wire, { lossPercent: 20, rateKbit: 2000 }, "impair ns01/eth0");
    expect(steps.map((s) => s.argv)).toEqual([
      [...IN_NS, "nft", "-f", "-"],
      [
        ...IN_NS,
        "tc",
        "qdisc",
        "replace",
        "dev",
        "eth0",
        "root",
        "tbf",
        "rate",
        "2000kbit",
        "burst",
        "16000",
        "latency",
        "100ms",
      ],
      [
        ...NS,
        "tc",
        "qdisc",
        "replace",
        "dev",
        "veth-ns01",
        "root",
        "tbf",
        "rate",
        "2000kbit",
        "burst",
        "16000",
        "latency",
        "100ms",
      ],
    ]);
    // (and before it, the same table under nslab's former name: former-name.test.ts)
    expect(steps[0].input).toContain(
      [
        "table netdev nslab-impair-eth0 {}",
        "delete table netdev nslab-impair-eth0",
        "table netdev nslab-impair-eth0 {",
        '  comment "nslab:lab loss 20%"',
        '  chain in { type filter hook ingress device "eth0" priority 0; meta protocol { ip, ip6 } numgen random mod 10000 < 2000 drop; }',
        '  chain out { type filter hook egress device "eth0" priority 0; meta protocol { ip, ip6 } numgen random mod 10000 < 2000 drop; }',
        "}",
        "",
      ].join("\n"),
    );
  });

  test("GIVEN 100% loss THEN every IP packet is dropped, with no random number (nft's numgen mod 10000 stops at 9999)", () => {
    const input = impairSteps(wire, { lossPercent: 100 }, "impair ns01/eth0")[0].input!;
    expect(input).toContain('comment "nslab:lab loss 100%"');
    expect(input).toContain(
      '  chain in { type filter hook ingress device "eth0" priority 0; meta protocol { ip, ip6 } drop; }',
    );
    expect(input).toContain(
      '  chain out { type filter hook egress device "eth0" priority 0; meta protocol { ip, ip6 } drop; }',
    );
    expect(input).not.toMatch(/numgen/);
    // just under 100: still random, and within nft's range
    expect(impairSteps(wire, { lossPercent: 99.99 }, "x")[0].input).toContain("numgen random mod 10000 < 9999 drop");
  });

  test("GIVEN nothing THEN the table goes (whether or not it is there) and both ends get their default qdisc back", () => {
    const steps = impairSteps(wire, undefined, "reset");
    expect(steps[0].input).toContain("table netdev nslab-impair-eth0 {}\ndelete table netdev nslab-impair-eth0\n");
    expect(steps[0].input).not.toContain("table netdev nslab-impair-eth0 {\n");
    expect(steps.slice(1).map((s) => s.argv.slice(-3))).toEqual([
      ["eth0", "root", "noqueue"],
      ["veth-ns01", "root", "noqueue"],
    ]);
  });

  test("drift: the table's comment and each end's tbf rate, against the declaration", () => {
    const declared = { lossPercent: 20, rateKbit: 2000 };
    expect(impairmentDrift(wire, declared, { comment: "nslab:lab loss 20%", rateKbit: [2000, 2000] })).toEqual([]);
    expect(impairmentDrift(wire, declared, { comment: null, rateKbit: [2000, null] })).toEqual([
      'different: ns01/eth0 no loss, want "nslab:lab loss 20%"',
      "different: host/veth-ns01 rate unlimited, want 2000 kbit/s",
    ]);
    expect(impairmentDrift(wire, undefined, { comment: "nslab:lab loss 5%", rateKbit: [null, null] })).toEqual([
      'different: ns01/eth0 "nslab:lab loss 5%", want no loss',
    ]);
  });
});

describe("delay line relay", () => {
  // a VXLAN datagram: 8-byte header, Ethernet, IPv4 10.0.0.1 -> 10.0.0.2, then `l4`
  const datagram = (proto: number, l4: Buffer) => {
    const ip = Buffer.alloc(20);
    ip[0] = 0x45;
    ip.writeUInt16BE(20 + l4.length, 2);
    ip[8] = 64;
    ip[9] = proto;
    Buffer.from([10, 0, 0, 1, 10, 0, 0, 2]).copy(ip, 12);
    const eth = Buffer.alloc(14);
    eth.writeUInt16BE(0x0800, 12);
    return Buffer.concat([Buffer.alloc(8), eth, ip, l4]);
  };
  // expected sums computed apart from this code (Python, RFC 768/793 pseudo-header)
  test("GIVEN a UDP datagram whose sum the sender left to offload THEN it is finished", () => {
    const d = datagram(17, Buffer.concat([Buffer.from("04d20050000c1234", "hex"), Buffer.from("abcd")]));
    finishChecksum(d);
    expect(d.readUInt16BE(8 + 14 + 20 + 6)).toBe(0x21eb);
  });
  test("GIVEN a TCP SYN THEN its sum is finished; a packet of another kind is left alone", () => {
    const d = datagram(6, Buffer.from("9c40232800000001000000005002faf0abcd0000", "hex"));
    finishChecksum(d);
    expect(d.readUInt16BE(8 + 14 + 20 + 16)).toBe(0xe185);
    const icmp = datagram(1, Buffer.from("0800f7ff00000000", "hex"));
    const before = Buffer.from(icmp);
    finishChecksum(icmp);
    expect(icmp).toEqual(before);
  });
});

describe("delay line relay, IPv6", () => {
  // Ethernet, IPv6 fd00:88::2 -> fd00:88::3 (no extension headers), then `l4`
  const datagram6 = (next: number, l4: Buffer) => {
    const ip = Buffer.alloc(40);
    ip[0] = 0x60;
    ip.writeUInt16BE(l4.length, 4);
    ip[6] = next;
    ip[7] = 64;
    Buffer.from("fd000088000000000000000000000002fd000088000000000000000000000003", "hex").copy(ip, 8);
    const eth = Buffer.alloc(14);
    eth.writeUInt16BE(0x86dd, 12);
    return Buffer.concat([Buffer.alloc(8), eth, ip, l4]);
  };
  // expected sums computed apart from this code (Python, RFC 8200 pseudo-header)
  test("GIVEN a TCP SYN and an odd-length UDP datagram over IPv6 THEN their sums are finished", () => {
    const tcp = datagram6(6, Buffer.from("9c40232800000001000000005002faf0abcd0000", "hex"));
    finishChecksum(tcp);
    expect(tcp.readUInt16BE(8 + 14 + 40 + 16)).toBe(0xfa71);
    const udp = datagram6(17, Buffer.from("04d20050000b1234abcdef", "hex"));
    finishChecksum(udp);
    expect(udp.readUInt16BE(8 + 14 + 40 + 6)).toBe(0x64d1);
  });
});

describe("delay line plan", () => {
  const line = delayLine({ host: "sbx" });
  const none = noDelayLine;
  const inputs = (s: DelayLineSpec) =>
    delayLineOps
      .converge(s, none)
      .map((x) => x.input ?? "")
      .join("");

  test("an endpoint's: one private bridge; its tunnel port there learns nothing; the network's side carries isolation and hairpin; frames on it untracked", () => {
    const text = inputs(line);
    expect(text).toMatch(/link add name nlp1234567 type bridge\n/);
    expect(text).toMatch(/link set dev nla1234567 type bridge_slave learning off\n/);
    expect(text).toMatch(/link set dev nlb1234567 alias nslab:lab master br1 /);
    expect(text).toMatch(/link set dev nlb1234567 type bridge_slave isolated off hairpin on\n/);
    expect(text).toMatch(/iifname \{ nlp1234567 \} notrack/);
    expect(text).toMatch(/-I FORWARD 1 -i nlp1234567 -o nlp1234567 .*-j ACCEPT/);
    expect(text).not.toMatch(/nlq/);
  });

  test("a link's: both bridges its own, neither tunnel port learning, both untracked and let through FORWARD", () => {
    const text = inputs({ ...line, bridge: "nlq1234567", ownsBridge: true });
    expect(text).toMatch(/link add name nlp1234567 type bridge\n/);
    expect(text).toMatch(/link add name nlq1234567 type bridge\n/);
    expect(text).toMatch(/link set dev nlb1234567 type bridge_slave learning off\n/);
    expect(text).not.toMatch(/hairpin/);
    expect(text).toMatch(/iifname \{ nlp1234567, nlq1234567 \} notrack/);
    expect(text).toMatch(/-I FORWARD 1 -i nlq1234567 -o nlq1234567 .*-j ACCEPT/);
    expect(KINDS.delayline.needs({ ...line, ownsBridge: true })).toEqual([]);
    expect(KINDS.delayline.provides({ ...line, bridge: "nlq1234567", ownsBridge: true })).toContain(
      "bridge:nlq1234567",
    );
  });
});

describe("IPv6 plans", () => {
  const dual: NetworkSpec = { ...net, subnet6: "fd00:88::", prefix6: 64, gateway6: "fd00:88::1", masquerade6: true };
  const only6: NetworkSpec = {
    v: 1,
    kind: "network",
    stack: "lab",
    host: "sbx",
    bridge: "br6",
    mtu: 1500,
    masquerade: true,
    subnet6: "fd00:99::",
    prefix6: 64,
    gateway6: "fd00:99::1",
    masquerade6: false,
  };
  const none = { link: null, rules: parseSave(EMPTY_SAVE, EMPTY_SAVE), forwarding: {} };

  test("a dual-stack network: both gateways (IPv6 without DAD), one restore per family, both forwarding sysctls held", () => {
    const steps = networkOps.converge(dual, none);
    expect(steps.map((s) => s.argv.slice(NS.length, NS.length + 2).join(" "))).toEqual([
      "ip link",
      "ip -batch",
      "sysctl -qw",
      "iptables-restore -w",
      "ip6tables-restore -w",
    ]);
    expect(steps[1].input).toContain(
      "addr replace 192.168.88.1/24 dev br01\naddr replace fd00:88::1/64 dev br01 nodad\n",
    );
    // a link-local address from the bridge's MAC: the host asks for neighbours from it
    const ll = linkLocalOf(bridgeMac(dual));
    expect(ll).toMatch(/^fe80::[0-9a-f]{1,4}:[0-9a-f]{1,2}ff:fe[0-9a-f]{2}:[0-9a-f]{1,4}$/);
    expect(steps[1].input).toContain(`addr replace ${ll}/64 dev br01 nodad\n`);
    expect(linkLocalOf("02:42:ac:11:00:02")).toBe("fe80::42:acff:fe11:2");
    const v6 = steps[4].input!;
    expect(v6).toContain("-A POSTROUTING -s fd00:88::/64 ! -o br01 -m comment --comment nslab:lab -j MASQUERADE");
    expect(v6).toContain("-A PREROUTING ! -d ::1/128 -m addrtype --dst-type LOCAL");
    expect(v6).not.toContain("127.0.0.0/8");
    expect(networkOps.sysctls?.(dual)).toEqual({ "net.ipv4.ip_forward": "1", "net.ipv6.conf.all.forwarding": "1" });
  });

  test("an IPv6-only network in routed mode: no IPv4 at all, no MASQUERADE, IPv6 forwarding only", () => {
    const steps = networkOps.converge(only6, none);
    expect(steps.map((s) => s.argv.slice(NS.length, NS.length + 1)[0])).toEqual(["ip", "ip", "ip6tables-restore"]);
    expect(steps[2].input).not.toContain("MASQUERADE -s fd00:99::/64 ! -o");
    expect(steps[2].input).not.toMatch(/! -o br6 .*-j MASQUERADE/);
    expect(networkOps.sysctls?.(only6)).toEqual({ "net.ipv6.conf.all.forwarding": "1" });
  });

  test("a port mapping of a dual-stack endpoint: a DNAT in each family; hostIp picks one", () => {
    const pm: PortMappingSpec = {
      v: 1,
      kind: "portmap",
      stack: "lab",
      host: "sbx",
      protocol: "tcp",
      hostPort: 8080,
      address: "192.168.88.11",
      address6: "fd00:88::b",
      port: 80,
      bridge: "br01",
    };
    const rules = portMappingRules(pm);
    expect(rules.map((r) => [r.family ?? 4, r.table, saveLine(r)])).toEqual([
      [4, "nat", expect.stringContaining("--to-destination 192.168.88.11:80")],
      [4, "filter", expect.stringContaining("-d 192.168.88.11/32")],
      [6, "nat", expect.stringContaining("--to-destination [fd00:88::b]:80")],
      [6, "filter", expect.stringContaining("-d fd00:88::b/128")],
    ]);
    const { address: _a, ...only } = { ...pm, hostIp: "2001:db8::1" };
    expect(portMappingRules(only).map((r) => r.args.slice(0, 2).join(" "))[0]).toBe("-d 2001:db8::1/128");
    // the IPv6 rules are seen in ip6tables-save only: an IPv4 rule of the same text is no match
    const steps = portMappingOps.converge(pm, parseSave(EMPTY_SAVE, EMPTY_SAVE));
    expect(steps.map((s) => s.argv[NS.length])).toEqual(["iptables-restore", "ip6tables-restore"]);
  });
});

describe("tunnel plan (a network spanning hosts)", () => {
  const tunnel: VxlanSpec = {
    v: 1,
    kind: "vxlan",
    stack: "lab",
    bridge: "br1",
    dev: "vx-br1",
    vni: 4242,
    port: 4789,
    local: "10.0.0.1",
    peers: ["10.0.0.2", "10.0.0.3"],
    mtu: 1450,
  };
  const mac = bridgeMac({ stack: "lab", bridge: "br1" });
  const link = (over: Record<string, unknown> = {}) => ({
    ifname: "vx-br1",
    flags: ["BROADCAST", "MULTICAST", "UP", "LOWER_UP"],
    mtu: 1450,
    master: "br1",
    ifalias: "nslab:lab",
    linkinfo: {
      info_kind: "vxlan",
      info_data: { id: 4242, port: 4789, local: "10.0.0.1" },
      info_slave_data: { isolated: false },
    },
    ...over,
  });
  const made: VxlanObs = { link: link(), peers: ["10.0.0.2", "10.0.0.3"], filter: "nslab:lab gateway br1" };

  test("made: the device on the bridge, a flood entry per peer, the gateway's MAC kept off it both ways", () => {
    const steps = vxlanOps.converge(tunnel, { link: null, peers: [], filter: null });
    const text = steps.map((s) => `${s.argv.join(" ")}\n${s.input ?? ""}`).join("");
    expect(text).toContain("link add name vx-br1 mtu 1450 type vxlan id 4242 dstport 4789 local 10.0.0.1\n");
    expect(text).toContain("link set dev vx-br1 alias nslab:lab master br1 addrgenmode none up\n");
    expect(text).toContain("link set dev vx-br1 type bridge_slave isolated off\n");
    expect(text).toContain(
      "bridge -batch -\nfdb append 00:00:00:00:00:00 dev vx-br1 dst 10.0.0.2\nfdb append 00:00:00:00:00:00 dev vx-br1 dst 10.0.0.3\n",
    );
    expect(text).toContain(`oifname "vx-br1" ether saddr ${mac} drop;`);
    expect(text).toContain(`iifname "vx-br1" ether saddr ${mac} drop;`);
    // ICC off: the tunnel's port is isolated as the endpoints' are
    const isolated = vxlanOps.converge({ ...tunnel, isolated: true }, { link: null, peers: [], filter: null });
    expect(isolated.map((s) => s.input ?? "").join("")).toContain("type bridge_slave isolated on\n");
  });

  test("drift: a missing peer, a stray peer, another VNI, a missing filter; none when as declared", () => {
    expect(vxlanOps.drift(tunnel, made, true)).toEqual([]);
    expect(vxlanOps.drift(tunnel, { ...made, peers: ["10.0.0.2", "10.0.0.9"], filter: null }, true)).toEqual([
      "missing: vx-br1 flood entry to 10.0.0.3",
      "different: vx-br1 floods to 10.0.0.9, not a peer",
      "missing: nftables table bridge nslab-gw-vx-br1",
    ]);
    const other = link({ linkinfo: { info_kind: "vxlan", info_data: { id: 7, port: 4789, local: "10.0.0.1" } } });
    expect(vxlanOps.drift(tunnel, { ...made, link: other }, true)).toContain("different: vx-br1 vni 7, want 4242");
    expect(() => vxlanOps.drift(tunnel, { ...made, link: link({ ifalias: "" }) }, false)).toThrow(/is not nslab's/);
  });

  test("removed: the device and its filter table; on each machine it needs only that machine's bridge", () => {
    const text = vxlanOps
      .remove(tunnel, made, true)
      .map((s) => s.input ?? "")
      .join("");
    expect(text).toContain("link del dev vx-br1\n");
    expect(text).toContain("delete table bridge nslab-gw-vx-br1");
    expect(text).not.toContain("table bridge nslab-gw-vx-br1 {\n");
    expect(KINDS.vxlan.needs(tunnel)).toEqual(["bridge:br1"]);
  });
});
