// `nslab test`: the stack's Expectations checked with real traffic, each from where it
// says (a namespace, the host, or outside: a probe namespace joined to the host by a veth
// for the run, as a client on the host's LAN), and Mininet's pingAll over every endpoint
// pair. Checks run a few at a time; the probe namespace is removed whatever happens.
import { sandboxHostOf } from "../model/schema";
import { createHash } from "node:crypto";
import { outsideNetns } from "../model/kernel-names";
import type { LabFile } from "../model/lab-file";
import { CheckMessage, readMessage } from "../model/messages";
import { ExpectSpec } from "../model/schema";
import { pool, run } from "./exec";
import { netnsExists } from "./observe";
import { inSandboxHost } from "./step";
import type { Pair } from "./reach";
import { table } from "./table";
import { mbitOf, measure } from "./throughput";
import type { Outcome } from "../model/reports";

/** Checks in flight at once: each waits on the network (a silent drop costs its timeout). */
const PARALLEL = 8;
const RETRIES = 3;
const RETRY_AFTER_MS = 1000;

export type { Outcome };

/** Outside: its namespace and /30 are derived from the stack and host, so two stacks' runs never share them. */
export function outsideOf(lab: LabFile) {
  const h = createHash("sha256")
    .update(`${sandboxHostOf(lab) ?? ""}/${lab.stack}`)
    .digest();
  const name = outsideNetns(h.subarray(0, 4).toString("hex"));
  // one /30 of 198.18.0.0/15 (RFC 2544, for tests): .1 the host, .2 the outside client
  const n = (h.readUInt16BE(4) & 0x7fff) * 4;
  const base = [198, 18 + (n >> 16), (n >> 8) & 0xff, n & 0xff];
  const at = (k: number) => [...base.slice(0, 3), base[3] + k].join(".");
  // and a /64 of 2001:db8::/32 (RFC 3849, for documentation), when a check goes over IPv6
  const net6 = `2001:db8:${h.readUInt16BE(6).toString(16)}:${h.readUInt16BE(8).toString(16)}`;
  return { ns: name, hostIf: name, hostAddr: at(1), addr: at(2), hostAddr6: `${net6}::1`, addr6: `${net6}::2` };
}

async function must(argv: string[], input?: string): Promise<void> {
  const r = await run(argv, input);
  if (!r.ok) throw new Error(`${argv.join(" ")}: ${r.stderr.trim()}`);
}

export async function addOutside(lab: LabFile, o: ReturnType<typeof outsideOf>, six: boolean): Promise<void> {
  await removeOutside(lab, o); // a run that was killed may have left it
  await must(["ip", "netns", "add", o.ns]);
  // nodad: the addresses work at once, with no duplicate detection to wait for
  await must(
    inSandboxHost(lab, ["ip", "-batch", "-"]),
    `link add name ${o.hostIf} type veth peer name eth0 netns ${o.ns}\n` +
      `addr add ${o.hostAddr}/30 dev ${o.hostIf}\n` +
      (six ? `addr add ${o.hostAddr6}/64 dev ${o.hostIf} nodad\n` : "") +
      `link set dev ${o.hostIf} up\n`,
  );
  await must(
    ["ip", "-n", o.ns, "-batch", "-"],
    `link set dev lo up\naddr add ${o.addr}/30 dev eth0\n` +
      (six ? `addr add ${o.addr6}/64 dev eth0 nodad\n` : "") +
      `link set dev eth0 up\nroute add default via ${o.hostAddr}\n` +
      (six ? `route add default via ${o.hostAddr6}\n` : ""),
  );
}

/**
 * Deleting the namespace takes the veth pair with it, but later: the kernel dismantles a
 * namespace in the background (longer after heavy traffic, a throughput check's), and a
 * next run would meet its host end still there. That end is deleted first, at once.
 */
export async function removeOutside(lab: LabFile, o: ReturnType<typeof outsideOf>): Promise<void> {
  await run(inSandboxHost(lab, ["ip", "link", "del", "dev", o.hostIf]));
  await run(["ip", "netns", "del", o.ns]);
}

/** The argv prefix that runs a command where the check starts. */
export function origin(lab: LabFile, from: ExpectSpec["from"], outside: string): string[] {
  if (from.kind === "netns") return ["ip", "netns", "exec", from.netns];
  if (from.kind === "outside") return ["ip", "netns", "exec", outside];
  return inSandboxHost(lab, []);
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

const outcomeOf = (e: ExpectSpec, got: boolean, detail: string, mbit?: number): Outcome => ({
  name: e.name,
  from: e.from.kind === "netns" ? e.from.netns : e.from.kind,
  to: e.label,
  check: e.check === "ping" || e.port === undefined ? e.check : `${e.check}/${e.port}`,
  want: e.reachable,
  got,
  detail,
  ...(e.rate
    ? {
        rate: {
          ...(e.rate.atLeastMbit !== undefined ? { atLeastMbit: e.rate.atLeastMbit } : {}),
          ...(e.rate.atMostMbit !== undefined ? { atMostMbit: e.rate.atMostMbit } : {}),
          ...(mbit !== undefined ? { mbit } : {}),
        },
      }
    : {}),
});

/** A throughput check: one measurement (a rate out of bounds is the answer; retrying would only cost its seconds again). */
async function rateOutcome(e: ExpectSpec, prefix: string[], target: string): Promise<Outcome> {
  let got = await measure(prefix, e, target);
  // no measurement at all (a receiver just started, a first ARP): as a reachability check, a few tries
  for (let i = 1; typeof got === "string" && i < RETRIES; i++) {
    await new Promise((r) => setTimeout(r, RETRY_AFTER_MS));
    got = await measure(prefix, e, target);
  }
  if (typeof got === "string") return outcomeOf(e, false, got);
  const mbit = mbitOf(got);
  const { atLeastMbit = 0, atMostMbit = Infinity } = e.rate!;
  return outcomeOf(
    e,
    mbit >= atLeastMbit && mbit <= atMostMbit,
    `${mbitText(mbit)} over ${got.seconds.toFixed(1)} s`,
    mbit,
  );
}

const mbitText = (m: number) => `${m >= 100 ? m.toFixed(0) : m >= 10 ? m.toFixed(1) : m.toFixed(2)} Mbit/s`;

/** Where a check goes: its address or name, or the host from outside (its LAN address of each family the check goes over). */
export const targetsFrom = (e: ExpectSpec, outside: ReturnType<typeof outsideOf>): string[] =>
  e.to.kind === "address"
    ? [e.to.address]
    : e.to.kind === "name"
      ? [e.to.name]
      : (e.to.families ?? [4]).map((f) => (f === 6 ? outside.hostAddr6 : outside.hostAddr));

/** Whether checks from outside go over IPv6 too (the probe namespace then has an IPv6 address). */
export const outsideSix = (expects: readonly ExpectSpec[]) =>
  expects.some((e) => e.from.kind === "outside" && e.to.kind === "host" && e.to.families?.includes(6));

/** Check every expectation; the outside probe namespace exists only while they run. */
export async function checkExpectations(lab: LabFile, expects: readonly ExpectSpec[]): Promise<Outcome[]> {
  const outside = outsideOf(lab);
  const needsOutside = expects.some((e) => e.from.kind === "outside");
  const six = outsideSix(expects);
  const sandboxHost = sandboxHostOf(lab);
  if (sandboxHost && !netnsExists(sandboxHost)) throw new Error(`sandbox host namespace ${sandboxHost} does not exist`);
  if (needsOutside) await addOutside(lab, outside, six);
  const targetsOf = (e: ExpectSpec) => targetsFrom(e, outside);
  try {
    const reach = expects.filter((e) => e.check !== "throughput");
    const done = await pool(reach, PARALLEL, async (e) => {
      const targets = targetsOf(e);
      const once = async (): Promise<[boolean, string]> => {
        const seen = await Promise.all(targets.map((t) => probe(origin(lab, e.from, outside.ns), e.check, t, e.port)));
        // reachable: every family answers; unreachable: none does
        const got = e.reachable ? seen.every(([g]) => g) : seen.some(([g]) => g);
        const detail =
          seen.length > 1
            ? seen.map(([, d], i) => `${targets[i].includes(":") ? "IPv6" : "IPv4"}: ${d}`).join(", ")
            : seen[0][1];
        return [got, detail];
      };
      // what must answer gets a few tries (a workload just started, a first ARP); what must
      // not answer gets one, its silence being the answer
      let [got, detail] = await once();
      for (let i = 1; e.reachable && !got && i < RETRIES; i++) {
        await new Promise((r) => setTimeout(r, RETRY_AFTER_MS));
        [got, detail] = await once();
      }
      return outcomeOf(e, got, detail);
    });
    // rates one at a time, after the rest: checks at once would share the links and the CPUs they measure
    const rates = new Map<ExpectSpec, Outcome>();
    for (const e of expects.filter((x) => x.check === "throughput"))
      rates.set(e, await rateOutcome(e, origin(lab, e.from, outside.ns), targetsOf(e)[0]));
    return expects.map((e) => rates.get(e) ?? done[reach.indexOf(e)]);
  } finally {
    if (needsOutside) await removeOutside(lab, outside);
  }
}

/**
 * The --all-pairs pings as checks, each on the machine its source namespace is on. What
 * must not answer gets one try (its silence is the answer); a pair the lab does not judge
 * is checked as one that must answer, its outcome then shown as observed (`judged`).
 */
export function pairChecks(pairs: readonly Pair[]): ExpectSpec[] {
  return pairs.map((p) => ({
    name: "all pairs",
    from: { kind: "netns" as const, netns: p.from, ...(p.remote ? { remote: p.remote } : {}) },
    to: { kind: "address" as const, address: p.address },
    label: `${p.to} (${p.address})`,
    check: "ping" as const,
    reachable: p.want ?? true,
  }));
}

/** A pair's outcome with the lab's own verdict (null: observed). */
export const judged = (o: Outcome, pair: Pair): Outcome => ({ ...o, want: pair.want });

/**
 * The outcomes of checks a machine could not run (it cannot be reached, or did not
 * answer): each fails, with the reason.
 */
export const unanswered = (expects: readonly ExpectSpec[], why: string): Outcome[] =>
  expects.map((e) => outcomeOf(e, false, why));

/** `check '<{stack, expect}>'`: a forwarded batch of expectations, checked here; the outcomes as JSON. */
export async function checkForwarded(line: string): Promise<Outcome[]> {
  const { stack, expect } = readMessage("check", CheckMessage, line);
  const lab: LabFile = { v: 1, stack, kind: "lab", specs: [] };
  return checkExpectations(lab, expect);
}

const word = (reachable: boolean | null) => (reachable === null ? "-" : reachable ? "reachable" : "unreachable");

/** An outcome holds when it is what was wanted; one nobody judges (want null) neither holds nor fails. */
export const holds = (o: Outcome) => o.want === null || o.want === o.got;

/** A throughput check's bounds, as the report's WANT column says them. */
const bounds = ({ atLeastMbit: lo, atMostMbit: hi }: NonNullable<Outcome["rate"]>) =>
  [lo !== undefined ? `>= ${lo}` : "", hi !== undefined ? `<= ${hi}` : ""].filter(Boolean).join(", ") + " Mbit/s";

/** What a check wants and what it got, as the report and the JUnit file say them. */
export const wanted = (o: Outcome) => (o.rate ? bounds(o.rate) : word(o.want));
export const gotten = (o: Outcome) => (o.rate ? o.detail : `${word(o.got)} (${o.detail})`);

export function report(outcomes: readonly Outcome[]): string {
  const rows = outcomes.map((o) => [
    o.name,
    o.from,
    o.to,
    o.check,
    wanted(o),
    gotten(o),
    o.want === null ? "observed" : o.want === o.got ? "pass" : "FAIL",
  ]);
  const judged = outcomes.filter((o) => o.want !== null).length;
  const failed = outcomes.filter((o) => !holds(o)).length;
  const seen = outcomes.length - judged;
  return (
    `${table(["EXPECTATION", "FROM", "TO", "CHECK", "WANT", "GOT", "RESULT"], rows)}\n` +
    `${judged - failed} of ${judged} hold${failed ? `, ${failed} failed` : ""}${seen ? `, ${seen} observed (the lab does not say)` : ""}\n`
  );
}

export const parseExpectations = (lab: LabFile): ExpectSpec[] => (lab.expect ?? []).map((e) => ExpectSpec.parse(e));
