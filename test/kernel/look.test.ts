// Kernel tier: one look at many namespaces (observe.ts prefetch). A whole lab's namespaces
// are read by a few `ip -batch` processes, not one each, and read the same as one at a
// time: their links with addresses, their routes; a namespace gone between the check
// and the read is read on its own, as missing. Root only.
import { useExecutor, type Executor } from "../../netops/exec";
import { HostView } from "../../netops/observe";
import { ok, requireRoot } from "../helpers/cmd";
import { addNs, delNs, inNs, uniq } from "../helpers/sandbox";

requireRoot("kernel");
jest.setTimeout(120_000);

const base = uniq("nlk");
const names = Array.from({ length: 20 }, (_, i) => `${base}${i}`);

beforeAll(() => {
  names.forEach((ns, i) => {
    addNs(ns);
    // no IPv6: its addresses change state by themselves (DAD), and two reads must agree
    for (const k of ["all", "default"]) ok(inNs(ns, ["sysctl", "-qw", `net.ipv6.conf.${k}.disable_ipv6=1`]));
    ok(["ip", "-n", ns, "link", "add", "d0", "type", "veth", "peer", "name", "d1"]); // no dummy module here
    ok(["ip", "-n", ns, "addr", "add", `10.99.${i}.2/24`, "dev", "d0"]);
    for (const d of ["d0", "d1"]) ok(["ip", "-n", ns, "link", "set", d, "up"]);
    ok(["ip", "-n", ns, "route", "add", "default", "via", `10.99.${i}.1`]);
  });
});
afterAll(() => delNs(...names));

/** The real executor, with the commands it ran counted, and a hook before each. */
function counting(before: (argv: readonly string[]) => void = () => {}) {
  const seen: string[] = [];
  const real = useExecutor(null);
  useExecutor({
    ...real,
    run: (argv, input) => {
      seen.push(argv.slice(0, 3).join(" "));
      before(argv);
      return real.run(argv, input);
    },
  } satisfies Executor);
  return seen;
}
afterEach(() => useExecutor(null));

const oneByOne = async (list: readonly string[]) => {
  const view = new HostView({});
  return Promise.all(list.map((ns) => view.netns(ns)));
};

test("GIVEN 20 namespaces THEN a few processes read them all, as reading each does", async () => {
  const each = await oneByOne(names);
  expect(each[3].links!.find((l) => l.ifname === "d0")!.addr_info![0].local).toBe("10.99.3.2");
  expect(each[3].routes!.find((r) => r.dst === "default")!.gateway).toBe("10.99.3.1");
  const seen = counting();
  const view = new HostView({});
  await view.prefetch([...names, ...names, `${base}x`]); // repeats and a namespace that is not there
  expect(await Promise.all(names.map((ns) => view.netns(ns)))).toEqual(each);
  expect(await view.netns(`${base}x`)).toEqual({ links: null, routes: null });
  expect(seen.filter((c) => c.startsWith("ip -n")).length).toBe(0);
  expect(seen.length).toBeLessThanOrEqual(4);
});

test("GIVEN a namespace deleted after it was seen THEN it reads as missing and the others as they are", async () => {
  const gone = names[7];
  const each = await oneByOne(names);
  const seen = counting((argv) => {
    if (argv.includes("-batch") && argv.includes("-force")) delNs(gone);
  });
  const view = new HostView({});
  await view.prefetch(names);
  const now = await Promise.all(names.map((ns) => view.netns(ns)));
  expect(now[7]).toEqual({ links: null, routes: null });
  expect(now.filter((_, i) => i !== 7)).toEqual(each.filter((_, i) => i !== 7));
  // the namespaces read in the same process as the gone one are read again on their own
  // (iproute2's `netns exec` in a batch lets its child run on after a namespace fails to
  // open, so that process's answer does not add up and is not used); the others' are used
  const alone = seen.filter((c) => c.startsWith("ip -n"));
  expect(alone).not.toContain(`ip -n ${gone}`);
  expect(alone.length).toBeLessThan(names.length - 1);
});

test("GIVEN fewer than 16 namespaces THEN each is read on its own (a few processes either way)", async () => {
  const seen = counting();
  const view = new HostView({});
  const few = names.filter((_, i) => i !== 7).slice(0, 10);
  await view.prefetch(few);
  await Promise.all(few.map((ns) => view.netns(ns)));
  expect(seen.filter((c) => c.startsWith("ip -n")).length).toBe(10);
});
