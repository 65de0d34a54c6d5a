// Where the kernel cannot trace: iptables-legacy's rules are not nftables', so a trace
// shows the namespaces a probe crossed but not the rules it met on the host. What can be
// observed instead is their counters: the host's rules read with their counters
// (`iptables-save -c`) before the probe and after, and those it moved shown as the steps
// of the host's hop. Other traffic of those seconds moves counters too: said in the note.
import type { LabFile } from "../model/lab-file";
import type { TraceReport, TraceStep } from "../model/reports";
import type { ObjectSpec } from "../model/schema";
import { run } from "./exec";
import { inSandboxHost } from "./step";
import { dropWords, hookOf, madeBy, type Paths } from "./trace-path";

/** Each rule of an `iptables-save -c`, by table and text, with its packet count. */
export function countersOf(save: string): Map<string, { table: string; chain: string; args: string; packets: number }> {
  const out = new Map<string, { table: string; chain: string; args: string; packets: number }>();
  let table = "";
  for (const line of save.split("\n")) {
    if (line.startsWith("*")) table = line.slice(1).trim();
    const m = /^\[(\d+):\d+\] -A (\S+) (.*)$/.exec(line);
    if (m) out.set(`${table} ${m[2]} ${m[3]}`, { table, chain: m[2], args: m[3], packets: Number(m[1]) });
  }
  return out;
}

/** The rules whose counters moved between two saves, as steps (a jump's chain in the hook of the chain that jumped). */
export function movedSteps(before: string, after: string, specs: readonly ObjectSpec[], paths?: Paths): TraceStep[] {
  const was = countersOf(before);
  return [...countersOf(after)].flatMap(([key, r]) => {
    if (r.packets <= (was.get(key)?.packets ?? 0)) return [];
    const target = /-j (\S+)/.exec(r.args)?.[1] ?? "";
    const verdict = ["ACCEPT", "DROP", "RETURN"].includes(target)
      ? target.toLowerCase()
      : /^[A-Z]+$/.test(target)
        ? target.toLowerCase() // DNAT, MASQUERADE, REJECT, ...
        : `jump ${target}`;
    const event = {
      id: "",
      family: "ip",
      table: r.table,
      chain: r.chain,
      kind: "rule" as const,
      rule: r.args,
      verdict,
    };
    const by = madeBy(event, specs, paths);
    return [
      {
        hook: hookOf(r.chain) ?? "",
        table: `ip ${r.table}`,
        chain: r.chain,
        rule: r.args,
        verdict: verdict === "reject" ? "drop" : verdict,
        ...(by ? { madeBy: by } : {}),
      },
    ];
  });
}

/** Whether this machine's iptables is the legacy one, which the kernel's trace does not see. */
export async function isLegacy(lab: LabFile): Promise<boolean> {
  return (await run(inSandboxHost(lab, ["iptables", "-V"]))).stdout.includes("legacy");
}

/** The host's rules with their counters, for legacy's before and after. */
export async function savedCounters(lab: LabFile): Promise<string> {
  return (await run(inSandboxHost(lab, ["iptables-save", "-c"]))).stdout;
}

/** The report with legacy's counted rules on the host's hop, and the verdict they tell. */
export function withCounters(r: TraceReport, steps: readonly TraceStep[]): TraceReport {
  const note =
    "iptables-legacy: the kernel does not trace its rules; the host's steps are the rules whose " +
    "counters moved while the probe ran (other traffic of those seconds counts too)";
  const i = r.hops.findIndex((h) => h.place === "host");
  if (i < 0) return { ...r, note };
  const host = { ...r.hops[i], steps: [...r.hops[i].steps, ...steps] };
  const dropped = r.verdict === "lost" && steps.some((s) => s.verdict === "drop");
  const hops = r.hops.map((h, k) => (k === i ? (dropped ? { ...host, fate: "dropped" as const } : host) : h));
  return dropped ? { ...r, hops, verdict: "dropped", why: dropWords(hops[i]), note } : { ...r, hops, note };
}
