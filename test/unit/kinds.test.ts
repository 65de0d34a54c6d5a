// Pure tier: the registry of kinds (keys, the dependency graph and the orders derived
// from it), the trigger line, and the batched converge's rebuild rule, which must match
// what Terraform's replace_triggered_by does with the same graph.
import { applyOrder, dependentsOf, levels, parentsOf, predecessorsOf, removalOrder, specKey } from "../../model/kinds";
import { fromLine, toLine, withEnvLine } from "../../model/line";
import { staleOf } from "../../model/lab-change";
import { namesOps } from "../../netops/names";
import type {
  DelayLineSpec,
  EndpointSpec,
  LinkSpec,
  NamesSpec,
  NetworkSpec,
  ObjectSpec,
  PortMappingSpec,
  RouteSpec,
  SandboxSpec,
  WorkloadSpec,
} from "../../model/schema";

const base = { v: 1 as const, stack: "lab" };
const net: NetworkSpec = {
  ...base,
  kind: "network",
  bridge: "br1",
  subnet: "10.1.0.0",
  prefix: 24,
  gateway: "10.1.0.1",
  mtu: 1500,
  masquerade: true,
};
const net2: NetworkSpec = { ...net, bridge: "br2", subnet: "10.2.0.0", gateway: "10.2.0.1" };
const ep = (netns: string, address: string, extra: Partial<EndpointSpec> = {}): EndpointSpec => ({
  ...base,
  kind: "endpoint",
  netns,
  hostIf: `v-${netns}-${extra.bridge ?? "br1"}`,
  ifname: "eth0",
  address,
  prefix: 24,
  gateway: "10.1.0.1",
  mtu: 1500,
  bridge: "br1",
  ...extra,
});
const a = ep("a", "10.1.0.11");
const b = ep("b", "10.1.0.12");
const pm: PortMappingSpec = {
  ...base,
  kind: "portmap",
  protocol: "tcp",
  hostPort: 8080,
  address: "10.1.0.11",
  port: 80,
  bridge: "br1",
};
const names: NamesSpec = {
  ...base,
  kind: "names",
  endpoints: [["10.1.0.11", "a", "br1"]],
  files: [{ netns: "a", bridges: ["br1"] }],
};
const web: WorkloadSpec = { ...base, kind: "workload", name: "web", netns: "a", command: ["srv"] };
const sbx: SandboxSpec = { ...base, kind: "sandbox", netns: "app" };
const front = ep("app", "10.1.0.20", { shared: true, ifname: "eth0" });
const back = ep("app", "10.2.0.20", {
  shared: true,
  ifname: "eth1",
  bridge: "br2",
  gateway: "10.2.0.1",
  defaultRoute: false,
});
const other: SandboxSpec = { ...base, kind: "sandbox", netns: "db" };
const link: LinkSpec = {
  ...base,
  kind: "link",
  a: { netns: "app", ifname: "l0" },
  b: { netns: "db", ifname: "l0" },
  mtu: 1500,
};
const routeVia: RouteSpec = { ...base, kind: "route", netns: "app", dst: "10.9.0.0/24", via: "10.1.0.1" };
const routeDev: RouteSpec = { ...base, kind: "route", netns: "app", dst: "10.8.0.0/24", dev: "l0" };
const hostRoute: RouteSpec = { ...base, kind: "route", dst: "10.7.0.0/24", dev: "br2" };

const keys = (xs: readonly ObjectSpec[]) => xs.map(specKey);
const keysAt = (specs: ObjectSpec[], indexes: number[]) => indexes.map((i) => specKey(specs[i])).sort();
const parentKeys = (specs: ObjectSpec[], child: ObjectSpec) => keysAt(specs, parentsOf(specs)[specs.indexOf(child)]);

describe("keys", () => {
  test("two endpoints of one sandbox are two objects; every kernel object has its own key", () => {
    expect(specKey(front)).toBe("endpoint-app:eth0");
    expect(specKey(back)).toBe("endpoint-app:eth1");
    const all = [net, net2, a, b, pm, names, web, sbx, front, back, other, link, routeVia, routeDev, hostRoute];
    expect(new Set(keys(all)).size).toBe(all.length);
    // a host route and a route in a namespace named "host" do not collide
    expect(specKey({ ...hostRoute, netns: "host" })).not.toBe(specKey(hostRoute));
  });
});

describe("the graph", () => {
  const lab: ObjectSpec[] = [
    web,
    pm,
    names,
    a,
    b,
    net,
    net2,
    sbx,
    front,
    back,
    other,
    link,
    routeVia,
    routeDev,
    hostRoute,
  ];

  test("parents: an endpoint lives on its bridge (and its sandbox), a port mapping on its endpoint, a workload in its namespace", () => {
    expect(parentKeys(lab, a)).toEqual(["network-br1"]);
    expect(parentKeys(lab, back)).toEqual(["network-br2", "sandbox-app"]);
    expect(parentKeys(lab, pm)).toEqual(["endpoint-a:eth0", "network-br1"]);
    expect(parentKeys(lab, web)).toEqual(["endpoint-a:eth0"]);
    // ...and it starts after the names files, but is not restarted when they change
    expect(keysAt(lab, predecessorsOf(lab)[lab.indexOf(web)])).toEqual(["endpoint-a:eth0", "names"]);
    expect(parentKeys(lab, link)).toEqual(["sandbox-app", "sandbox-db"]);
    expect(parentKeys(lab, net)).toEqual([]);
  });

  test("a route goes with the interface it leaves by: the named device, else any interface of its namespace; on the host, the bridge", () => {
    expect(parentKeys(lab, routeDev)).toEqual(["link-app:l0", "sandbox-app"]);
    expect(parentKeys(lab, routeVia)).toEqual(["endpoint-app:eth0", "endpoint-app:eth1", "link-app:l0", "sandbox-app"]);
    expect(parentKeys(lab, hostRoute)).toEqual(["network-br2"]);
  });

  test("apply order puts parents first; removal order is its reverse", () => {
    const order = keys(applyOrder(lab));
    for (const [child, parent] of [
      [pm, a],
      [a, net],
      [web, a],
      [web, names],
      [back, sbx],
      [routeVia, back],
      [link, other],
    ] as const) {
      expect(order.indexOf(specKey(child))).toBeGreaterThan(order.indexOf(specKey(parent)));
    }
    expect(keys(removalOrder(lab))).toEqual([...order].reverse());
    expect(levels([net, a, pm])).toEqual([0, 1, 2]);
  });

  test("dependents: replacing a network takes its endpoints, their port mappings and workloads, nothing of another network", () => {
    const gone = dependentsOf(lab, [lab.indexOf(net)]);
    expect(keys([...gone].map((i) => lab[i])).sort()).toEqual(
      [
        "network-br1",
        "endpoint-a:eth0",
        "endpoint-b:eth0",
        "endpoint-app:eth0",
        "portmap-tcp-any-8080",
        "workload-web",
        "route-app:10.9.0.0_24",
      ].sort(),
    );
  });
});

describe("a delayed link", () => {
  const line = { a: { bridge: "nlp1234567", peer: "nlx1234567" }, b: { bridge: "nlq1234567", peer: "nly1234567" } };
  const delayed: LinkSpec = { ...link, line };
  const dl: DelayLineSpec = {
    ...base,
    kind: "delayline",
    netns: "app",
    ifname: "l0",
    bridge: "nlq1234567",
    port: "nlp1234567",
    ownsBridge: true,
    delayMs: 50,
    jitterMs: 0,
  };
  test("lives on its line's two bridges, made first and rebuilt with it; the line needs no network", () => {
    const lab: ObjectSpec[] = [delayed, sbx, other, dl];
    expect(parentKeys(lab, delayed)).toEqual(["delayline-app:l0", "sandbox-app", "sandbox-db"]);
    expect(parentKeys(lab, dl)).toEqual([]);
    expect(keys(applyOrder(lab)).indexOf("delayline-app:l0")).toBeLessThan(
      keys(applyOrder(lab)).indexOf("link-app:l0"),
    );
    expect(
      keys(
        staleOf(
          lab,
          lab.map((s) => (s === dl ? { ...dl, delayMs: 80 } : s)),
        ),
      ).sort(),
    ).toEqual(["delayline-app:l0", "link-app:l0"].sort());
  });
});

describe("the batched converge rebuilds exactly what Terraform would replace", () => {
  test("unchanged: nothing; removed: only it; changed: it and what hangs off it", () => {
    expect(staleOf([net, a, pm], [net, a, pm])).toEqual([]);
    expect(keys(staleOf([net, a, b, pm], [net, a, pm]))).toEqual(keys([b]));
    expect(
      keys(staleOf([net, a, b, pm, web, names], [net, { ...a, mac: "02:00:00:00:00:01" }, b, pm, web, names])).sort(),
    ).toEqual(keys([a, pm, web]).sort());
  });

  test("a rebuilt sandbox takes its links and the routes that may leave by them; changed names restart no workload", () => {
    const lab: ObjectSpec[] = [net, net2, sbx, other, front, back, link, routeVia, routeDev];
    const stale = keys(
      staleOf(
        lab,
        lab.map((s) => (s === other ? { ...other, host: "x" } : s)),
      ),
    );
    // the link into it is rebuilt, and so is every route of the other side that may leave by it
    expect(stale.sort()).toEqual(
      ["link-app:l0", "route-app:10.8.0.0_24", "route-app:10.9.0.0_24", "sandbox-db"].sort(),
    );
    expect(keys(staleOf([names, web, a, net], [{ ...names, endpoints: [] }, web, a, net]))).toEqual(["names"]);
  });
});

describe("the trigger line", () => {
  test("key, then the spec as JSON; read back as written, whatever the command holds", () => {
    const w: WorkloadSpec = { ...web, command: ["sh", "-c", 'echo "${HOME}" %{x} {y}'] };
    const line = toLine(w);
    expect(line.startsWith('workload-web {"v":1,')).toBe(true);
    expect(fromLine(line)).toEqual({ key: "workload-web", json: w });
    expect(fromLine(JSON.stringify(w))).toEqual({ key: null, json: w });
    expect(() => fromLine("workload-web")).toThrow(/not an nslab trigger line/);
  });
});

describe("names", () => {
  test("a namespace's hosts lists localhost and the endpoints of its networks; resolv.conf only with nameservers", () => {
    const spec: NamesSpec = {
      ...names,
      endpoints: [...names.endpoints, ["10.2.0.5", "c", "br2"]],
      files: [
        { netns: "a", bridges: ["br1"], nameservers: ["10.1.0.1"] },
        { netns: "c", bridges: ["br2"] },
      ],
    };
    const steps = namesOps.converge(spec, new Map());
    expect(steps.map((s) => s.file?.path)).toEqual([
      "/etc/netns/a/hosts",
      "/etc/netns/a/resolv.conf",
      "/etc/netns/c/hosts",
    ]);
    expect(steps[0].file?.content).toBe(
      "# nslab:lab: written by nslab for this host, removed on destroy\n127.0.0.1\tlocalhost\n10.1.0.11\ta\n",
    );
  });
});

test("a provisioner's line comes in the environment, its key on the command line; the runner puts it back and drops the variable", () => {
  const line = toLine(sbx);
  const env: NodeJS.ProcessEnv = { NSLAB_LINE: line, PATH: "/bin" };
  expect(withEnvLine(["sandbox-app"], env)).toEqual([line]);
  expect(env).toEqual({ PATH: "/bin" }); // a workload the runner starts does not inherit it
  expect(withEnvLine(["lab.json", "terraform_data.x", "hosts"], { NSLAB_LINE: "[]" })).toEqual([
    "lab.json",
    "terraform_data.x",
    "[]",
  ]);
  expect(() => withEnvLine(["sandbox-db"], { NSLAB_LINE: line })).toThrow(
    "NSLAB_LINE holds the text of sandbox-app, not of sandbox-db",
  );
  expect(withEnvLine([line], {})).toEqual([line]); // a line given as the argument, as before
});
