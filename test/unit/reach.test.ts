// Issue 19 item 6: `nslab test --all-pairs` judges each pair as the lab says (isolation
// is a pass when the pair does not answer), and leaves to the user's Expectations the
// pairs only their own links and routes join.
import type { EndpointSpec, LinkSpec, NetworkSpec, ObjectSpec } from "../../model/schema";
import { matrixOf, pairsOf, renderMatrix } from "../../netops/reach";

const base = { v: 1 as const, stack: "s" };
const net = (bridge: string, third: number, more: Partial<NetworkSpec> = {}): NetworkSpec => ({
  ...base,
  kind: "network",
  bridge,
  subnet: `10.0.${third}.0`,
  prefix: 24,
  gateway: `10.0.${third}.1`,
  mtu: 1500,
  masquerade: true,
  ...more,
});
const ep = (netns: string, bridge: string, address: string, more: Partial<EndpointSpec> = {}): EndpointSpec => ({
  ...base,
  kind: "endpoint",
  netns,
  hostIf: `v-${netns}-${bridge}`,
  ifname: more.shared ? `eth-${bridge}` : "eth0",
  address,
  prefix: 24,
  gateway: address.replace(/\.\d+$/, ".1"),
  mtu: 1500,
  bridge,
  ...more,
});

// A: ICC on; B: not connected to anything; C: ICC off; D: connected to A (both ways)
const lab: ObjectSpec[] = [
  net("bra", 1, { connect: ["brd"] }),
  net("brb", 2),
  net("brc", 3, { icc: false }),
  net("brd", 4, { connect: ["bra"] }),
  ep("a1", "bra", "10.0.1.2"),
  ep("a2", "bra", "10.0.1.3"),
  ep("b1", "brb", "10.0.2.2"),
  ep("c1", "brc", "10.0.3.2"),
  ep("c2", "brc", "10.0.3.3"),
  ep("d1", "brd", "10.0.4.2"),
  // a sandbox on A (its default route) and B
  ep("m", "bra", "10.0.1.9", { shared: true }),
  ep("m", "brb", "10.0.2.9", { shared: true, defaultRoute: false }),
];
const want = (specs: ObjectSpec[], from: string, to: string) =>
  pairsOf(specs).find((p) => p.from === from && p.to === to)?.want;
const wantByAddress = (from: string, to: string) =>
  pairsOf(lab)
    .filter((p) => p.from === from && p.to === to)
    .map((p) => [p.address, p.want]);

test("the expected answer of each pair comes from the lab: shared network, ICC, connected or isolated networks", () => {
  expect(want(lab, "a1", "a2")).toBe(true); // one network, ICC on
  expect(want(lab, "a1", "b1")).toBe(false); // isolated networks
  expect(want(lab, "b1", "a1")).toBe(false);
  expect(want(lab, "c1", "c2")).toBe(false); // ICC off
  expect(want(lab, "a1", "d1")).toBe(true); // connected, both ways
  expect(want(lab, "d1", "a2")).toBe(true);
  expect(want(lab, "d1", "c1")).toBe(false);
  expect(want(lab, "m", "b1")).toBe(true); // a sandbox on B reaches B directly
  expect(want(lab, "m", "d1")).toBe(true); // and D through its default route's network, A
  // every address of the target: the sandbox's on B answers B, its address on A does not
  expect(wantByAddress("b1", "m")).toEqual([
    ["10.0.1.9", false],
    ["10.0.2.9", true],
  ]);
  expect(wantByAddress("a1", "m")).toEqual([
    ["10.0.1.9", true],
    ["10.0.2.9", false],
  ]);
});

test("a pair the lab does not join but the user's own link or route may: observed, no verdict", () => {
  const link: LinkSpec = {
    ...base,
    kind: "link",
    a: { netns: "b1", ifname: "l0", address: "10.9.0.1/30" },
    b: { netns: "c1", ifname: "l0", address: "10.9.0.2/30" },
    mtu: 1500,
  };
  const withLink = [...lab, link];
  expect(want(withLink, "b1", "c1")).toBeNull();
  expect(want(withLink, "a1", "b1")).toBeNull();
  expect(want(withLink, "a1", "a2")).toBe(true); // what the lab joins is still judged
  expect(want(withLink, "c2", "c1")).toBeNull(); // ICC off, but c1 has a way of its own now
});

test("the matrix: a row per source, a column per target; FAIL where the lab is not kept, ? where it does not say", () => {
  const m = matrixOf([
    { from: "a1", to: "a2", want: true, got: true },
    { from: "a1", to: "b1", want: false, got: false },
    { from: "b1", to: "a1", want: false, got: true },
    { from: "b1", to: "a2", want: null, got: true },
  ]);
  expect(m.cells.a1.a2).toEqual({ got: "yes", want: true, pass: true });
  expect(m.cells.b1.a1).toEqual({ got: "yes", want: false, pass: false });
  expect(renderMatrix(m).split("\n").slice(1, 5)).toEqual([
    "FROM \\ TO  a1        a2     b1",
    "a1         -         yes    no",
    "a2         -         -      -",
    "b1         yes FAIL  yes ?  -",
  ]);
});
