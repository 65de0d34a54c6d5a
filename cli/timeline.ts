// A scenario run as a picture that reads on its own (`nslab run --svg`, the live page): a
// row per probe along the run's seconds, answered in green and each outage in red (its
// times in a tooltip), every lost probe as a tick, the steps as dashed lines with their
// labels, the verdict and the bound in the title.
import type { ScenarioReport } from "../model/reports";
import { seconds as s } from "../netops/outages";
import { xml } from "../netops/junit";

const W = 960;
const LEFT = 250;
const RIGHT = 30;
const ROW = 34;
const BAR = 16;
const STEP_LINE = 14;

/** A tick spacing (s) that puts at most about ten ticks on the axis. */
function tickEvery(seconds: number): number {
  for (const t of [0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600]) if (seconds / t <= 10) return t;
  return 900;
}

export function timelineSvg(r: ScenarioReport): string {
  const endMs = r.seconds * 1000;
  const x = (ms: number) => LEFT + ((W - LEFT - RIGHT) * Math.min(Math.max(ms, 0), endMs)) / endMs;
  const steps = r.steps.filter((st) => st.appliedMs !== null);
  const top = 56 + steps.length * STEP_LINE;
  const height = top + r.probes.length * ROW + 56;
  const verdict = r.interrupted ? "cut short" : r.pass ? "pass" : "FAIL";
  const bound = r.maxOutageMs !== undefined ? `, max outage ${s(r.maxOutageMs)}` : "";
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" viewBox="0 0 ${W} ${height}" font-family="sans-serif" font-size="12">`,
    `<title>${xml(`${r.stack}: scenario ${r.scenario}: ${verdict}`)}</title>`,
    `<rect width="${W}" height="${height}" fill="#fff"/>`,
    `<text x="10" y="20" font-size="15" font-weight="bold">${xml(`${r.stack}: scenario ${r.scenario}: ${verdict}`)}</text>`,
    `<text x="10" y="38" fill="#555">${xml(`${r.path}, ${r.seconds} s from ${r.startedAt.slice(0, 19).replace("T", " ")} UTC, a probe every ${r.everyMs} ms (lost after ${r.timeoutMs} ms)${bound}`)}</text>`,
  ];
  // the steps: a dashed line down through every row, its label above, one line each
  steps.forEach((st, k) => {
    const sx = x(st.appliedMs!);
    const ly = 54 + k * STEP_LINE;
    out.push(
      `<g class="step"><line x1="${sx}" y1="${ly + 2}" x2="${sx}" y2="${top + r.probes.length * ROW}" stroke="#333" stroke-dasharray="4 3"/>` +
        `<text x="${sx + 3}" y="${ly}" fill="#333"${sx > W - 260 ? ' text-anchor="end"' : ""}>${xml(`${s(st.appliedMs!)} ${st.label}${st.error ? " (FAILED)" : ""}`)}</text></g>`,
    );
  });
  r.probes.forEach((p, i) => {
    const y = top + i * ROW + 6;
    const lost = `${p.lost}/${p.sent} lost, longest ${s(p.longestMs)}`;
    out.push(
      `<g class="probe${p.pass ? "" : " failed"}">`,
      `<text x="10" y="${y + 12}"${p.pass ? "" : ' fill="#c00"'}>${xml(p.name.length > 36 ? `...${p.name.slice(-33)}` : p.name)}</text>`,
      `<text x="10" y="${y + 26}" fill="#555" font-size="10">${xml(`${p.check} ${p.from} -> ${p.to}`.slice(0, 44))}</text>`,
      `<rect x="${x(0)}" y="${y}" width="${x(endMs) - x(0)}" height="${BAR}" fill="#4caf50"><title>${xml(`answered (${lost})`)}</title></rect>`,
      ...p.outages.map(
        (o) =>
          `<rect class="outage" x="${x(o.start)}" y="${y}" width="${Math.max(1, x(o.end ?? endMs) - x(o.start))}" height="${BAR}" fill="#d32f2f">` +
          `<title>${xml(`down ${s(o.start)} -> ${o.end === null ? "the end" : s(o.end)}: ${s(o.ms)}`)}</title></rect>`,
      ),
      ...p.samples
        .filter((m) => !m.ok)
        .map((m) => `<line x1="${x(m.at)}" y1="${y + BAR - 5}" x2="${x(m.at)}" y2="${y + BAR}" stroke="#7f0000"/>`),
      `<text x="${x(0)}" y="${y + BAR + 14}" fill="${p.pass ? "#555" : "#c00"}" font-size="10">${xml(p.why ?? lost)}</text>`,
      "</g>",
    );
  });
  // the axis, in seconds from the run's start
  const ay = top + r.probes.length * ROW + 8;
  const every = tickEvery(r.seconds);
  out.push(`<line x1="${x(0)}" y1="${ay}" x2="${x(endMs)}" y2="${ay}" stroke="#333"/>`);
  for (let t = 0; t <= r.seconds + 1e-9; t += every) {
    const tx = x(t * 1000);
    out.push(
      `<line x1="${tx}" y1="${ay}" x2="${tx}" y2="${ay + 4}" stroke="#333"/>` +
        `<text x="${tx}" y="${ay + 16}" text-anchor="middle">${+t.toFixed(1)} s</text>`,
    );
  }
  const ly = ay + 36;
  out.push(
    `<rect x="10" y="${ly - 10}" width="14" height="10" fill="#4caf50"/><text x="28" y="${ly}">answered</text>`,
    `<rect x="100" y="${ly - 10}" width="14" height="10" fill="#d32f2f"/><text x="118" y="${ly}">down (a dark tick per lost probe)</text>`,
    `<line x1="300" y1="${ly - 5}" x2="320" y2="${ly - 5}" stroke="#333" stroke-dasharray="4 3"/><text x="326" y="${ly}">a step</text>`,
    "</svg>",
  );
  return `${out.join("\n")}\n`;
}
