// `nslab test`: the stack's Expectations checked with real traffic, each from where it
// says (a namespace, the host, or outside: a probe namespace joined to the host by a veth
// for the run, as a client on the host's LAN), and Mininet's pingAll over every endpoint
// pair. Checks run a few at a time; the probe namespace is removed whatever happens.
import { createHash } from "node:crypto";
import { outsideNetns } from "../model/kernel-names";
import type { LabFile } from "../model/lab-file";
import { CheckMessage, readMessage } from "../model/messages";
import { ExpectSpec } from "../model/schema";
import { pool, run } from "./exec";
import { netnsExists } from "./observe";
import { onHost } from "./step";
import type { Pair } from "./reach";
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
  /** null: the lab does not say (an --all-pairs pair joined only by the user's links and routes). */
  readonly want: boolean | null;
  readonly got: boolean;
  /** What the probe saw: "answered", "refused", "no answer", ping's summary... */
  readonly detail: string;
}

/** Outside: its namespace and /30 are derived from the stack and host, so two stacks' runs never share them. */
function outsideOf(lab: LabFile) {
  const h = createHash("sha256")
    .update(`${lab.host ?? ""}/${lab.stack}`)
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

async function addOutside(lab: LabFile, o: ReturnType<typeof outsideOf>, six: boolean): Promise<void> {
  await removeOutside(o); // a run that was killed may have left it
  await must(["ip", "netns", "add", o.ns]);
  // nodad: the addresses work at once, with no duplicate detection to wait for
  await must(
    onHost(lab, ["ip", "-batch", "-"]),
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

const outcomeOf = (e: ExpectSpec, got: boolean, detail: string): Outcome => ({
  name: e.name,
  from: e.from.kind === "netns" ? e.from.netns : e.from.kind,
  to: e.label,
  check: e.check === "ping" ? "ping" : `${e.check}/${e.port}`,
  want: e.reachable,
  got,
  detail,
});

/** Check every expectation; the outside probe namespace exists only while they run. */
export async function checkExpectations(lab: LabFile, expects: readonly ExpectSpec[]): Promise<Outcome[]> {
  const outside = outsideOf(lab);
  const needsOutside = expects.some((e) => e.from.kind === "outside");
  const six = expects.some((e) => e.from.kind === "outside" && e.to.kind === "host" && e.to.families?.includes(6));
  if (lab.host && !netnsExists(lab.host)) throw new Error(`sandbox host namespace ${lab.host} does not exist`);
  if (needsOutside) await addOutside(lab, outside, six);
  try {
    return await pool(expects, PARALLEL, async (e) => {
      // the host from outside: its LAN address of each family the check goes over
      const targets =
        e.to.kind === "address"
          ? [e.to.address]
          : e.to.kind === "name"
            ? [e.to.name]
            : (e.to.families ?? [4]).map((f) => (f === 6 ? outside.hostAddr6 : outside.hostAddr));
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
  } finally {
    if (needsOutside) await removeOutside(outside);
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

export function report(outcomes: readonly Outcome[]): string {
  const rows = outcomes.map((o) => [
    o.name,
    o.from,
    o.to,
    o.check,
    word(o.want),
    `${word(o.got)} (${o.detail})`,
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
