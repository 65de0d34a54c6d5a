// Pure tier through the exec seam: the runner's ensure, remove, rollback and shared
// sysctls, against canned kernel output. Every command it would run is recorded; none
// reaches the machine (test/helpers/fake-exec.ts refuses what was not canned).
import type { NetworkSpec } from "../../model/schema";
import { applySpecs, log, logClosing, removeSpecs, underTerraform } from "../../netops/engine";
import { recorded } from "../../netops/ledger";
import { onStepDone, type RunResult } from "../../netops/exec";
import { armTestHooks } from "../../netops/test-hooks";
import { notFound } from "../helpers/fake-exec";
import { fakeMachine } from "../helpers/fake-machine";

const m = fakeMachine();

const net: NetworkSpec = {
  v: 1,
  stack: "s",
  kind: "network",
  bridge: "nlu-br",
  subnet: "10.9.0.0",
  prefix: 24,
  gateway: "10.9.0.1",
  mtu: 1500,
  masquerade: true,
};

const MAC = "02:66:cb:7c:f9:e2"; // bridgeMac(net)
const bridge = {
  ifname: "nlu-br",
  flags: ["BROADCAST", "MULTICAST", "UP", "LOWER_UP"],
  mtu: 1500,
  address: MAC,
  ifalias: "nslab:s",
  linkinfo: { info_kind: "bridge" },
  addr_info: [{ family: "inet", local: "10.9.0.1", prefixlen: 24 }],
};
const c = `-m comment --comment "nslab:s"`;
/** iptables-save of a host with `net` in place, a foreign Docker rule around it; `drop` leaves lines out. */
const saved = (drop: RegExp | null = null) =>
  [
    "*nat",
    ":PREROUTING ACCEPT [0:0]",
    ":OUTPUT ACCEPT [0:0]",
    ":POSTROUTING ACCEPT [0:0]",
    ":NSLAB-DNAT-nlu-br - [0:0]",
    `-A PREROUTING ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL ${c} -j NSLAB-DNAT-nlu-br`,
    `-A OUTPUT -m addrtype --dst-type LOCAL ${c} -j NSLAB-DNAT-nlu-br`,
    `-A POSTROUTING -s 10.9.0.0/24 -d 10.9.0.0/24 -o nlu-br -m conntrack --ctstate DNAT ${c} -j MASQUERADE`,
    `-A POSTROUTING -s 127.0.0.0/8 -o nlu-br ${c} -j MASQUERADE`,
    `-A POSTROUTING -s 10.9.0.0/24 ! -o nlu-br ${c} -j MASQUERADE`,
    "COMMIT",
    "*filter",
    ":INPUT ACCEPT [0:0]",
    ":FORWARD DROP [0:0]",
    ":OUTPUT ACCEPT [0:0]",
    ":DOCKER-USER - [0:0]",
    ":NSLAB-IN-nlu-br - [0:0]",
    ":NSLAB-OUT-nlu-br - [0:0]",
    `-A FORWARD -o nlu-br ${c} -j NSLAB-IN-nlu-br`,
    `-A FORWARD -i nlu-br ${c} -j NSLAB-OUT-nlu-br`,
    "-A FORWARD -j DOCKER-USER",
    `-A NSLAB-IN-nlu-br -m conntrack --ctstate RELATED,ESTABLISHED ${c} -j ACCEPT`,
    `-A NSLAB-IN-nlu-br -i nlu-br ${c} -j ACCEPT`,
    `-A NSLAB-IN-nlu-br ${c} -j DROP`,
    `-A NSLAB-OUT-nlu-br ${c} -j ACCEPT`,
    "COMMIT",
  ]
    .filter((l) => !drop || !drop.test(l))
    .join("\n") + "\n";

/** The host's sysctls as a kernel keeps them (`sysctl -n` reads, `sysctl -qw k=v` writes), and its bridge. */
function host(init: { sysctl?: Record<string, string>; bridge?: boolean; save?: string }) {
  const kernel = {
    sysctl: { "net.ipv4.ip_forward": "0", "net/ipv4/conf/nlu-br/route_localnet": "0", ...init.sysctl },
    bridge: init.bridge ?? false,
    save: init.save ?? saved(/nslab|NSLAB/),
  };
  m.fake
    .on(/^sysctl -n (\S+)$/, () => ({
      stdout: `${kernel.sysctl[m.fake.calls.at(-1)!.argv.split(" ")[2] as keyof typeof kernel.sysctl] ?? "0"}\n`,
    }))
    .on(/^sysctl -qw (\S+)=(\S+)$/, () => {
      const [k, v] = m.fake.calls.at(-1)!.argv.split(" ")[2].split("=");
      (kernel.sysctl as Record<string, string>)[k] = v;
      return {};
    })
    .on(/^ip -d -j addr show dev nlu-br$/, () =>
      kernel.bridge ? { stdout: JSON.stringify([bridge]) } : notFound("nlu-br"),
    )
    .on(/^ip link add name nlu-br type bridge$/, () => ((kernel.bridge = true), {}))
    .on(/^ip link del dev nlu-br$/, () => ((kernel.bridge = false), {}))
    .on(/^ip -batch -$/, {})
    .on(/^iptables-save$/, () => ({ stdout: kernel.save }))
    .on(/^iptables-restore -w --noflush$/, {});
  return kernel;
}

/** The commands that change something: reads (`-j ... show`, `iptables-save`, `sysctl -n`) left out. */
const writes = () => m.fake.ran().filter((a) => !/ show( |$)|^iptables-save$|^sysctl -n /.test(a));
const restoreInput = () => m.fake.calls.filter((c) => c.argv.startsWith("iptables-restore")).map((c) => c.input);

describe("ensure", () => {
  test("GIVEN no network THEN the bridge, its address and the firewall are made, with ip_forward held", async () => {
    host({});
    await applySpecs([net]);
    expect(writes()).toEqual([
      "sysctl -qw net.ipv4.ip_forward=1",
      "ip link add name nlu-br type bridge",
      "ip -batch -",
      "sysctl -qw net/ipv4/conf/nlu-br/route_localnet=1",
      "iptables-restore -w --noflush",
    ]);
    const [restore] = restoreInput();
    // the hooks go above the host's own FORWARD rules (Docker's jump), IN above OUT
    expect(restore).toMatch(
      /-I FORWARD 1 -o nlu-br .*-j NSLAB-IN-nlu-br\n-I FORWARD 2 -i nlu-br .*-j NSLAB-OUT-nlu-br\n/,
    );
    expect(restore).toMatch(/-A POSTROUTING -s 10\.9\.0\.0\/24 ! -o nlu-br .*-j MASQUERADE/);
    expect(recorded(net)).toEqual(net); // the ledger knows before the first step
  });

  test("GIVEN the network in place THEN only reads run", async () => {
    host({
      bridge: true,
      save: saved(),
      sysctl: { "net.ipv4.ip_forward": "1", "net/ipv4/conf/nlu-br/route_localnet": "1" },
    });
    await applySpecs([net]);
    expect(writes()).toEqual([]);
  });

  test("GIVEN the IN chain lost a rule THEN repair puts it back in its place, before the chain's DROP (issue 10, item 8)", async () => {
    host({
      bridge: true,
      save: saved(/-A NSLAB-IN-nlu-br -i nlu-br/),
      sysctl: { "net.ipv4.ip_forward": "1", "net/ipv4/conf/nlu-br/route_localnet": "1" },
    });
    await applySpecs([net]);
    expect(writes()).toEqual(["iptables-restore -w --noflush"]);
    expect(restoreInput()).toEqual([
      `*filter\n-I NSLAB-IN-nlu-br 2 -i nlu-br -m comment --comment nslab:s -j ACCEPT\nCOMMIT\n`,
    ]);
  });
});

describe("rollback", () => {
  test("GIVEN a step fails THEN the steps before it are undone in reverse and ip_forward is let go", async () => {
    const kernel = host({});
    m.fake.on(/^iptables-restore/, { ok: false, stderr: "iptables-restore: line 7 failed\n" });
    await expect(applySpecs([net])).rejects.toThrow(/line 7 failed/);
    const made = [
      "sysctl -qw net.ipv4.ip_forward=1",
      "ip link add name nlu-br type bridge",
      "ip -batch -",
      "sysctl -qw net/ipv4/conf/nlu-br/route_localnet=1",
      "iptables-restore -w --noflush",
    ];
    const after = writes().slice(made.length);
    expect(writes().slice(0, made.length)).toEqual(made);
    // the failed restore's own undo (a restore may stop half-way), then the bridge (its
    // address and route_localnet go with it), then ip_forward
    expect(after).toEqual([
      "iptables-restore -w --noflush",
      "ip link del dev nlu-br",
      "sysctl -qw net.ipv4.ip_forward=0",
    ]);
    expect(restoreInput()[1]).toMatch(/^\*nat\n-D PREROUTING .*\n[\s\S]*-X NSLAB-DNAT-nlu-br\n/);
    expect(kernel).toMatchObject({ bridge: false, sysctl: { "net.ipv4.ip_forward": "0" } });
  });

  test("GIVEN the fail hook at step 2 THEN the apply stops there and rolls back; aimed at another object, it does not", async () => {
    const armed = (key: string) => {
      Object.assign(process.env, { NSLAB_FAIL_AFTER_STEP: "2", NSLAB_HOOK_KEY: key });
      armTestHooks(["network-nlu-br"]);
      delete process.env.NSLAB_FAIL_AFTER_STEP;
      delete process.env.NSLAB_HOOK_KEY;
    };
    try {
      host({});
      armed("network-other");
      await applySpecs([net]);
      await removeSpecs([net]);
      m.fake.calls.length = 0;
      armed("network-nlu-br");
      await expect(applySpecs([net])).rejects.toThrow(/injected failure after step 2/);
      expect(writes()).toEqual([
        "sysctl -qw net.ipv4.ip_forward=1",
        "ip link add name nlu-br type bridge",
        "ip -batch -",
        "ip link del dev nlu-br",
        "sysctl -qw net.ipv4.ip_forward=0",
      ]);
    } finally {
      onStepDone(undefined);
    }
  });
});

describe("remove", () => {
  test("GIVEN the network THEN its rules go in one restore, then the bridge; the last holder puts ip_forward back", async () => {
    const kernel = host({});
    await applySpecs([net]);
    kernel.save = saved();
    m.fake.calls.length = 0;
    await removeSpecs([net]);
    const [restore] = restoreInput();
    expect(restore).toMatch(/-D FORWARD -o nlu-br .*-j NSLAB-IN-nlu-br\n/);
    expect(restore).toMatch(/-X NSLAB-IN-nlu-br\n/);
    expect(restore).not.toMatch(/DOCKER-USER/); // the host's own rules are never touched
    expect(writes()).toEqual([
      "iptables-restore -w --noflush",
      "ip link del dev nlu-br",
      "sysctl -qw net.ipv4.ip_forward=0",
    ]);
    expect(recorded(net)).toBeNull();
  });

  test("GIVEN the network is already gone THEN nothing runs but reads, and its ledger entry is closed", async () => {
    host({});
    await removeSpecs([net]);
    expect(writes()).toEqual([]);
    expect(recorded(net)).toBeNull();
  });
});

describe("shared sysctls", () => {
  const net2: NetworkSpec = { ...net, bridge: "nlu-br2", subnet: "10.9.1.0", gateway: "10.9.1.1" };
  const forward = () => writes().filter((a) => a.includes("ip_forward"));
  beforeEach(() => {
    m.fake.on(/ nlu-br2( |$)|nlu-br2\/route_localnet/, (): Partial<RunResult> => ({}));
    m.fake.on(/^ip -d -j addr show dev nlu-br2$/, notFound("nlu-br2"));
    m.fake.on(/^sysctl -n net\/ipv4\/conf\/nlu-br2\/route_localnet$/, { stdout: "0\n" });
  });

  test("GIVEN two networks THEN ip_forward is set once, and put back only when the last one goes", async () => {
    host({});
    await applySpecs([net]);
    await applySpecs([net2]);
    expect(forward()).toEqual(["sysctl -qw net.ipv4.ip_forward=1"]);
    await removeSpecs([net]);
    expect(forward()).toEqual(["sysctl -qw net.ipv4.ip_forward=1"]);
    await removeSpecs([net2]);
    expect(forward()).toEqual(["sysctl -qw net.ipv4.ip_forward=1", "sysctl -qw net.ipv4.ip_forward=0"]);
  });

  test("GIVEN ip_forward was 1 before nslab THEN it stays 1", async () => {
    host({ sysctl: { "net.ipv4.ip_forward": "1" } });
    await applySpecs([net]);
    await removeSpecs([net]);
    expect(forward()).toEqual([]);
  });

  test("GIVEN someone changed ip_forward while nslab held it THEN the last holder leaves their value", async () => {
    const kernel = host({});
    await applySpecs([net]);
    kernel.sysctl["net.ipv4.ip_forward"] = "0"; // by hand, while the lab is up
    await removeSpecs([net]);
    expect(forward()).toEqual(["sysctl -qw net.ipv4.ip_forward=1"]);
  });
});

test("GIVEN a runner under Terraform THEN at most 300 step lines, the rest counted, and the closing line always printed", () => {
  const out: string[] = [];
  const spy = jest.spyOn(process.stdout, "write").mockImplementation((s) => (out.push(String(s)), true));
  try {
    underTerraform();
    for (let i = 0; i < 350; i++) log(`port *:${i}/tcp`)("publish");
    logClosing("stack lab")("this machine: made 2002");
  } finally {
    spy.mockRestore();
  }
  expect(out).toHaveLength(302);
  expect(out[299]).toBe("netops port *:299/tcp: publish\n");
  expect(out.slice(300)).toEqual([
    "netops stack lab: ... and 50 more lines of steps, not shown (`nslab inspect` shows every object)\n",
    "netops stack lab: this machine: made 2002\n",
  ]);
});
