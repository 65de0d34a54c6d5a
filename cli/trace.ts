// `nslab trace`'s text: the verdict in words, then each namespace the probe crossed (and
// its answer's way back), with the rules that decided and the address translation there.
import type { TraceHop, TraceReport } from "../model/reports";

function hopLines(h: TraceHop, n: number): string[] {
  const ways = [h.in ? `in ${h.in}` : "", h.out ? `out ${h.out}` : ""].filter(Boolean).join(", ");
  const machine = h.machine === "this machine" ? "" : ` @${h.machine}`;
  return [
    `  ${n}. ${h.place}${machine}: ${h.fate}${ways ? ` (${ways})` : ""}, ${h.src} -> ${h.dst}`,
    ...h.nat.map((t) => `       ${t}`),
    ...h.steps.map(
      (s) =>
        `       ${s.hook} ${s.table} ${s.chain}: ${s.verdict}${s.rule ? ` [${s.rule}]` : " (policy)"}` +
        (s.madeBy ? ` - ${s.madeBy.what} (${s.madeBy.object})` : ""),
    ),
  ];
}

export function renderTrace(r: TraceReport): string {
  const lines = [
    `${r.stack}: ${r.probe} from ${r.from} to ${r.to} (${r.address}): ${r.verdict}`,
    `  ${r.why}`,
    ...(r.note ? [`  ${r.note}`] : []),
    "path:",
    ...r.hops.flatMap((h, i) => hopLines(h, i + 1)),
    ...(r.reply.length ? ["answer:", ...r.reply.flatMap((h, i) => hopLines(h, i + 1))] : []),
  ];
  return `${lines.join("\n")}\n`;
}
