// nslab inspect: the stack's objects as the kernel shows them (the runner's `inspect`,
// run on the deployed machine), as tables by kind or as JSON for scripts. A row that
// differs from the declaration is marked `!`, with the differences listed below.
import type { ObjectSpec } from "../model/schema";
import type { InspectReport, Value } from "../model/reports";

export type { InspectReport };
import { table } from "../netops/table";

const cell = (v: Value | undefined): string =>
  v === null || v === undefined || (Array.isArray(v) && v.length === 0)
    ? "-"
    : Array.isArray(v)
      ? v.join(",")
      : typeof v === "object"
        ? Object.values(v).map(cell).join(" ")
        : String(v);

/** A command line, cut to keep the table readable (--json has it whole). */
const COMMAND_WIDTH = 48;
const commandCell = (v: Value | undefined) => {
  const s = Array.isArray(v) ? v.join(" ") : cell(v);
  return s.length > COMMAND_WIDTH ? `${s.slice(0, COMMAND_WIDTH - 3)}...` : s;
};

interface Section {
  readonly title: string;
  /** Header, field, and whether it is left out when no row has a value. */
  readonly columns: readonly ([string, string] | [string, string, "shown when any has one"])[];
}

/**
 * Each kind's section, in the order they print: typed over the kinds, so a kind added
 * without one fails the type-check.
 */
const SECTIONS: { readonly [K in ObjectSpec["kind"]]: Section } = {
  network: {
    title: "NETWORKS",
    columns: [
      ["BRIDGE", "bridge"],
      ["SUBNET", "subnet"],
      ["ADDRESSES", "addresses"],
      ["MAC", "mac"],
      ["STATE", "state"],
    ],
  },
  sandbox: {
    title: "SANDBOXES",
    columns: [
      ["NETNS", "netns"],
      ["INTERFACES", "interfaces"],
      ["STATE", "state"],
    ],
  },
  endpoint: {
    title: "ENDPOINTS",
    columns: [
      ["NETNS", "netns"],
      ["INTERFACE", "interface"],
      ["NETWORK", "network"],
      ["ADDRESSES", "addresses"],
      ["MAC", "mac"],
      ["STATE", "state"],
      ["HOST VETH", "hostInterface"],
      ["HOST STATE", "hostState"],
      ["DEFAULT VIA", "defaultVia"],
      ["IMPAIRMENT", "impairment", "shown when any has one"],
    ],
  },
  link: {
    title: "LINKS",
    columns: [
      ["END A", "a"],
      ["END B", "b"],
      ["MTU", "mtu"],
      ["IMPAIRMENT", "impairment", "shown when any has one"],
    ],
  },
  route: {
    title: "ROUTES",
    columns: [
      ["NETNS", "netns"],
      ["DESTINATION", "destination"],
      ["VIA", "via"],
      ["DEVICE", "device"],
      ["STATE", "state"],
    ],
  },
  portmap: {
    title: "PORT MAPPINGS",
    columns: [
      ["PROTO", "protocol"],
      ["HOST IP", "hostIp"],
      ["HOST PORT", "hostPort"],
      ["TARGET", "target"],
      ["NETWORK", "network"],
      ["STATE", "state"],
    ],
  },
  workload: {
    title: "WORKLOADS",
    columns: [
      ["NAME", "name"],
      ["NETNS", "netns"],
      ["PID", "pid"],
      ["STATE", "state"],
      ["COMMAND", "command"],
    ],
  },
  vxlan: {
    title: "TUNNELS",
    columns: [
      ["DEVICE", "device"],
      ["BRIDGE", "bridge"],
      ["VNI", "vni"],
      ["PORT", "port"],
      ["LOCAL", "local"],
      ["PEERS", "peers"],
      ["MTU", "mtu"],
      ["STATE", "state"],
    ],
  },
  delayline: {
    title: "DELAY LINES",
    columns: [
      ["NETNS", "netns"],
      ["INTERFACE", "interface"],
      ["DELAY MS", "delayMs"],
      ["JITTER MS", "jitterMs"],
      ["RELAY PID", "relay"],
      ["STATE", "state"],
    ],
  },
  names: {
    title: "NAMES FILES",
    columns: [
      ["FILES", "files"],
      ["STATE", "state"],
    ],
  },
  nftables: {
    title: "NFTABLES",
    columns: [
      ["TABLE", "table"],
      ["STATE", "state"],
    ],
  },
};

export function renderInspect(r: InspectReport): string {
  const differs = r.objects.filter((o) => o.status !== "ok");
  const hosts = [...new Set(r.objects.flatMap((o) => (o.machine ? [o.machine] : [])))];
  const where =
    (r.hostNetns ? `sandbox host ${r.hostNetns}` : "this host") +
    (hosts.length ? ` and host ${hosts.join(", host ")}` : "");
  const out = [
    `${r.stack} on ${where}: ${r.objects.length} objects, ${differs.length ? `${differs.length} not as declared (!)` : "all as declared"}`,
  ];
  for (const [kind, s] of Object.entries(SECTIONS)) {
    const rows = r.objects.filter((o) => o.kind === kind);
    if (!rows.length) continue;
    const columns = s.columns.filter((c) => c.length === 2 || rows.some((o) => cell(o.observed[c[1]]) !== "-"));
    // where each row is, when the lab is on more than this machine
    const machine = hosts.length ? [(o: (typeof rows)[number]) => o.machine ?? "(this)"] : [];
    const body = rows.map((o) => [
      o.status === "ok" ? "" : "!",
      ...machine.map((m) => m(o)),
      ...columns.map(([, f]) => (f === "command" ? commandCell(o.observed[f]) : cell(o.observed[f]))),
    ]);
    out.push("", s.title, table(["", ...(hosts.length ? ["HOST"] : []), ...columns.map(([h]) => h)], body));
  }
  if (differs.length) {
    out.push("", "DIFFERENCES");
    for (const o of differs) for (const d of o.drift) out.push(`! ${o.machine ? `${o.machine}: ` : ""}${o.name}: ${d}`);
  }
  if (r.extra.length) {
    out.push("", "NOT DECLARED (removed by the next deploy)");
    for (const e of r.extra) out.push(`+ ${e.machine ? `${e.machine}: ` : ""}${e.name}`);
  }
  return out.join("\n") + "\n";
}
