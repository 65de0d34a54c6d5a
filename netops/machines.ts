// Every machine of a lab behind one interface: this one, and each Host, reached over ssh
// where the runner's copy does the same work with the same code (main.ts, the forwarded
// verbs; what travels besides object lines is model/messages.ts). The whole-lab verbs
// (sweep, converge, verify, inspect, test, and the live page's watch) are written once over
// it, in main.ts.
import { applyOrder, labelOf, specKey } from "../model/kinds";
import type { LabFile } from "../model/lab-file";
import { localLine } from "../model/line";
import type { BootMessage, CheckMessage, ConvergeMode, ConvergeMessage, KeysMessage } from "../model/messages";
import type { ExpectSpec, ObjectSpec, RemoteSpec } from "../model/schema";
import { log, type Inspected } from "./engine";
import { checkExpectations, unanswered, type Outcome } from "./expect";
import { convergeHere, inspectLab, keysByHost, sweep, verifyLab, type Extra } from "./lab";
import { disableBoot, enableBoot } from "./boot";
import { forward, forwardQuietly } from "./remote";
import { countersHere, type Counters } from "./counters";

/** A machine's part of a lab: the whole-lab verbs, on this machine or on a Host. */
export interface Machine {
  /** Its name in reports: undefined for this one, a Host's name for another. */
  readonly name?: string;
  /** Remove what the stack has there and no longer declares there. */
  sweep(): Promise<number>;
  /** Make it match the lab (its closing line printed; `how`: lab.ts converge). */
  converge(how: ConvergeMode): Promise<number>;
  /** Its boot unit of the lab's record (boot.ts): written and enabled, or removed. */
  boot(on: boolean): Promise<number>;
  /** Print what is not as declared there, and what is there undeclared; 1 if anything. */
  verify(): Promise<number>;
  /** Its objects as the kernel there shows them, and what is there undeclared. */
  inspect(): Promise<{ objects: Inspected[]; extra: Extra[] }>;
  /** Expectations that start there, checked with real traffic there; outcomes in their order. */
  check(expects: readonly ExpectSpec[]): Promise<Outcome[]>;
  /** What has crossed its endpoints and links so far (none from one that does not answer). */
  counters(): Promise<Counters[]>;
}

/** This machine first, then every Host of the lab (one with nothing declared any more included). */
export function machinesOf(lab: LabFile, specs: readonly ObjectSpec[]): Machine[] {
  const elsewhere = specs.filter((s) => s.remote);
  return [
    thisMachine(
      lab,
      specs.filter((s) => !s.remote),
    ),
    ...keysByHost(lab, elsewhere).map(({ remote, keys }) =>
      hostMachine(
        lab,
        remote,
        keys,
        elsewhere.filter((s) => s.remote!.name === remote.name),
      ),
    ),
  ];
}

function thisMachine(lab: LabFile, specs: readonly ObjectSpec[]): Machine {
  return {
    sweep: async () => (await sweep(lab, specs), 0),
    converge: async (how) => (await convergeHere(lab, specs, "this machine", how), 0),
    boot: async (on) => {
      if (on) log(`stack ${lab.stack}`)(`boot: enabled ${await enableBoot(lab)}`);
      else await disableBoot(lab);
      return 0;
    },
    verify: async () => report(await verifyLab(lab, specs)),
    inspect: () => inspectLab(lab, specs),
    check: (expects) => checkExpectations(lab, expects),
    counters: () => countersHere(lab, specs),
  };
}

function hostMachine(lab: LabFile, remote: RemoteSpec, keys: string[], specs: readonly ObjectSpec[]): Machine {
  const name = remote.name;
  const lines = specs.map(localLine);
  const ask: KeysMessage = { stack: lab.stack, keys };
  /** What the stack has there and no longer declares, asked of the runner there; none from one that does not answer (its objects' own checks say so). */
  const extra = async (): Promise<Extra[]> => {
    const res = await forwardQuietly(remote, "recorded", [JSON.stringify(ask)]);
    return res.ok ? (JSON.parse(res.stdout) as Extra[]).map((e) => ({ ...e, machine: name })) : [];
  };
  return {
    name,
    sweep: () => forward(remote, "sweep", [JSON.stringify(ask)]),
    converge: (how) => {
      const head: ConvergeMessage = { stack: lab.stack, where: `host ${name}`, how };
      return forward(remote, "converge", [JSON.stringify(head), ...lines]);
    },
    boot: (on) => {
      const dir = process.env.NSLAB_SYSTEMD_DIR;
      const head: BootMessage = { stack: lab.stack, on, ...(dir ? { unitDir: dir } : {}) };
      return forward(remote, "boot", [JSON.stringify(head)]);
    },
    verify: async () => {
      const left = (await extra()).map(
        (e) => `${e.name}: extra: on host ${name}, no longer declared by stack ${lab.stack}`,
      );
      const code = specs.length ? await forward(remote, "verify", lines) : 0;
      return Math.max(report(left), code);
    },
    inspect: async () => ({
      objects: specs.length ? await inspectThere(name, remote, specs) : [],
      extra: await extra(),
    }),
    check: (expects) => checkOn(lab.stack, remote, expects),
    counters: async () => {
      const res = specs.length ? await forwardQuietly(remote, "counters", lines) : undefined;
      return res?.ok ? (JSON.parse(res.stdout) as Counters[]).map((c) => ({ ...c, machine: name })) : [];
    },
  };
}

/**
 * Expectations checked by the runner on a Host: sent without `remote` (there, they start
 * on its own machine), answered in order. A Host that cannot be reached fails them, with
 * the reason. `ask`: the ssh transport (a seam for the unit test).
 */
export async function checkOn(
  stack: string,
  remote: RemoteSpec,
  expects: readonly ExpectSpec[],
  ask: typeof forwardQuietly = forwardQuietly,
): Promise<Outcome[]> {
  const netns = (e: ExpectSpec) => (e.from as { netns: string }).netns;
  const local = expects.map((e) => ({ ...e, from: { kind: "netns" as const, netns: netns(e) } }));
  const message: CheckMessage = { stack, expect: local };
  const res = await ask(remote, "check", [JSON.stringify(message)]);
  const answered = res.ok ? (JSON.parse(res.stdout) as Outcome[]) : [];
  return expects.map((e, i) => ({
    ...(answered[i] ?? unanswered([e], res.why)[0]),
    from: `${netns(e)} on ${remote.name}`,
  }));
}

/**
 * `inspect` of one machine's objects, each marked with the machine. A machine that cannot
 * be reached shows its objects as not as declared, with the reason: the rest of the lab
 * is still shown.
 */
async function inspectThere(name: string, remote: RemoteSpec, specs: readonly ObjectSpec[]): Promise<Inspected[]> {
  const res = await forwardQuietly(remote, "inspect", specs.map(localLine));
  if (res.ok) return (JSON.parse(res.stdout) as Inspected[]).map((o) => ({ ...o, machine: name }));
  const why = res.why + (res.stderr.trim() ? `: ${res.stderr.trim().split("\n").pop()}` : "");
  return applyOrder(specs).map((s) => ({
    kind: s.kind,
    key: specKey(s),
    name: labelOf(s),
    status: "drift" as const,
    drift: [why],
    observed: {},
    machine: name,
  }));
}

export function report(drift: readonly string[]): number {
  for (const line of drift) process.stdout.write(`${line}\n`);
  return drift.length ? 1 : 0;
}
