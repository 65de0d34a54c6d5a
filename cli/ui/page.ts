// The page `nslab ui` serves: the topology as `nslab graph` draws it, with the live state
// laid on it (objects not as declared in red, each endpoint's and link's traffic), a table
// of every object with its actions (forms: the page works without JavaScript; a small
// script only refreshes it every second), the last test run drawn as arrows, a trace
// form whose last path is drawn too, and the last scenario run's timeline (`nslab run`).
import type { Outcome, ScenarioReport, TraceReport } from "../../model/reports";
import { timelineSvg } from "../timeline";
import { domId, refOf, nodeOf, topologyOf, toDot, toSvg, type Overlay } from "../graph";
import type { LabFile } from "../../model/lab-file";
import type { ObjectSpec } from "../../model/schema";
import { seenRef, type Look, type Rate } from "./live";

export interface View {
  readonly lab: LabFile;
  readonly specs: readonly ObjectSpec[];
  readonly look?: Look;
  readonly rates: ReadonlyMap<string, Rate>;
  readonly tests?: { readonly at: number; readonly outcomes: readonly Outcome[]; readonly error?: string };
  /** What the last action printed, and whether it worked. */
  readonly lastAction?: { readonly ok: boolean; readonly text: string };
  /** The last trace (`nslab trace`): its path drawn on the picture. */
  readonly trace?: TraceReport;
  /** The stack's last scenario run (`nslab run`, here or in another terminal), beside its record. */
  readonly run?: ScenarioReport;
  readonly token: string;
  /** Why the live state stopped coming, when it did. */
  readonly failed?: string;
}

const ESC: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
const h = (s: string) => s.replace(/[&<>"']/g, (c) => ESC[c]);

const bits = (bytesPerSecond: number) => {
  const b = bytesPerSecond * 8;
  return b >= 1e6
    ? `${(b / 1e6).toFixed(b >= 1e8 ? 0 : 1)} Mbit/s`
    : b >= 1e3
      ? `${(b / 1e3).toFixed(0)} kbit/s`
      : `${b.toFixed(0)} bit/s`;
};

/** An endpoint's or link's traffic, as its row and its edge say it. */
function traffic(s: ObjectSpec, r: Rate | undefined): string {
  if (!r) return "";
  const pps = Math.round(r.rxPps + r.txPps);
  // an endpoint is counted at its veth's host end: what it receives came out of the namespace
  if (s.kind === "endpoint") return `out ${bits(r.rxBps)}, in ${bits(r.txBps)}, ${pps} pkt/s`;
  if (s.kind === "link") return `a->b ${bits(r.txBps)}, b->a ${bits(r.rxBps)}, ${pps} pkt/s`;
  return "";
}

/** The name actions give an object (netops/places.ts): an endpoint's inside end, a link's a end. */
export function targetOf(s: ObjectSpec): string | undefined {
  const at = s.remote ? `@${s.remote.name}` : "";
  if (s.kind === "endpoint") return `${s.netns}:${s.ifname}${at}`;
  if (s.kind === "link") return `${s.a.netns ?? "host"}:${s.a.ifname}${at}`;
  return undefined;
}

/** A check's arrow: from its source's node to its target's, when both are drawn. */
function arrowOf(o: Outcome, specs: readonly ObjectSpec[], drawn: ReadonlySet<string>) {
  const from = nodeOf(o.from.split(" ")[0]);
  const first = o.to.split(/[ :]/)[0];
  const byAddress = specs.find((s) => s.kind === "endpoint" && (s.address === first || s.address6 === first)) as
    { netns: string } | undefined;
  const to = drawn.has(nodeOf(first))
    ? nodeOf(first)
    : byAddress
      ? nodeOf(byAddress.netns)
      : o.to.includes(":")
        ? "host"
        : undefined;
  const ok = o.want === null || o.want === o.got;
  return to && (drawn.has(from) || from === "outside")
    ? { from, to, label: `${o.check} ${ok ? "pass" : "FAIL"}`, ok }
    : undefined;
}

/** The trace's path: an arrow per step from one namespace to the next, numbered, red when it did not get through. */
function traceArrows(t: TraceReport, drawn: ReadonlySet<string>) {
  const ok = t.verdict === "delivered";
  const nodes = t.hops.map((hop) => nodeOf(hop.place)).filter((n) => drawn.has(n) || n === "outside");
  return nodes.slice(1).map((to, i) => ({
    from: nodes[i],
    to,
    label: `trace ${i + 1}${!ok && i === nodes.length - 2 ? `: ${t.verdict}` : ""}`,
    ok,
    kind: "trace" as const,
  }));
}

export async function picture(v: View): Promise<string> {
  const topology = topologyOf(v.specs, v.lab.host ?? null);
  const bySpec = new Map(v.specs.map((s) => [refOf(s), s]));
  const marks = new Map<string, { drift: boolean; note?: string }>();
  for (const o of v.look?.objects ?? []) {
    const ref = seenRef(o);
    const s = bySpec.get(ref);
    marks.set(ref, { drift: o.status !== "ok", note: s ? traffic(s, v.rates.get(ref)) : undefined });
  }
  const drawn = new Set(topology.nodes.map((n) => n.id));
  const checks = [
    ...(v.tests?.outcomes ?? []).flatMap((o) => arrowOf(o, v.specs, drawn) ?? []),
    ...(v.trace ? traceArrows(v.trace, drawn) : []),
  ];
  const overlay: Overlay = { marks, checks };
  const svg = await toSvg(toDot(topology, v.lab.stack, overlay));
  return svg.slice(svg.indexOf("<svg")); // inline: no XML prologue
}

function summary(v: View): string {
  const objects = v.look?.objects ?? [];
  const off = objects.filter((o) => o.status !== "ok").length;
  const when = v.look ? new Date(v.look.at).toLocaleTimeString("en-GB") : "not yet";
  const where = v.lab.host ? ` on sandbox host ${h(v.lab.host)}` : "";
  return (
    `<strong>${h(v.lab.stack)}</strong>${where}: ${objects.length} objects, ` +
    `<span class="${off ? "bad" : "good"}">${off} not as declared</span>, ` +
    `${v.look?.extra.length ?? 0} no longer declared; looked at ${when}` +
    (v.failed ? ` <span class="bad">(${h(v.failed)})</span>` : "")
  );
}

const form = (v: View, action: string, fields: Record<string, string>, label: string, extra = "") =>
  `<form method="post" action="/${action}"><input type="hidden" name="t" value="${h(v.token)}">` +
  Object.entries(fields)
    .map(([k, val]) => `<input type="hidden" name="${k}" value="${h(val)}">`)
    .join("") +
  `${extra}<button>${label}</button></form>`;

function actions(v: View, target: string): string {
  const t = { target };
  return (
    form(v, "link", { ...t, state: "down" }, "link down") +
    form(v, "link", { ...t, state: "up" }, "link up") +
    form(
      v,
      "impair",
      t,
      "impair",
      '<input name="loss" size="3" placeholder="loss %" aria-label="loss percent">' +
        '<input name="rate" size="4" placeholder="Mbit/s" aria-label="rate Mbit/s">',
    ) +
    form(v, "impair", { ...t, reset: "1" }, "reset") +
    `<form method="get" action="/capture"><input type="hidden" name="t" value="${h(v.token)}">` +
    `<input type="hidden" name="target" value="${h(target)}">` +
    '<input name="seconds" size="2" value="5" aria-label="seconds"><button>capture</button></form>'
  );
}

/** Each object's row: what the refresh updates in place (its forms are left as the user is filling them). */
function rowsOf(v: View) {
  const bySpec = new Map(v.specs.map((s) => [refOf(s), s]));
  return (v.look?.objects ?? []).map((o) => {
    const ref = seenRef(o);
    const s = bySpec.get(ref);
    const word = o.status === "ok" ? "as declared" : o.status === "foreign" ? "not nslab's" : "not as declared";
    return {
      id: domId(ref, "row"),
      cls: o.status,
      cells: `<td>${h(o.kind)}</td><td>${h(o.name)}</td><td>${h(o.machine ?? "")}</td>`,
      state: `${h(word)}${o.drift.map((d) => `<br><small>${h(d)}</small>`).join("")}`,
      traffic: s ? traffic(s, v.rates.get(ref)) : "",
      target: s && targetOf(s),
    };
  });
}

function objects(v: View): string {
  const rows = rowsOf(v).map(
    (r) =>
      `<tr id="${r.id}" class="${r.cls}">${r.cells}<td class="state">${r.state}</td>` +
      `<td class="traffic">${h(r.traffic)}</td><td class="actions">${r.target ? actions(v, r.target) : ""}</td></tr>`,
  );
  const extra = (v.look?.extra ?? []).map(
    (e) =>
      `<tr class="drift"><td>${h(e.kind)}</td><td>${h(e.name)}</td><td>${h(e.machine ?? "")}</td>` +
      "<td>no longer declared (removed by the next deploy)</td><td></td><td></td></tr>",
  );
  return (
    "<table><thead><tr><th>kind</th><th>name</th><th>machine</th><th>state</th><th>traffic</th><th>actions</th></tr></thead>" +
    `<tbody>${[...rows, ...extra].join("")}</tbody></table>`
  );
}

/** The trace form: from, to and the probe, as `nslab trace` takes them. */
function traceForm(v: View): string {
  const input = (name: string, size: number, value = "") =>
    `<input name="${name}" size="${size}" value="${h(value)}" aria-label="${name}" placeholder="${name}">`;
  const t = v.trace;
  return form(
    v,
    "trace",
    {},
    "trace",
    input("from", 8, t?.from) +
      input("to", 8, t?.to) +
      '<select name="proto" aria-label="probe"><option>icmp</option><option>tcp</option><option>udp</option></select>' +
      input("port", 5),
  );
}

function tests(v: View): string {
  const run = form(v, "test", {}, "run the expectations");
  if (!v.tests) return run;
  if (v.tests.error) return `${run}<p class="bad">${h(v.tests.error)}</p>`;
  const rows = v.tests.outcomes.map((o) => {
    const ok = o.want === null || o.want === o.got;
    return (
      `<tr class="${ok ? "pass" : "fail"}"><td>${h(o.name)}</td><td>${h(o.from)}</td><td>${h(o.to)}</td>` +
      `<td>${h(o.check)}</td><td>${h(o.detail)}</td><td>${o.want === null ? "observed" : ok ? "pass" : "FAIL"}</td></tr>`
    );
  });
  const failed = v.tests.outcomes.filter((o) => o.want !== null && o.want !== o.got).length;
  return (
    `${run}<p>run at ${new Date(v.tests.at).toLocaleTimeString("en-GB")}: ` +
    `<span class="${failed ? "bad" : "good"}">${v.tests.outcomes.length - failed} of ${v.tests.outcomes.length} hold</span></p>` +
    "<table><thead><tr><th>expectation</th><th>from</th><th>to</th><th>check</th><th>got</th><th>result</th></tr></thead>" +
    `<tbody>${rows.join("")}</tbody></table>`
  );
}

/**
 * The parts the page refreshes: HTML by element id, and the objects' rows, updated in
 * place when they are the same rows (else `objects` replaces the table).
 */
export async function parts(v: View) {
  return {
    html: {
      summary: summary(v),
      "last-action": v.lastAction
        ? `<pre class="${v.lastAction.ok ? "good" : "bad"}">${h(v.lastAction.text)}</pre>`
        : "",
      picture: await picture(v),
      tests: tests(v),
      scenario: v.run
        ? `<p>${h(`${v.run.scenario}, run at ${new Date(v.run.startedAt).toLocaleTimeString("en-GB")}: `)}` +
          `<span class="${v.run.pass ? "good" : "bad"}">${v.run.interrupted ? "cut short" : v.run.pass ? "pass" : "FAIL"}</span> ` +
          `(<code>nslab run ${h(v.lab.stack)} ${h(v.run.scenario)}</code>)</p>${timelineSvg(v.run)}`
        : `<p>none yet: <code>nslab run ${h(v.lab.stack)} &lt;scenario&gt;</code> draws its timeline here</p>`,
    },
    objects: objects(v),
    rows: rowsOf(v).map(({ id, cls, state, traffic: t }) => ({ id, cls, state, traffic: t })),
  };
}

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 1em 2em; color: #222; }
.bad { color: #c62828; } .good { color: #2e7d32; }
#picture svg, #scenario svg { max-width: 100%; height: auto; }
table { border-collapse: collapse; margin: .5em 0; }
td, th { border-bottom: 1px solid #ddd; padding: .3em .6em; text-align: left; vertical-align: top; }
tr.drift td, tr.foreign td, tr.fail td { color: #c62828; }
form { display: inline-block; margin: 0 .2em .2em 0; }
pre { white-space: pre-wrap; background: #f6f6f6; padding: .5em; }
`;

/** Every second: the parts again, in place (forms and links work without it). */
const SCRIPT = `
const t = new URLSearchParams(location.search).get("t");
const el = (id) => document.getElementById(id);
async function refresh() {
  try {
    const r = await fetch("/parts?t=" + encodeURIComponent(t));
    if (r.ok) {
      const p = await r.json();
      for (const [id, html] of Object.entries(p.html)) el(id).innerHTML = html;
      const trs = [...document.querySelectorAll("#objects tbody tr[id]")];
      if (trs.length !== p.rows.length || p.rows.some((row, i) => trs[i].id !== row.id)) el("objects").innerHTML = p.objects;
      else p.rows.forEach((row, i) => {
        trs[i].className = row.cls;
        trs[i].querySelector(".state").innerHTML = row.state;
        trs[i].querySelector(".traffic").textContent = row.traffic;
      });
    }
  } catch (e) {}
  setTimeout(refresh, 1000);
}
setTimeout(refresh, 1000);
`;

export async function page(v: View): Promise<string> {
  const p = { ...(await parts(v)).html, objects: objects(v) };
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>nslab ui: ${h(v.lab.stack)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>${STYLE}</style></head>
<body>
<p id="summary">${p.summary}</p>
<div id="last-action">${p["last-action"]}</div>
<section id="picture">${p.picture}</section>
<h2>Objects</h2>
<section id="objects">${p.objects}</section>
<h2>Expectations</h2>
<section id="tests">${p.tests}</section>
<h2>Trace a packet</h2>
<section id="trace">${traceForm(v)}</section>
<h2>Last scenario run</h2>
<section id="scenario">${p.scenario}</section>
<script>${SCRIPT}</script>
</body></html>
`;
}
