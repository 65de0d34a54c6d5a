// netlab graph: the declared topology (the stack's lab file, no kernel needed) as a
// picture. One model of nodes and edges, written as Graphviz DOT or Mermaid; SVG is DOT
// laid out in-process by Graphviz compiled to WebAssembly (@viz-js/viz), so there is no
// native binary to install.
import type { EndpointSpec, LinkSpec, NetworkSpec, ObjectSpec, PortMappingSpec, WorkloadSpec } from "../model/schema";

export interface Topology {
  readonly nodes: readonly { id: string; label: string[]; shape: "host" | "bridge" | "netns" }[];
  readonly edges: readonly { from: string; to: string; label: string; style: "solid" | "dashed" | "dotted" }[];
}

const id = (kind: string, name: string) => `${kind}_${name.replace(/[^A-Za-z0-9_]/g, "_")}`;
const HOST = "host";

/** Nodes: the host, each bridge, each namespace; edges: endpoints, links, connections, published ports. */
export function topologyOf(specs: readonly ObjectSpec[], host: string | null): Topology {
  const of = <K extends ObjectSpec["kind"]>(k: K) =>
    specs.filter((s) => s.kind === k) as Extract<ObjectSpec, { kind: K }>[];
  const nodes: Topology["nodes"][number][] = [
    { id: HOST, label: [host ? `sandbox host ${host}` : "host"], shape: "host" },
  ];
  const edges: Topology["edges"][number][] = [];
  const workloads = (ns: string) =>
    of("workload")
      .filter((w: WorkloadSpec) => w.netns === ns)
      .map((w) => `runs ${w.name}`);
  const namespaces = new Set<string>();
  const addNs = (ns: string) => {
    if (namespaces.has(ns)) return;
    namespaces.add(ns);
    nodes.push({ id: id("ns", ns), label: [ns, ...workloads(ns)], shape: "netns" });
  };
  for (const n of of("network") as NetworkSpec[]) {
    const flags = [n.internal ? "internal" : "", n.icc === false ? "icc off" : ""].filter(Boolean).join(", ");
    nodes.push({
      id: id("br", n.bridge),
      label: [
        n.bridge,
        ...(n.subnet ? [`${n.subnet}/${n.prefix}`, `gw ${n.gateway}`] : []),
        ...(n.subnet6 ? [`${n.subnet6}/${n.prefix6}`, `gw ${n.gateway6}`] : []),
        ...(flags ? [flags] : []),
      ],
      shape: "bridge",
    });
    edges.push({ from: HOST, to: id("br", n.bridge), label: "", style: "solid" });
  }
  for (const n of of("network") as NetworkSpec[])
    for (const other of n.connect ?? [])
      if (n.bridge < other)
        edges.push({ from: id("br", n.bridge), to: id("br", other), label: "connected", style: "dotted" });
  for (const s of of("sandbox")) addNs(s.netns);
  for (const e of of("endpoint") as EndpointSpec[]) {
    addNs(e.netns);
    const addresses = [e.address, e.address6].filter(Boolean).join(" ");
    edges.push({ from: id("ns", e.netns), to: id("br", e.bridge), label: `${e.ifname} ${addresses}`, style: "solid" });
  }
  for (const l of of("link") as LinkSpec[]) {
    const end = (x: LinkSpec["a"]) => (x.netns ? (addNs(x.netns), id("ns", x.netns)) : HOST);
    const text = (x: LinkSpec["a"]) => `${x.ifname}${x.address ? ` ${x.address}` : ""}`;
    edges.push({ from: end(l.a), to: end(l.b), label: `${text(l.a)} - ${text(l.b)}`, style: "solid" });
  }
  const netnsOf = new Map(
    (of("endpoint") as EndpointSpec[]).flatMap((e) =>
      [e.address, e.address6].flatMap((a) => (a ? [[`${e.bridge}/${a}`, e.netns] as const] : [])),
    ),
  );
  for (const p of of("portmap") as PortMappingSpec[]) {
    const ns = netnsOf.get(`${p.bridge}/${p.address ?? p.address6}`);
    const ports = p.hostPortEnd ? `${p.hostPort}-${p.hostPortEnd}` : `${p.hostPort}`;
    const label = `${p.hostIp ?? "*"}:${ports}/${p.protocol} -> :${p.port}`;
    if (ns) edges.push({ from: HOST, to: id("ns", ns), label, style: "dashed" });
  }
  return { nodes, edges };
}

const escape = (s: string) => s.replace(/\\/g, "\\\\").replace(/"/g, '\\"');
/** A DOT string; lines joined by DOT's own \n (a centred line break). */
const quote = (...lines: string[]) => `"${lines.map(escape).join("\\n")}"`;

export function toDot(t: Topology, title: string): string {
  const shape = { host: "box3d", bridge: "ellipse", netns: "box" } as const;
  const lines = [
    `graph ${quote(title)} {`,
    "  graph [rankdir=LR, fontname=Helvetica];",
    "  node [fontname=Helvetica, fontsize=11];",
    "  edge [fontname=Helvetica, fontsize=9];",
    ...t.nodes.map((n) => `  ${n.id} [shape=${shape[n.shape]}, label=${quote(...n.label)}];`),
    ...t.edges.map((e) => `  ${e.from} -- ${e.to} [label=${quote(e.label)}, style=${e.style}];`),
    "}",
  ];
  return lines.join("\n") + "\n";
}

export function toMermaid(t: Topology): string {
  const text = (s: string) => s.replace(/"/g, "#quot;");
  const node = (n: Topology["nodes"][number]) => {
    const label = `"${text(n.label.join("<br/>"))}"`;
    return n.shape === "bridge"
      ? `${n.id}((${label}))`
      : n.shape === "host"
        ? `${n.id}[[${label}]]`
        : `${n.id}[${label}]`;
  };
  const arrow = { solid: "---", dashed: "-.-", dotted: "-.-" } as const;
  return (
    [
      "graph LR",
      ...t.nodes.map((n) => `  ${node(n)}`),
      ...t.edges.map((e) => `  ${e.from} ${arrow[e.style]}${e.label ? `|"${text(e.label)}"|` : ""} ${e.to}`),
    ].join("\n") + "\n"
  );
}

export async function toSvg(dot: string): Promise<string> {
  const { instance } = await import("@viz-js/viz");
  return (await instance()).renderString(dot, { format: "svg" });
}
