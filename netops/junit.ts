// `nslab test --junit FILE`: the outcomes as JUnit XML, one testcase per Expectation (and
// per pair with --all-pairs), so a CI system shows a lab's checks as it shows unit tests.
// A pair the lab does not judge (observed) is a skipped testcase: neither pass nor fail.
// `nslab run --junit FILE`: a testcase per probe of the scenario.
import type { ScenarioReport } from "../model/reports";
import { gotten, wanted, type Outcome } from "./expect";

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" };
/** Text safe in an XML attribute or element: escaped, and without the control characters XML 1.0 forbids. */
export const xml = (s: string) =>
  // eslint-disable-next-line no-control-regex
  s.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, "").replace(/[&<>"']/g, (c) => ESCAPES[c]);

export function junit(stack: string, outcomes: readonly Outcome[], seconds: number, at = new Date()): string {
  const failed = outcomes.filter((o) => o.want !== null && o.want !== o.got).length;
  const skipped = outcomes.filter((o) => o.want === null).length;
  const cases = outcomes.map((o) => {
    const pair = o.name === "all pairs";
    const name = pair ? `${o.from} -> ${o.to}` : o.name;
    const what = `from ${o.from} to ${o.to}, ${o.check}`;
    const body =
      o.want === null
        ? `      <skipped message="${xml(`the lab does not say; observed: ${gotten(o)}`)}"/>\n`
        : o.want !== o.got
          ? `      <failure message="${xml(`want ${wanted(o)}, got ${gotten(o)}`)}">${xml(what)}</failure>\n`
          : "";
    const open = `    <testcase classname="${xml(pair ? `${stack}.all-pairs` : stack)}" name="${xml(name)}"`;
    return body ? `${open}>\n${body}    </testcase>\n` : `${open}/>\n`;
  });
  const counts = `tests="${outcomes.length}" failures="${failed}" errors="0" skipped="${skipped}" time="${seconds.toFixed(3)}"`;
  return document(`nslab test ${xml(stack)}`, xml(stack), counts, at.toISOString(), cases);
}

/** The XML around one suite's testcases (names and counts given escaped, as they are written). */
const document = (suites: string, suite: string, counts: string, at: string, cases: readonly string[]) =>
  '<?xml version="1.0" encoding="UTF-8"?>\n' +
  `<testsuites name="${suites}" ${counts}>\n` +
  `  <testsuite name="${suite}" ${counts} timestamp="${at.slice(0, 19)}">\n` +
  cases.join("") +
  "  </testsuite>\n</testsuites>\n";

/**
 * `nslab run --junit FILE`: a testcase per probe, failed when its longest outage broke
 * the scenario's bound; a step that failed, or a run cut short, is an error of its own.
 */
export function scenarioJunit(r: ScenarioReport): string {
  const classname = xml(`${r.stack}.${r.scenario}`);
  const cases = r.probes.map((p) => {
    const what = `from ${p.from} to ${p.to}, ${p.check}: ${p.lost} of ${p.sent} probes lost, longest outage ${p.longestMs} ms`;
    const open = `    <testcase classname="${classname}" name="${xml(p.name)}"`;
    return p.pass
      ? `${open}>\n      <system-out>${xml(what)}</system-out>\n    </testcase>\n`
      : `${open}>\n      <failure message="${xml(p.why ?? "failed")}">${xml(what)}</failure>\n    </testcase>\n`;
  });
  const broken = r.error ?? (r.interrupted ? "the run was cut short" : undefined);
  if (broken)
    cases.push(
      `    <testcase classname="${classname}" name="run">\n      <error message="${xml(broken)}"/>\n    </testcase>\n`,
    );
  const failed = r.probes.filter((p) => !p.pass).length;
  const counts = `tests="${cases.length}" failures="${failed}" errors="${broken ? 1 : 0}" skipped="0" time="${r.seconds.toFixed(3)}"`;
  return document(`nslab run ${xml(r.stack)} ${xml(r.scenario)}`, classname, counts, r.startedAt, cases);
}
