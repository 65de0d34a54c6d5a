// Pure tier, issue 20: what a lab deployed under nslab's former name (netlab) has on a
// machine and in its state is read as the stack's own, replaced by a converge and removed
// by a destroy; the stack's resources move to their new addresses. The e2e tier
// (former-name.test.ts) does the same with the former version's real deploy.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Testing } from "cdktf";
import { ContainerNetwork, LabStack } from "../../constructs";
import { formerOf, fromEnv, OWNER_LINE_PREFIX } from "../../model/former-name";
import { toLine } from "../../model/line";
import type { NetworkSpec, NftablesSpec, PortMappingSpec } from "../../model/schema";
import { adoptFormerRecords, retireFormerCopies } from "../../netops/former-name";
import { parseSave, saveLine } from "../../netops/iptables";
import { networkOps, networkRules } from "../../netops/network";
import { ownTable, renderTable } from "../../netops/nftables";
import { portMappingOps, portMappingRules } from "../../netops/portmap";
import { isOwnerMark } from "../../netops/step";
import { br01 } from "../helpers/specs";

/** A line as the former version wrote it: its chains and its mark under the former name. */
const asFormer = (line: string) => line.replace(/NSLAB-/g, "NETLAB-").replace(/"nslab:/g, '"netlab:');

const net: NetworkSpec = br01();
const pm: PortMappingSpec = {
  v: 1,
  kind: "portmap",
  stack: "lab",
  bridge: "br01",
  protocol: "tcp",
  hostPort: 8080,
  address: "192.168.88.11",
  port: 80,
};
/** iptables-save of a host where the former version made this network and port mapping. */
const formerSave = parseSave(
  [
    "*nat",
    ":PREROUTING ACCEPT [0:0]",
    ":NETLAB-DNAT-br01 - [0:0]",
    ...[...networkRules(net), ...portMappingRules(pm)].filter((r) => r.table === "nat").map(saveLine),
    "COMMIT",
    "*filter",
    ":FORWARD ACCEPT [0:0]",
    ":NETLAB-IN-br01 - [0:0]",
    ":NETLAB-OUT-br01 - [0:0]",
    ...[...networkRules(net), ...portMappingRules(pm)].filter((r) => r.table === "filter").map(saveLine),
    "COMMIT",
  ]
    .map(asFormer)
    .join("\n"),
);

test("a name that starts with nslab's own has a former form; any other is its own", () => {
  expect(formerOf("nslab:lab")).toBe("netlab:lab");
  expect(formerOf("NSLAB-DNAT-br01")).toBe("NETLAB-DNAT-br01");
  expect(formerOf("nslab-owner")).toBe("netlab-owner");
  expect(formerOf("FORWARD")).toBe("FORWARD");
  expect(formerOf("lab-nslab")).toBe("lab-nslab");
  expect(isOwnerMark("netlab:lab", "lab")).toBe(true);
  expect(isOwnerMark("nslab:lab", "lab")).toBe(true);
  expect(isOwnerMark("netlab:other", "lab")).toBe(false);
  expect(isOwnerMark(undefined, "lab")).toBe(false);
});

test("NETLAB_HOST_NETNS is read when NSLAB_HOST_NETNS is not, with a warning", () => {
  const write = jest.spyOn(process.stderr, "write").mockImplementation(() => true);
  try {
    expect(fromEnv("NSLAB_HOST_NETNS", { NSLAB_HOST_NETNS: "a", NETLAB_HOST_NETNS: "b" })).toBe("a");
    expect(write).not.toHaveBeenCalled();
    expect(fromEnv("NSLAB_HOST_NETNS", { NSLAB_HOST_NETNS: "", NETLAB_HOST_NETNS: "b" })).toBe("b");
    expect(write).toHaveBeenCalledWith(
      expect.stringMatching(/read NETLAB_HOST_NETNS, the former name of NSLAB_HOST_NETNS/),
    );
    expect(fromEnv("NSLAB_HOST_NETNS", {})).toBeUndefined();
  } finally {
    write.mockRestore();
  }
});

test("a network and port mapping of the former version: drift says so, the converge replaces them in one restore, destroy removes them", () => {
  const obs = { link: null, rules: formerSave, forwarding: { "net.ipv4.ip_forward": "1" } };
  expect(networkOps.drift(net, obs, true)).toContain("different: 14 chains and rules under nslab's former name");
  expect(portMappingOps.drift(pm, formerSave, true)).toContain(
    "different: 2 chains and rules under nslab's former name",
  );

  const fw = networkOps.converge(net, obs).at(-1)!.input!;
  // the new ones first, then the former rules deleted and the former chains flushed and deleted
  const nat = fw.slice(fw.indexOf("*nat"), fw.indexOf("COMMIT"));
  expect(nat.indexOf(":NSLAB-DNAT-br01 - [0:0]")).toBeLessThan(nat.indexOf("-D PREROUTING"));
  expect(nat).toContain(
    "-D PREROUTING ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -m comment --comment netlab:lab -j NETLAB-DNAT-br01\n",
  );
  expect(nat).toMatch(/-F NETLAB-DNAT-br01\n-X NETLAB-DNAT-br01\n$/);
  expect(fw).toContain("-F NETLAB-IN-br01\n-X NETLAB-IN-br01\n-F NETLAB-OUT-br01\n-X NETLAB-OUT-br01\n");

  // a port mapping made in a network not yet converged: its chains are made for it
  const publish = portMappingOps.converge(pm, parseSave("*nat\nCOMMIT\n*filter\nCOMMIT\n"))[0].input!;
  expect(publish).toContain(":NSLAB-DNAT-br01 - [0:0]");
  expect(publish).toContain(":NSLAB-IN-br01 - [0:0]");

  const gone = [...portMappingOps.remove(pm, formerSave, true), ...networkOps.remove(net, obs, true)]
    .map((s) => s.input)
    .join("");
  expect(gone).toContain("-D NETLAB-DNAT-br01 -p tcp -m tcp --dport 8080 -m comment --comment netlab:lab -j DNAT");
  expect(gone).toContain("-X NETLAB-DNAT-br01");
  expect(gone).not.toMatch(/NSLAB/); // nothing of this version's is there to remove
});

test("nftables: the stack's former tables (ip, then inet) and a small table's former one go in the same transaction", () => {
  const spec: NftablesSpec = { v: 1, kind: "nftables", stack: "lab", networks: [], portmaps: [] };
  expect(renderTable(spec, ["ip", "inet"]).split("\n").slice(0, 6)).toEqual([
    "table ip netlab-lab {}",
    "delete table ip netlab-lab",
    "table inet netlab-lab {}",
    "delete table inet netlab-lab",
    "table inet nslab-lab {}",
    "delete table inet nslab-lab",
  ]);
  expect(ownTable("netdev", "nslab-impair-eth0", "nslab:lab loss 1%").split("\n").slice(0, 2)).toEqual([
    "table netdev netlab-impair-eth0 {}",
    "delete table netdev netlab-impair-eth0",
  ]);
});

test("the former ledger of a host moves under today's root, merged with what is there", () => {
  const dir = mkdtempSync(join(tmpdir(), "nslab-former-"));
  try {
    const former = join(dir, "former");
    const root = join(dir, "root");
    for (const [path, text] of [
      ["sbx/lab/endpoint-a.json", "{}"],
      ["sbx/lab/workload-web.pid", "42 1\n"],
      ["sbx/_sysctl/net.ipv4.ip_forward/prior", "0"],
      ["other/lab/endpoint-b.json", "{}"],
    ]) {
      mkdirSync(join(former, path, ".."), { recursive: true });
      writeFileSync(join(former, path), text);
    }
    mkdirSync(join(root, "sbx", "lab"), { recursive: true });
    writeFileSync(join(root, "sbx", "lab", "endpoint-c.json"), "{}");
    adoptFormerRecords("sbx", join(root, "sbx"), former);
    expect(readdirSync(join(root, "sbx", "lab")).sort()).toEqual([
      "endpoint-a.json",
      "endpoint-c.json",
      "workload-web.pid",
    ]);
    expect(readFileSync(join(root, "sbx", "_sysctl", "net.ipv4.ip_forward", "prior"), "utf8")).toBe("0");
    expect(readdirSync(former)).toEqual(["other"]); // another host's, for the runner that works on it
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the former records on another filesystem than today's (/run on its own mount): copied over, then removed", () => {
  // /dev/shm is a tmpfs, the temp folder is not: a rename between them fails with EXDEV
  const former = mkdtempSync(join("/dev/shm", "nslab-former-"));
  const root = mkdtempSync(join(tmpdir(), "nslab-root-"));
  try {
    mkdirSync(join(former, "sbx", "lab"), { recursive: true });
    writeFileSync(join(former, "sbx", "lab", "workload-web.pid"), "42 1\n");
    adoptFormerRecords("sbx", join(root, "sbx"), former);
    expect(readFileSync(join(root, "sbx", "lab", "workload-web.pid"), "utf8")).toBe("42 1\n");
    expect(existsSync(former)).toBe(false);
  } finally {
    for (const d of [former, root]) rmSync(d, { recursive: true, force: true });
  }
});

test("on a Host with nothing recorded: the former version's runner copies go, and their folder when empty", () => {
  const dir = mkdtempSync(join(tmpdir(), "nslab-former-"));
  try {
    for (const f of ["netops-0123456789ab.cjs", "netops-ba9876543210.cjs", "notes.txt"])
      writeFileSync(join(dir, f), "");
    retireFormerCopies(dir);
    expect(readdirSync(dir)).toEqual(["notes.txt"]); // someone else's file: the folder stays
    rmSync(join(dir, "notes.txt"));
    retireFormerCopies(dir);
    expect(existsSync(dir)).toBe(false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("synth: the stack's resources move from the addresses the former version gave them; the owner's line is unchanged", () => {
  const app = Testing.app();
  const stack = new LabStack(app, "lab-stack");
  new ContainerNetwork(stack, "Br01", { bridgeName: "br01", subnet: "192.168.88.0/24" });
  const tf = JSON.parse(Testing.synth(stack));
  const moved = Object.fromEntries((tf.moved as { from: string; to: string }[]).map((m) => [m.from, m.to]));
  // as in the former version's own snapshot
  expect(moved["terraform_data.netlab-owner_686B4CA0"]).toMatch(/^terraform_data\.nslab-owner_[0-9A-F]{8}$/);
  expect(moved["terraform_data.netlab-sweep_23BAA187"]).toMatch(/^terraform_data\.nslab-sweep_[0-9A-F]{8}$/);
  const owner = tf.resource.terraform_data[moved["terraform_data.netlab-owner_686B4CA0"].split(".")[1]];
  expect(owner.triggers_replace).toBe('netlab-stack {"v":1,"stack":"lab-stack","kind":"stack"}');
  expect(toLine({ v: 1, stack: "x", kind: "stack" })).toMatch(new RegExp(`^${OWNER_LINE_PREFIX}stack `));
});
