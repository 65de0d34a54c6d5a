// nslab graph: the declared topology (the stack's lab file, no kernel needed) as a
// picture. One model of nodes and edges, written as Graphviz DOT or Mermaid; SVG is DOT
// laid out in-process by Graphviz compiled to WebAssembly (@viz-js/viz), so there is no
// native binary to install.
import { specKey } from "../model/kinds";
import type { LinkSpec, ObjectSpec } from "../model/schema";

export interface Topology {
  readonly nodes: readonly { id: string; label: string[]; shape: "host" | "bridge" | "netns"; ref?: string }[];
  readonly edges: readonly {
    from: string;
    to: string;
    label: string;
    style: "solid" | "dashed" | "dotted";
    ref?: string;
  }[];
}

/** The lab object a node or edge draws, as `inspect` names it: its key, and `@<Host>` on a Host. */
export const refOf = (s: ObjectSpec) => (s.remote ? `${specKey(s)}@${s.remote.name}` : specKey(s));

const id = (kind: string, name: string) => `${kind}_${name.replace(/[^A-Za-z0-9_]/g, "_")}`;
const HOST = "host";
/** The node of a namespace, of this machine's host side (`host`), or of the outside. */
export const nodeOf = (name: string) => (name === HOST || name === "outside" ? name : id("ns", name));

/** A machine's node, and its bridges': this one's as before there were Hosts, another's after its name. */
const hostOf = (s: ObjectSpec) => (s.remote ? id(HOST, s.remote.name) : HOST);
const bridgeOf = (s: ObjectSpec, bridge: string) => (s.remote ? id(`br_${s.remote.name}`, bridge) : id("br", bridge));

/** What a kind's drawer adds to: the picture so far, and the whole lab. */
interface Drawing {
  readonly nodes: Topology["nodes"][number][];
  readonly edges: Topology["edges"][number][];
  readonly specs: readonly ObjectSpec[];
  /** A namespace's node, made once (with the workloads it runs; `ref`: a sandbox's). */
  addNs(ns: string, ref?: string): string;
}

type Of<K extends ObjectSpec["kind"]> = Extract<ObjectSpec, { kind: K }>;

/**
 * How each kind is drawn, in the order they are (or why it is not): typed over the kinds,
 * so a kind added without a decision here fails the type-check.
 */
const DRAW: { readonly [K in ObjectSpec["kind"]]: ((specs: Of<K>[], d: Drawing) => void) | string } = {
  network(networks, d) {
    for (const n of networks) {
      const flags = [n.internal ? "internal" : "", n.icc === false ? "icc off" : ""].filter(Boolean).join(", ");
      d.nodes.push({
        id: bridgeOf(n, n.bridge),
        label: [
          n.bridge,
          ...(n.subnet ? [`${n.subnet}/${n.prefix}`, `gw ${n.gateway}`] : []),
          ...(n.subnet6 ? [`${n.subnet6}/${n.prefix6}`, `gw ${n.gateway6}`] : []),
          ...(flags ? [flags] : []),
        ],
        shape: "bridge",
        ref: refOf(n),
      });
      d.edges.push({ from: hostOf(n), to: bridgeOf(n, n.bridge), label: "", style: "solid" });
    }
    for (const n of networks)
      for (const other of n.connect ?? [])
        if (n.bridge < other)
          d.edges.push({ from: bridgeOf(n, n.bridge), to: bridgeOf(n, other), label: "connected", style: "dotted" });
  },
  // a tunnel's parts, once per pair of hosts
  vxlan(tunnels, d) {
    for (const t of tunnels)
      for (const peer of t.peers) {
        const far = tunnels.find((o) => o.bridge === t.bridge && o.local === peer);
        if (far && t.local < peer)
          d.edges.push({
            from: bridgeOf(t, t.bridge),
            to: bridgeOf(far, far.bridge),
            label: `vxlan ${t.vni} (udp ${t.port})`,
            style: "dotted",
          });
      }
  },
  sandbox(sandboxes, d) {
    for (const s of sandboxes) d.addNs(s.netns, refOf(s));
  },
  endpoint(endpoints, d) {
    for (const e of endpoints) {
      const addresses = [e.address, e.address6].filter(Boolean).join(" ");
      d.edges.push({
        from: d.addNs(e.netns),
        to: bridgeOf(e, e.bridge),
        label: `${e.ifname} ${addresses}`,
        style: "solid",
        ref: refOf(e),
      });
    }
  },
  link(links, d) {
    for (const l of links) {
      const end = (x: LinkSpec["a"]) => (x.netns ? d.addNs(x.netns) : hostOf(l));
      const text = (x: LinkSpec["a"]) => `${x.ifname}${x.address ? ` ${x.address}` : ""}`;
      d.edges.push({
        from: end(l.a),
        to: end(l.b),
        label: `${text(l.a)} - ${text(l.b)}`,
        style: "solid",
        ref: refOf(l),
      });
    }
  },
  portmap(portmaps, d) {
    const netnsOf = new Map(
      d.specs.flatMap((e) =>
        e.kind === "endpoint"
          ? [e.address, e.address6].flatMap((a) => (a ? [[`${e.bridge}/${a}`, e.netns] as const] : []))
          : [],
      ),
    );
    for (const p of portmaps) {
      const ns = netnsOf.get(`${p.bridge}/${p.address ?? p.address6}`);
      const ports = p.hostPortEnd ? `${p.hostPort}-${p.hostPortEnd}` : `${p.hostPort}`;
      const label = `${p.hostIp ?? "*"}:${ports}/${p.protocol} -> :${p.port}`;
      if (ns) d.edges.push({ from: hostOf(p), to: id("ns", ns), label, style: "dashed", ref: refOf(p) });
    }
  },
  workload: "named in its namespace's node",
  route: "a route is a table entry, not a part of the topology",
  delayline: "drawn as the endpoint or link it delays",
  names: "files in the namespaces",
  nftables: "the networks' and port mappings' rules",
};

/**
 * Nodes: each machine, each bridge (a network on several hosts has a part on each, the
 * parts joined by their tunnel), each namespace; edges: endpoints, links, connections,
 * tunnels, published ports.
 */
export function topologyOf(specs: readonly ObjectSpec[], host: string | null): Topology {
  const remotes = [...new Map(specs.flatMap((s) => (s.remote ? [[s.remote.name, s.remote] as const] : []))).values()];
  const here = specs.some((s) => !s.remote && s.kind !== "names") || remotes.length === 0;
  const d: Drawing = {
    nodes: [
      ...(here ? [{ id: HOST, label: [host ? `sandbox host ${host}` : "host"], shape: "host" as const }] : []),
      ...remotes.map((r) => ({ id: id(HOST, r.name), label: [`host ${r.name}`, r.address], shape: "host" as const })),
    ],
    edges: [],
    specs,
    addNs(ns, ref) {
      const nodeId = id("ns", ns);
      if (this.nodes.some((n) => n.id === nodeId)) return nodeId;
      const runs = specs.flatMap((w) => (w.kind === "workload" && w.netns === ns ? [`runs ${w.name}`] : []));
      this.nodes.push({ id: nodeId, label: [ns, ...runs], shape: "netns", ...(ref ? { ref } : {}) });
      return nodeId;
    },
  };
  for (const [kind, draw] of Object.entries(DRAW) as [ObjectSpec["kind"], (typeof DRAW)[ObjectSpec["kind"]]][])
    if (typeof draw === "function")
      (draw as (x: ObjectSpec[], d: Drawing) => void)(
        specs.filter((s) => s.kind === kind),
        d,
      );
  return { nodes: d.nodes, edges: d.edges };
}

const escape = (s: string) => s.replace(/\\/g, "\\\\").replace(/"/g, '\\"');
/** A DOT string; lines joined by DOT's own \n (a centred line break). */
const quote = (...lines: string[]) => `"${lines.map(escape).join("\\n")}"`;

/**
 * The live state laid on the picture (`nslab ui`): by object ref, whether it is as declared
 * and a line to add (its rates); and checks drawn as arrows between the nodes they ran
 * between (node ids; `outside` is added when a check starts there), and the last trace's
 * path as numbered arrows from namespace to namespace (`trace`).
 */
export interface Overlay {
  readonly marks: ReadonlyMap<string, { readonly drift: boolean; readonly note?: string }>;
  readonly checks?: readonly {
    readonly from: string;
    readonly to: string;
    readonly label: string;
    readonly ok: boolean;
    /** A check of `nslab test` (the default), or a hop of `nslab trace`. */
    readonly kind?: "check" | "trace";
  }[];
}

const RED = "#c62828";
const GREEN = "#2e7d32";
/** An element id for a ref, as the page finds it (letters, digits and _ only: Graphviz writes a - as &#45;). */
export const domId = (ref: string, prefix = "obj") => `${prefix}_${ref.replace(/[^A-Za-z0-9]/g, "_")}`;

export function toDot(t: Topology, title: string, overlay?: Overlay): string {
  const shape = { host: "box3d", bridge: "ellipse", netns: "box" } as const;
  /** A node's or edge's label and, with an overlay, its live attributes. */
  const live = (label: string[], ref: string | undefined) => {
    const mark = ref ? overlay?.marks.get(ref) : undefined;
    if (!overlay || !ref) return `label=${quote(...label)}`;
    const lines = [...label, ...(mark?.drift ? ["not as declared"] : []), ...(mark?.note ? [mark.note] : [])];
    const drift = mark?.drift ? `, color="${RED}", fontcolor="${RED}", penwidth=2` : "";
    return `label=${quote(...lines.filter((l, i) => l || i === 0))}, id=${quote(domId(ref))}, class=${quote(mark?.drift ? "drift" : "ok")}${drift}`;
  };
  const checks = overlay?.checks ?? [];
  const outside = checks.some((c) => c.from === "outside" || c.to === "outside");
  const lines = [
    `graph ${quote(title)} {`,
    "  graph [rankdir=LR, fontname=Helvetica];",
    "  node [fontname=Helvetica, fontsize=11];",
    "  edge [fontname=Helvetica, fontsize=9];",
    ...t.nodes.map((n) => `  ${n.id} [shape=${shape[n.shape]}, ${live(n.label, n.ref)}];`),
    ...(outside ? ['  outside [shape=plaintext, label="outside"];'] : []),
    ...t.edges.map((e) => `  ${e.from} -- ${e.to} [${live([e.label], e.ref)}, style=${e.style}];`),
    ...checks.map(
      (c) =>
        `  ${c.from} -- ${c.to} [label=${quote(c.label)}, dir=forward, constraint=false, style=bold, ` +
        `color="${c.ok ? GREEN : RED}", fontcolor="${c.ok ? GREEN : RED}", class="${c.kind ?? "check"} ${c.ok ? "pass" : "fail"}"];`,
    ),
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
