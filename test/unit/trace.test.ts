// Pure tier: `nslab trace` reading what `nft monitor trace` printed (lines in the form
// nftables 1.0.6 prints them, as seen on these machines), and the path, NAT and verdict in
// the lab's words. The real kernel's traces are in test/e2e/trace.test.ts.
import { traceEvent, type TraceEvent } from "../../netops/trace-events";
import { pathOf, type Watched } from "../../netops/trace-path";
import { br01, endpointSpec } from "../helpers/specs";

const events = (text: string): TraceEvent[] =>
  text
    .trim()
    .split("\n")
    .map((l) => traceEvent(l.trim())!);
const watched = (place: string, text: string): Watched => ({ place, machine: "this machine", events: events(text) });

const A = br01({ bridge: "tra", subnet: "10.250.60.0", gateway: "10.250.60.1" });
const B = br01({ bridge: "trb", subnet: "10.250.61.0", gateway: "10.250.61.1" });
const specs = [
  A,
  B,
  endpointSpec("a2", { bridge: "tra", address: "10.250.60.12", hostIf: "veth-a2" }),
  endpointSpec("b1", { bridge: "trb", address: "10.250.61.11", hostIf: "veth-b1" }),
];
const probe = { proto: "icmp" as const, id: 4242, from: "a2", toPlace: "b1" };

test("GIVEN a trace line THEN its trace, table, chain and what happened; counters left out", () => {
  expect(
    traceEvent(
      'trace id 914e9f5d inet nslab-trace mark_pre packet: iif "trb0" ether saddr 1e:c1:95:db:b3:df ip saddr 10.250.9.1 ip daddr 10.250.9.2 ip dscp cs0 ip protocol icmp ip length 84 icmp type echo-request icmp code net-unreachable icmp id 4242 icmp sequence 1 ',
    ),
  ).toEqual({
    id: "914e9f5d",
    family: "inet",
    table: "nslab-trace",
    chain: "mark_pre",
    kind: "packet",
    packet: {
      iif: "trb0",
      saddr: "10.250.9.1",
      daddr: "10.250.9.2",
      proto: "icmp",
      icmpType: "echo-request",
      icmpId: 4242,
    },
  });
  expect(
    traceEvent("trace id 1 ip filter INPUT rule meta l4proto icmp  counter packets 1 bytes 84 accept (verdict accept)"),
  ).toMatchObject({
    kind: "rule",
    rule: "meta l4proto icmp accept",
    verdict: "accept",
  });
  expect(
    traceEvent("trace id 1 ip nat PREROUTING rule tcp dport 8080 dnat to 10.0.0.2:80 (verdict jump NSLAB-DNAT-br01)")
      ?.verdict,
  ).toBe("jump NSLAB-DNAT-br01");
  expect(traceEvent("trace id 1 ip filter FORWARD policy drop ")).toMatchObject({ kind: "policy", verdict: "drop" });
  expect(
    traceEvent(
      'trace id 1 inet t c packet: iif "x" ip saddr 1.1.1.1 ip daddr 2.2.2.2 tcp sport 42001 tcp dport 80 tcp flags == syn',
    )?.packet,
  ).toMatchObject({ proto: "tcp", sport: 42001, dport: 80 });
  expect(traceEvent("something else")).toBeUndefined();
});

test("GIVEN a probe dropped on its way into another network THEN dropped there, by that network's isolation rule", () => {
  const r = pathOf(
    [
      watched(
        "a2",
        `trace id 11 inet nslab-trace mark_out packet: oif "eth0" ip saddr 10.250.60.12 ip daddr 10.250.61.11 ip protocol icmp icmp type echo-request icmp id 4242
         trace id 11 inet nslab-trace mark_out rule icmp id 4242 meta nftrace set 1 (verdict continue)
         trace id 11 inet nslab-trace seen_post packet: oif "eth0" ip saddr 10.250.60.12 ip daddr 10.250.61.11 ip protocol icmp icmp type echo-request icmp id 4242
         trace id 11 inet nslab-trace seen_post policy accept`,
      ),
      watched(
        "host",
        `trace id 22 inet nslab-trace mark_pre packet: iif "tra" ip saddr 10.250.60.12 ip daddr 10.250.61.11 ip protocol icmp icmp type echo-request icmp id 4242
         trace id 22 inet nslab-trace mark_pre policy accept
         trace id 33 ip filter FORWARD packet: iif "tra" oif "trb" ip saddr 10.250.60.12 ip daddr 10.250.61.11 ip protocol icmp icmp type echo-request icmp id 4242
         trace id 33 ip filter FORWARD rule oifname "trb" counter packets 0 bytes 0 jump NSLAB-IN-trb (verdict jump NSLAB-IN-trb)
         trace id 33 ip filter NSLAB-IN-trb rule counter packets 3 bytes 252 drop (verdict drop)`,
      ),
      watched("b1", ""),
    ].map((w) => ({ ...w, events: w.events.filter(Boolean) })),
    probe,
    specs,
    null,
    undefined,
    { "network-trb": "lab/B" },
  );
  expect(r.verdict).toBe("dropped");
  expect(r.hops.map((h) => `${h.place} ${h.fate}`)).toEqual(["a2 sent", "host dropped"]);
  expect(r.hops[1]).toMatchObject({ in: "tra", out: "trb" });
  expect(r.hops[1].steps.at(-1)).toMatchObject({
    hook: "forward",
    chain: "NSLAB-IN-trb",
    rule: "drop",
    verdict: "drop",
    madeBy: { what: "isolation: only trb's own and connected networks may enter it" },
  });
  expect(r.why).toMatch(
    /^dropped in host, forward: isolation: only trb's own and connected networks may enter it \(made by /,
  );
});

test("GIVEN a probe DNAT'd to an endpoint and answered THEN delivered there, the DNAT named, the answer's way back", () => {
  const out = (fromTo: string, type: string) =>
    `trace id 1 inet nslab-trace mark_out packet: oif "eth0" ${fromTo} ip protocol icmp icmp type ${type} icmp id 4242`;
  const r = pathOf(
    [
      watched(
        "a2",
        `${out("ip saddr 10.250.60.12 ip daddr 10.250.60.1", "echo-request")}
         trace id 2 inet nslab-trace mark_pre packet: iif "eth0" ip saddr 10.250.60.1 ip daddr 10.250.60.12 ip protocol icmp icmp type echo-reply icmp id 4242
         trace id 2 inet nslab-trace seen_in packet: iif "eth0" ip saddr 10.250.60.1 ip daddr 10.250.60.12 ip protocol icmp icmp type echo-reply icmp id 4242`,
      ),
      watched(
        "host",
        `trace id 3 inet nslab-trace mark_pre packet: iif "tra" ip saddr 10.250.60.12 ip daddr 10.250.60.1 ip protocol icmp icmp type echo-request icmp id 4242
         trace id 3 ip nat PREROUTING rule ip daddr 10.250.60.1 dnat to 10.250.61.11 (verdict accept)
         trace id 3 inet nslab-trace seen_fwd packet: iif "tra" oif "trb" ip saddr 10.250.60.12 ip daddr 10.250.61.11 ip protocol icmp icmp type echo-request icmp id 4242
         trace id 3 inet nslab-trace seen_post packet: oif "trb" ip saddr 10.250.60.12 ip daddr 10.250.61.11 ip protocol icmp icmp type echo-request icmp id 4242`,
      ),
      watched(
        "b1",
        `trace id 4 inet nslab-trace mark_pre packet: iif "eth0" ip saddr 10.250.60.12 ip daddr 10.250.61.11 ip protocol icmp icmp type echo-request icmp id 4242
         trace id 4 inet nslab-trace seen_in packet: iif "eth0" ip saddr 10.250.60.12 ip daddr 10.250.61.11 ip protocol icmp icmp type echo-request icmp id 4242`,
      ),
    ],
    { ...probe, toPlace: "host" },
    specs,
    "answered",
  );
  expect(r).toMatchObject({ verdict: "delivered", answered: true, why: "delivered to b1, and answered" });
  expect(r.hops.map((h) => h.place)).toEqual(["a2", "host", "b1"]);
  expect(r.hops[1].nat).toEqual(["DNAT to 10.250.61.11 (endpoint b1)"]);
  expect(r.reply.map((h) => `${h.place} ${h.fate}`)).toEqual(["a2 delivered"]);
});

test("GIVEN a TCP probe refused THEN delivered, and refused: a reset is an answer", () => {
  const r = pathOf(
    [
      watched(
        "b1",
        `trace id 4 inet nslab-trace mark_pre packet: iif "eth0" ip saddr 10.250.60.12 ip daddr 10.250.61.11 ip protocol tcp tcp sport 4242 tcp dport 81
         trace id 4 inet nslab-trace seen_in packet: iif "eth0" ip saddr 10.250.60.12 ip daddr 10.250.61.11 ip protocol tcp tcp sport 4242 tcp dport 81`,
      ),
    ],
    { ...probe, proto: "tcp" },
    specs,
    "refused",
  );
  expect(r).toMatchObject({ verdict: "delivered", answered: true });
  expect(r.why).toBe("delivered to b1, and refused: nothing listens on that port there");
});

test("GIVEN a probe seen coming in and then nowhere THEN lost there", () => {
  const r = pathOf(
    [
      watched(
        "host",
        `trace id 9 inet nslab-trace mark_pre packet: iif "tra" ip saddr 10.250.60.12 ip daddr 10.9.9.9 ip protocol icmp icmp type echo-request icmp id 4242`,
      ),
      watched(
        "a2",
        `trace id 8 inet nslab-trace mark_out packet: oif "eth0" ip saddr 10.250.60.12 ip daddr 10.9.9.9 ip protocol icmp icmp type echo-request icmp id 4242
         trace id 8 inet nslab-trace seen_post packet: oif "eth0" ip saddr 10.250.60.12 ip daddr 10.9.9.9 ip protocol icmp icmp type echo-request icmp id 4242`,
      ),
    ],
    { ...probe, toPlace: undefined },
    specs,
    null,
  );
  expect(r.verdict).toBe("lost");
  expect(r.hops.map((h) => h.place)).toEqual(["a2", "host"]);
  expect(r.why).toBe("lost in host: it came in by tra and went nowhere (no route to 10.9.9.9?)");
});
