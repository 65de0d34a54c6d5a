// `nslab run`'s report where the runner left it (beside the record), and its text: the steps as applied, then each probe's outages, lost share (overall
// and between steps), recovery after each step, and its bound; the verdict last.
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { RECORD_LAST_RUN } from "../model/record";
import type { ScenarioProbeReport, ScenarioReport } from "../model/reports";
import { seconds as s } from "../netops/outages";
import type { DeployedLab } from "./deployed";

/** The stack's last run's report, beside its record (when a run since `since`, in ms, wrote it). */
export function lastRun(d: DeployedLab, since = 0): ScenarioReport | undefined {
  const file = join(d.dir, RECORD_LAST_RUN);
  try {
    if (statSync(file).mtimeMs < since) return undefined;
    return JSON.parse(readFileSync(file, "utf8")) as ScenarioReport;
  } catch {
    return undefined;
  }
}

const share = (lost: number, sent: number) => (sent ? `${Math.round((100 * lost) / sent)}%` : "-");

function probeLines(r: ScenarioReport, p: ScenarioProbeReport): string[] {
  const bound = r.maxOutageMs !== undefined ? ` (max ${s(r.maxOutageMs)})` : "";
  return [
    `  ${p.name}: ${p.check} from ${p.from} to ${p.to}: ${p.pass ? "pass" : "FAIL"}`,
    `    ${p.lost} of ${p.sent} probes lost (${share(p.lost, p.sent)}), longest outage ${s(p.longestMs)}${bound}`,
    ...p.outages.map((o) => `    down ${s(o.start)} -> ${o.end === null ? "the end" : s(o.end)}: ${s(o.ms)}`),
    ...p.stretches.map(
      (st, k) =>
        `    ${s(st.from)} -> ${s(st.to)}${k === 0 ? " (before any step)" : ` (after ${r.steps.filter((x) => x.appliedMs !== null)[k - 1]?.label})`}: ` +
        `${st.lost} of ${st.sent} lost (${share(st.lost, st.sent)})`,
    ),
    ...r.steps.flatMap((st, k) =>
      st.appliedMs === null
        ? []
        : [`    answered ${p.recovery[k] === null ? "never" : `${s(p.recovery[k]!)}`} after ${st.label}`],
    ),
    ...(p.why ? [`    ${p.why}`] : []),
  ];
}

export function renderScenario(r: ScenarioReport): string {
  const lines = [
    `${r.stack}: scenario ${r.scenario} (${r.path}), ${r.seconds} s, a probe every ${r.everyMs} ms ` +
      `(an outage's edges are known to ${r.everyMs} ms; a probe is lost after ${r.timeoutMs} ms)`,
    "steps:",
    ...r.steps.map(
      (st) =>
        `  ${st.at.toFixed(2)} s: ${st.label}: ` +
        (st.error
          ? `FAILED: ${st.error}`
          : st.appliedMs === null
            ? "not applied"
            : `applied at ${s(st.appliedMs)}, took ${st.tookMs} ms`),
    ),
    "probes:",
    ...r.probes.flatMap((p) => probeLines(r, p)),
    ...(r.undone.length ? [`put back as deployed: ${r.undone.join(", ")}`] : []),
    ...(r.error ? [`error: ${r.error}`] : []),
    r.interrupted
      ? "cut short"
      : r.pass
        ? "pass"
        : `FAIL: ${
            r.probes
              .filter((p) => !p.pass)
              .map((p) => p.name)
              .join(", ") || "a step failed"
          }`,
  ];
  return `${lines.join("\n")}\n`;
}
