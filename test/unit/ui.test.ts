// Pure tier: the live page's parts (cli/ui/page.ts) from a look at the kernel: what is not
// as declared is marked on the picture and in the table, traffic is written as rates, the
// checks are drawn, and whatever the kernel or a user's strings say is escaped.
import { parts, targetOf, type View } from "../../cli/ui/page";
import { br01, endpointSpec } from "../helpers/specs";

const endpoint = (netns: string, address: string) => endpointSpec(netns, { address });
const specs = [br01(), endpoint("ns01", "192.168.88.11"), endpoint("ns02", "192.168.88.12")];
const object = (kind: string, key: string, name: string, drift: string[] = []) => ({
  kind,
  key,
  name,
  status: drift.length ? ("drift" as const) : ("ok" as const),
  drift,
  observed: {},
});

const view = (over: Partial<View> = {}): View => ({
  lab: { v: 1, kind: "lab", stack: "lab", host: "sbx", specs: [] },
  specs,
  look: {
    at: Date.UTC(2026, 11, 4, 5, 0, 0),
    objects: [
      object("network", "network-br01", "bridge br01"),
      object("endpoint", "endpoint-ns01:eth0", "endpoint ns01"),
      object("endpoint", "endpoint-ns02:eth0", "endpoint ns02", ["missing: veth veth-ns02 <script>"]),
    ],
    extra: [],
    counters: [],
  },
  rates: new Map([["endpoint-ns01:eth0", { rxBps: 150_000, txBps: 1000, rxPps: 40, txPps: 2 }]]),
  token: "T0k3n",
  ...over,
});

test("a drifted endpoint is red on the picture and in the table; its difference is escaped", async () => {
  const p = await parts(view());
  expect(p.html.picture).toMatch(/<g id="obj_endpoint_ns02_eth0" class="edge drift">/);
  expect(p.html.picture).toMatch(/<g id="obj_endpoint_ns01_eth0" class="edge ok">/);
  expect(p.html.picture).toContain("not as declared");
  expect(p.objects).toMatch(/<tr id="row_endpoint_ns02_eth0" class="drift">/);
  expect(p.objects).toContain("missing: veth veth-ns02 &lt;script&gt;");
  expect(p.objects).not.toContain("<script>");
  expect(p.html.summary).toMatch(/3 objects, <span class="bad">1 not as declared<\/span>/);
});

test("traffic as rates, an endpoint's as its namespace sees it", async () => {
  const p = await parts(view());
  // counted at the veth's host end: what it received came out of ns01
  expect(p.objects).toContain("out 1.2 Mbit/s, in 8 kbit/s, 42 pkt/s");
  expect(p.html.picture).toContain("out 1.2 Mbit/s, in 8 kbit/s, 42 pkt/s");
});

test("actions name their target as the CLI does, with the token in every form", async () => {
  expect(targetOf(specs[1])).toBe("ns01:eth0");
  expect(targetOf({ ...specs[1], remote: { name: "b", address: "10.0.0.2", user: "root", port: 22 } })).toBe(
    "ns01:eth0@b",
  );
  expect(targetOf(specs[0])).toBeUndefined();
  const p = await parts(view());
  const forms = p.objects.match(/<form /g) ?? [];
  expect(forms.length).toBe(2 * 5); // link down, up, impair, reset, capture for each endpoint
  expect(p.objects.match(/name="t" value="T0k3n"/g)).toHaveLength(forms.length);
});

test("the checks of the last test run are drawn as arrows, green when they hold, red when not", async () => {
  const outcome = { name: "x", check: "ping", detail: "", want: true };
  const tests = {
    at: 0,
    outcomes: [
      { ...outcome, from: "ns01", to: "ns02 (192.168.88.12)", got: true },
      { ...outcome, from: "outside", to: "host:8080/tcp (lab/Web)", check: "tcp/8080", got: false },
    ],
  };
  const p = await parts(view({ tests }));
  expect(p.html.picture).toMatch(/class="edge check pass"/);
  expect(p.html.picture).toMatch(/class="edge check fail"/);
  expect(p.html.picture).toContain(">outside<");
  expect(p.html.tests).toMatch(/1 of 2 hold/);
});
