// `netlab test`: the stack's Expectations checked with real traffic, each from where it
// says (a namespace, the host, or outside: a probe namespace joined to the host by a veth
// for the run, as a client on the host's LAN), and Mininet's pingAll over every endpoint
// pair. Checks run a few at a time; the probe namespace is removed whatever happens.
import { createHash } from "node:crypto";
import { ExpectSpec, type EndpointSpec, type LabFile, type ObjectSpec, type RemoteSpec } from "../model/schema";
import { pool, run } from "./exec";
import { netnsExists } from "./observe";
import { onHost } from "./step";
import { table } from "./table";

/** Checks in flight at once: each waits on the network (a silent drop costs its timeout). */
const PARALLEL = 8;
const RETRIES = 3;
const RETRY_AFTER_MS = 1000;

export interface Outcome {
  readonly name: string;
  readonly from: string;
  readonly to: string;
  readonly check: string;
  readonly want: boolean;
  readonly got: boolean;
  /** What the probe saw: "answered", "refused", "no answer", ping's summary... */
  readonly detail: string;
}

/** Outside: its namespace and /30 are derived from the stack and host, so two stacks' runs never share them. */
function outsideOf(lab: LabFile) {
  const h = createHash("sha256")
    .update(`${lab.host ?? ""}/${lab.stack}`)
    .digest();
  const name = `nlt-${h.subarray(0, 4).toString("hex")}`;
  // one /30 of 198.18.0.0/15 (RFC 2544, for tests): .1 the host, .2 the outside client
  const n = (h.readUInt16BE(4) & 0x7fff) * 4;
  const base = [198, 18 + (n >> 16), (n >> 8) & 0xff, n & 0xff];
  const at = (k: number) => [...base.slice(0, 3), base[3] + k].join(".");
  return { ns: name, hostIf: name, hostAddr: at(1), addr: at(2) };
}

async function must(argv: string[], input?: string): Promise<void> {
  const r = await run(argv, input);
  if (!r.ok) throw new Error(`${argv.join(" ")}: ${r.stderr.trim()}`);
}

async function addOutside(lab: LabFile, o: ReturnType<typeof outsideOf>): Promise<void> {
  await removeOutside(o); // a run that was killed may have left it
  await must(["ip", "netns", "add", o.ns]);
  await must(
    onHost(lab, ["ip", "-batch", "-"]),
    `link add name ${o.hostIf} type veth peer name eth0 netns ${o.ns}\n` +
      `addr add ${o.hostAddr}/30 dev ${o.hostIf}\nlink set dev ${o.hostIf} up\n`,
  );
  await must(
    ["ip", "-n", o.ns, "-batch", "-"],
    `link set dev lo up\naddr add ${o.addr}/30 dev eth0\nlink set dev eth0 up\nroute add default via ${o.hostAddr}\n`,
  );
}

/** Deleting the namespace takes the veth pair with it (its host end included). */
async function removeOutside(o: ReturnType<typeof outsideOf>): Promise<void> {
  await run(["ip", "netns", "del", o.ns]);
}

/** The argv prefix that runs a command where the check starts. */
function origin(lab: LabFile, from: ExpectSpec["from"], outside: string): string[] {
  if (from.kind === "netns") return ["ip", "netns", "exec", from.netns];
  if (from.kind === "outside") return ["ip", "netns", "exec", outside];
  return onHost(lab, []);
}

async function probe(prefix: string[], check: string, target: string, port?: number): Promise<[boolean, string]> {
  const argv =
    check === "ping"
      ? [...prefix, "ping", "-n", "-q", "-c", "2", "-i", "0.2", "-W", "1", target]
      : [...prefix, process.execPath, process.argv[1], "probe", check, target, String(port)];
  const r = await run(argv);
  if (check === "ping") {
    const summary = /(\d+) received/.exec(r.stdout)?.[1];
    return [r.ok, summary !== undefined ? `${summary}/2 replies` : r.stderr.trim() || "no reply"];
  }
  return [r.ok, r.stdout.trim() || r.stderr.trim()];
}

const fromLabel = (f: ExpectSpec["from"]) => (f.kind === "netns" ? f.netns : f.kind);

/** Check every expectation; the outside probe namespace exists only while they run. */
export async function checkExpectations(lab: LabFile, expects: readonly ExpectSpec[]): Promise<Outcome[]> {
  const outside = outsideOf(lab);
  const needsOutside = expects.some((e) => e.from.kind === "outside");
  if (lab.host && !netnsExists(lab.host)) throw new Error(`sandbox host namespace ${lab.host} does not exist`);
  if (needsOutside) await addOutside(lab, outside);
  try {
    return await pool(expects, PARALLEL, async (e) => {
      const target = e.to.kind === "address" ? e.to.address : e.to.kind === "name" ? e.to.name : outside.hostAddr;
      // what must answer gets a few tries (a workload just started, a first ARP); what must
      // not answer gets one, its silence being the answer
      let [got, detail] = await probe(origin(lab, e.from, outside.ns), e.check, target, e.port);
      for (let i = 1; e.reachable && !got && i < RETRIES; i++) {
        await new Promise((r) => setTimeout(r, RETRY_AFTER_MS));
        [got, detail] = await probe(origin(lab, e.from, outside.ns), e.check, target, e.port);
      }
      const check = e.check === "ping" ? "ping" : `${e.check}/${e.port}`;
      return { name: e.name, from: fromLabel(e.from), to: e.label, check, want: e.reachable, got, detail };
    });
  } finally {
    if (needsOutside) await removeOutside(outside);
  }
}

/**
 * Mininet's pingAll: every namespace with an endpoint on this machine pings every other
 * namespace's endpoint addresses (those on other machines: `remotePairs`).
 */
export async function pingAll(specs: readonly ObjectSpec[]): Promise<Outcome[]> {
  const eps = specs.filter((s): s is EndpointSpec => s.kind === "endpoint");
  const sources = [...new Set(eps.filter((e) => !e.remote).map((e) => e.netns))];
  // every address of every other endpoint: a dual-stack pair is pinged over IPv4 and IPv6
  const pairs = sources.flatMap((ns) =>
    eps
      .filter((e) => e.netns !== ns)
      .flatMap((e) => [e.address, e.address6].flatMap((a) => (a ? [[ns, e, a] as const] : []))),
  );
  return pool(pairs, PARALLEL, async ([ns, e, address]) => {
    const [got, detail] = await probe(["ip", "netns", "exec", ns], "ping", address);
    return { name: "all pairs", from: ns, to: `${e.netns} (${address})`, check: "ping", want: true, got, detail };
  });
}

/** pingAll's pairs whose source is on another machine, as expectations its runner checks. */
export function remotePairs(specs: readonly ObjectSpec[]): ExpectSpec[] {
  const eps = specs.filter((s): s is EndpointSpec => s.kind === "endpoint");
  const sources = [...new Map(eps.filter((e) => e.remote).map((e) => [e.netns, e.remote!] as const))];
  return sources.flatMap(([netns, remote]) =>
    eps
      .filter((e) => e.netns !== netns)
      .flatMap((e) => [e.address, e.address6].flatMap((a) => (a ? [a] : [])).map((address) => ({ e, address })))
      .map(({ e, address }) => ({
        name: "all pairs",
        from: { kind: "netns" as const, netns, remote },
        to: { kind: "address" as const, address },
        label: `${e.netns} (${address})`,
        check: "ping" as const,
        reachable: true,
      })),
  );
}

/**
 * Expectations whose source is on another machine: each machine's runner checks its own
 * (its namespaces, its names files), a few at a time there too. A machine that cannot be
 * reached fails its checks, with the reason.
 */
export async function checkThere(
  lab: LabFile,
  expects: readonly ExpectSpec[],
  forward: (remote: RemoteSpec, lines: string[]) => Promise<{ ok: boolean; stdout: string; why: string }>,
): Promise<Outcome[]> {
  const byHost = new Map<string, ExpectSpec[]>();
  for (const e of expects)
    if (e.from.kind === "netns" && e.from.remote)
      byHost.set(e.from.remote.name, [...(byHost.get(e.from.remote.name) ?? []), e]);
  const out: Outcome[] = [];
  for (const [name, group] of byHost) {
    const remote = (group[0].from as { remote: RemoteSpec }).remote;
    // there, the check starts on its own machine
    const local = group.map((e) => ({
      ...e,
      from: { kind: "netns" as const, netns: (e.from as { netns: string }).netns },
    }));
    const res = await forward(remote, [JSON.stringify({ stack: lab.stack, expect: local })]);
    const answered = res.ok ? (JSON.parse(res.stdout) as Outcome[]) : null;
    group.forEach((e, i) => {
      const o = answered?.[i];
      out.push({
        ...(o ?? {
          name: e.name,
          to: e.label,
          check: e.check === "ping" ? "ping" : `${e.check}/${e.port}`,
          want: e.reachable,
          got: false,
          detail: res.why,
        }),
        from: `${(e.from as { netns: string }).netns} on ${name}`,
      });
    });
  }
  return out;
}

/** `check '<{stack, expect}>'`: a forwarded batch of expectations, checked here; the outcomes as JSON. */
export async function checkForwarded(line: string): Promise<Outcome[]> {
  const { stack, expect } = JSON.parse(line) as { stack: string; expect: unknown[] };
  const lab: LabFile = { v: 1, stack, kind: "lab", specs: [] };
  return checkExpectations(
    lab,
    expect.map((e) => ExpectSpec.parse(e)),
  );
}

const word = (reachable: boolean) => (reachable ? "reachable" : "unreachable");

export function report(outcomes: readonly Outcome[]): string {
  const rows = outcomes.map((o) => [
    o.name,
    o.from,
    o.to,
    o.check,
    word(o.want),
    `${word(o.got)} (${o.detail})`,
    o.want === o.got ? "pass" : "FAIL",
  ]);
  const failed = outcomes.filter((o) => o.want !== o.got).length;
  return (
    `${table(["EXPECTATION", "FROM", "TO", "CHECK", "WANT", "GOT", "RESULT"], rows)}\n` +
    `${outcomes.length - failed} of ${outcomes.length} hold${failed ? `, ${failed} failed` : ""}\n`
  );
}

export const parseExpectations = (lab: LabFile): ExpectSpec[] => (lab.expect ?? []).map((e) => ExpectSpec.parse(e));
