// What a scenario run's probes measured (pure): each probe's outages, its lost share
// between steps, how soon it answered after each step, and whether it held its bound. An
// outage runs from the first lost probe's sending to the next answered one's: each edge
// is known to within the probe period (the change came after the last probe before it).
// Stretches run from one step's end to the next's beginning; recovery counts from a step's end.
import type { Outage, ScenarioProbeReport, ScenarioSample, ScenarioStepReport } from "../model/reports";

export function outagesOf(samples: readonly ScenarioSample[], endMs: number): Outage[] {
  const out: Outage[] = [];
  let start: number | null = null;
  for (const s of samples) {
    if (!s.ok && start === null) start = s.at;
    else if (s.ok && start !== null) {
      out.push({ start, end: s.at, ms: s.at - start });
      start = null;
    }
  }
  if (start !== null) out.push({ start, end: null, ms: Math.max(0, endMs - start) });
  return out;
}

export interface Probed {
  readonly name: string;
  readonly from: string;
  readonly to: string;
  readonly check: string;
  readonly samples: readonly ScenarioSample[];
}

/** One probe's report: `endMs` the run's length, the steps as applied, the bound if any. */
export function measure(
  p: Probed,
  steps: readonly ScenarioStepReport[],
  endMs: number,
  maxOutageMs: number | undefined,
): ScenarioProbeReport {
  const samples = [...p.samples].sort((a, b) => a.at - b.at);
  const outages = outagesOf(samples, endMs);
  const longestMs = Math.max(0, ...outages.map((o) => o.ms));
  // a step counts from when it was done; a probe sent while one was being applied saw the
  // lab neither before nor after it, and counts in no stretch
  const done = (st: ScenarioStepReport) => (st.appliedMs === null ? null : st.appliedMs + (st.tookMs ?? 0));
  const applied = steps.filter((st) => st.appliedMs !== null);
  const stretches = [...applied, null].map((next, k) => {
    const from = k === 0 ? 0 : done(applied[k - 1])!;
    const to = next ? next.appliedMs! : endMs;
    const inside = samples.filter((s) => s.at >= from && (s.at < to || (!next && s.at <= to)));
    return { from, to, sent: inside.length, lost: inside.filter((s) => !s.ok).length };
  });
  const recovery = steps.map((st) => {
    const from = done(st);
    const first = from === null ? undefined : samples.find((s) => s.ok && s.at >= from);
    return first ? first.at - from! : null;
  });
  const worst = outages.find((o) => o.ms === longestMs);
  const pass = maxOutageMs === undefined || longestMs <= maxOutageMs;
  return {
    ...p,
    sent: samples.length,
    lost: samples.filter((s) => !s.ok).length,
    outages,
    longestMs,
    recovery,
    stretches,
    pass,
    ...(pass || !worst
      ? {}
      : {
          why:
            `down ${seconds(worst.ms)} from ${seconds(worst.start)}` +
            `${worst.end === null ? " to the end" : ""}, longer than maxOutageMs ${maxOutageMs}`,
        }),
    samples,
  };
}

/** Milliseconds as seconds, to the hundredth. */
export const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
