// Scenario: faults on a timeline (a link down and up, loss and a rate limit, a workload
// stopped and started) and Expectations probed all through it, so `nslab run` measures
// how long each probe was down and how soon it came back. Nothing here is deployed: the
// scenario travels in the lab file, and a run changes the deployed lab only for its
// duration (netops/scenario.ts undoes every fault at the end).
import { Construct } from "constructs";
import type { ObjectSpec } from "../model/schema";
import { specKey } from "../model/kinds";
import { ScenarioSpec, type FaultSpec, type StepSpec } from "../model/scenario-spec";
import { Endpoint } from "./endpoint";
import { message, refuse, type Broken } from "./errors";
import { Expectation } from "./expectation";
import { LabStack } from "./lab-stack";
import { checkProps } from "./props";
import { VethLink } from "./veth-link";
import { Workload } from "./workload";

/** What a fault acts on: a link (an endpoint's veth, or a VethLink), or a workload. */
export type FaultTarget = Endpoint | VethLink | Workload;

/** Loss and a rate limit set on a link during a run (a delay is a lab object: declare it and deploy). */
export interface FaultImpairment {
  /** Packets dropped, each way, in percent. */
  readonly lossPercent?: number;
  /** A rate limit, each way, in Mbit/s. */
  readonly rateMbit?: number;
}

/** One change a Scenario makes at its time. */
export class Fault {
  /** Both ends of the link down (the kernel drops the routes through it). */
  static linkDown(link: Endpoint | VethLink): Fault {
    return new Fault("linkDown", link);
  }
  /** Both ends up again, with the routes through it put back. */
  static linkUp(link: Endpoint | VethLink): Fault {
    return new Fault("linkUp", link);
  }
  /** Loss and/or a rate limit on the link, each way (as `nslab impair` sets them). */
  static impair(link: Endpoint | VethLink, impairment: FaultImpairment): Fault {
    return new Fault("impair", link, impairment);
  }
  /** The link's loss and rate back as declared. */
  static reset(link: Endpoint | VethLink): Fault {
    return new Fault("reset", link);
  }
  /** The workload's process group ended. */
  static stop(workload: Workload): Fault {
    return new Fault("stop", workload);
  }
  /** The workload started again, as deployed. */
  static start(workload: Workload): Fault {
    return new Fault("start", workload);
  }
  private constructor(
    readonly kind: "linkDown" | "linkUp" | "impair" | "reset" | "stop" | "start",
    readonly target: FaultTarget,
    readonly impairment?: FaultImpairment,
  ) {}
}

export interface ScenarioProps {
  /** How long a run lasts, in seconds. */
  readonly seconds: number;
  /**
   * How often each probe is sent, in ms: an outage is known to within this on each edge.
   * @default 200
   */
  readonly everyMs?: number;
  /**
   * How long a probe waits for its answer before it counts as lost, in ms.
   * @default 500
   */
  readonly timeoutMs?: number;
  /**
   * Expectations of this stack that must hold (reachable), probed all through the run from
   * where each starts (on a Host, by its runner there: the machines' clocks must agree).
   */
  readonly probes: readonly Expectation[];
  /**
   * The longest a probe may be down, in ms: a longer outage fails the run.
   * @default - no bound: the run measures
   */
  readonly maxOutageMs?: number;
  /**
   * What `nslab run <stack> <name>` calls it.
   * @default - the construct id
   */
  readonly name?: string;
}

const KIND = "Scenario";
const DEFAULT_EVERY_MS = 200;
/** Under TCP's first SYN retransmission (1 s): a probe's own retry never hides an outage. */
const DEFAULT_TIMEOUT_MS = 500;
/** The prop counts Mbit/s, the spec kbit/s (as LinkImpairment). */
const KBIT_PER_MBIT = 1000;

const isLink = (t: FaultTarget): t is Endpoint | VethLink => t instanceof Endpoint || t instanceof VethLink;
const seconds = (s: number) => `${s} s`;

export class Scenario extends Construct {
  readonly name: string;
  private readonly props: ScenarioProps;
  private readonly steps: { at: number; fault: Fault }[] = [];

  constructor(scope: Construct, id: string, props: ScenarioProps) {
    super(scope, id);
    const stack = LabStack.of(this);
    checkProps(this, "Scenario", { ...props, name: props.name ?? id });
    this.props = props;
    this.name = props.name ?? id;
    refuse(this, KIND, [...props.probes.map((p) => () => this.probeRule(p, stack))]);
    stack._addScenario(this);
    this.node.addValidation({ validate: () => [...this.sameName(stack), ...this.timeline()] });
  }

  /** Apply `fault` `second` seconds after the run starts (steps at one time apply in the order given). */
  at(second: number, fault: Fault): this {
    const prop = `at(${second})`;
    refuse(this, KIND, [
      () => !(fault instanceof Fault) && { prop, problem: "is given no Fault", fix: "e.g. at(1, Fault.linkDown(web))" },
      () =>
        !(Number.isFinite(second) && second >= 0 && second < this.props.seconds) && {
          prop,
          problem: `is outside the run, which lasts ${seconds(this.props.seconds)}`,
          fix: `give a time from 0 to less than ${this.props.seconds}, or make seconds longer`,
        },
      () =>
        !(isLink(fault.target) || (fault.target as unknown) instanceof Workload) && {
          prop,
          problem: `Fault.${fault.kind} is given ${String(fault.target)}`,
          fix: "give an Endpoint or a VethLink (links), or a Workload (stop, start)",
        },
      () =>
        LabStack.of(fault.target) !== LabStack.of(this) && {
          prop,
          problem: `${fault.target.node.path} belongs to stack "${LabStack.of(fault.target).node.id}"`,
          fix: "fault what this scenario's stack declares",
        },
      () => fault.kind === "impair" && this.impairmentRule(prop, fault.impairment),
    ]);
    this.steps.push({ at: second, fault });
    return this;
  }

  /** A probe: an expectation of this stack that must hold (from any machine: a Host's runner probes there). */
  private probeRule(p: Expectation, stack: LabStack): Broken | false {
    const prop = "probes";
    if (!((p as unknown) instanceof Expectation))
      return { prop, problem: `${String(p)} is not an Expectation`, fix: "give Expectations of this stack" };
    if (LabStack.of(p) !== stack)
      return {
        prop,
        problem: `${p.node.path} belongs to stack "${LabStack.of(p).node.id}"`,
        fix: "probe this stack's expectations",
      };
    const spec = p._spec();
    if (spec.check === "throughput")
      return {
        prop,
        problem: `${p.node.path} is a throughput check, which takes seconds to measure`,
        fix: "probe a ping, TCP or UDP expectation",
      };
    return (
      !p.reachable && {
        prop,
        problem: `${p.node.path} must not be reachable, and a probe measures when what must answer does not`,
        fix: "probe expectations that must hold (reachable)",
      }
    );
  }

  private impairmentRule(prop: string, imp: FaultImpairment | undefined): Broken | false {
    const { lossPercent, rateMbit } = imp ?? {};
    const extra = Object.keys(imp ?? {}).filter((k) => k !== "lossPercent" && k !== "rateMbit");
    if (extra.length)
      return {
        prop,
        problem: `Fault.impair is given ${extra.join(", ")}, and a run changes loss and rate only (a delay is a lab object)`,
        fix: "give lossPercent and/or rateMbit; declare a delay as the link's impairment and deploy",
      };
    if (lossPercent === undefined && rateMbit === undefined)
      return { prop, problem: "Fault.impair is given neither loss nor rate", fix: "give lossPercent and/or rateMbit" };
    if (lossPercent !== undefined && !(lossPercent >= 0 && lossPercent <= 100))
      return { prop, problem: `lossPercent ${lossPercent} is not a share`, fix: "give a number from 0 to 100" };
    if (rateMbit !== undefined && !(rateMbit * KBIT_PER_MBIT >= 8 && rateMbit <= 100_000))
      return { prop, problem: `rateMbit ${rateMbit} is out of range`, fix: "give a number from 0.008 to 100000" };
    return false;
  }

  private sameName(stack: LabStack): string[] {
    const same = stack.membersOf(Scenario).find((s) => s.name === this.name && s !== this);
    return same
      ? [
          message(
            KIND,
            "name",
            `"${this.name}" is also the name of ${same.node.path}`,
            "give each scenario its own name",
          ),
        ]
      : [];
  }

  /** The steps in the order they apply: by time, then as given. */
  private ordered(): { at: number; fault: Fault }[] {
    return this.steps.map((s, i) => ({ ...s, i })).sort((a, b) => a.at - b.at || a.i - b.i);
  }

  /**
   * Each fault makes sense where it falls: a link goes down only when up and up only when
   * down, a reset follows an impair, a workload stops only when running and starts only
   * when stopped (as the scenario left each; every one starts as deployed).
   */
  private timeline(): string[] {
    const down = new Set<FaultTarget>();
    const impaired = new Set<FaultTarget>();
    const stopped = new Set<FaultTarget>();
    const wrong = (at: number, f: Fault, problem: string, fix: string) =>
      message(KIND, `at(${at})`, `Fault.${f.kind}(${f.target.node.path}): ${problem}`, fix);
    for (const { at, fault: f } of this.ordered()) {
      const t = f.target;
      const flip = (set: Set<FaultTarget>, on: boolean, was: string, fix: string) => {
        if (set.has(t) === on) return wrong(at, f, was, fix);
        if (on) set.add(t);
        else set.delete(t);
        return undefined;
      };
      const broken =
        f.kind === "linkDown"
          ? flip(down, true, "it is already down then", "bring it up first (Fault.linkUp)")
          : f.kind === "linkUp"
            ? flip(down, false, "it is not down then", "take it down first (Fault.linkDown), or drop this step")
            : f.kind === "stop"
              ? flip(stopped, true, "it is already stopped then", "start it first (Fault.start)")
              : f.kind === "start"
                ? flip(stopped, false, "it is running then", "stop it first (Fault.stop), or drop this step")
                : f.kind === "reset"
                  ? flip(
                      impaired,
                      false,
                      "no step impairs it before",
                      "impair it first (Fault.impair), or drop this step",
                    )
                  : (impaired.add(t), undefined);
      if (broken) return [broken];
    }
    return [];
  }

  /** @internal The spec `nslab run` runs (model/scenario-spec.ts). */
  _spec(): ScenarioSpec {
    const { seconds: s, everyMs = DEFAULT_EVERY_MS, timeoutMs = DEFAULT_TIMEOUT_MS, maxOutageMs } = this.props;
    return ScenarioSpec.parse({
      name: this.name,
      path: this.node.path,
      seconds: s,
      everyMs,
      timeoutMs,
      ...(maxOutageMs !== undefined ? { maxOutageMs } : {}),
      probes: this.props.probes.map((p) => p._spec()),
      steps: this.ordered().map(({ at, fault }) => stepOf(at, fault)),
    });
  }
}

/** A fault as the runner takes it: a link by the name `nslab link` takes, a workload by its key. */
function stepOf(at: number, f: Fault): StepSpec {
  const t = f.target;
  if (t instanceof Workload) {
    const running = f.kind === "start";
    return {
      at,
      fault: { kind: "workload", key: specKey(t.resource.objectSpec), running },
      label: `${running ? "start" : "stop"} ${t.node.path}`,
    };
  }
  const target = placeOf(t.resource.objectSpec);
  const fault: FaultSpec =
    f.kind === "linkDown" || f.kind === "linkUp"
      ? { kind: "link", target, up: f.kind === "linkUp" }
      : {
          kind: "impair",
          target,
          impair:
            f.kind === "reset"
              ? null
              : {
                  ...(f.impairment?.lossPercent !== undefined ? { lossPercent: f.impairment.lossPercent } : {}),
                  ...(f.impairment?.rateMbit !== undefined
                    ? { rateKbit: Math.round(f.impairment.rateMbit * KBIT_PER_MBIT) }
                    : {}),
                },
        };
  const what =
    fault.kind === "link"
      ? `link ${fault.up ? "up" : "down"}`
      : fault.impair
        ? `impair ${[
            fault.impair.lossPercent !== undefined && `loss ${fault.impair.lossPercent}%`,
            f.impairment?.rateMbit !== undefined && `rate ${f.impairment.rateMbit} Mbit/s`,
          ]
            .filter(Boolean)
            .join(", ")}`
        : "reset";
  return { at, fault, label: `${what} ${t.node.path} (${target})` };
}

/** The name `nslab link` and `nslab impair` take for an endpoint's veth or a link (its first end), on its machine. */
function placeOf(s: ObjectSpec): string {
  const end =
    s.kind === "endpoint" ? `${s.netns}:${s.ifname}` : s.kind === "link" ? `${s.a.netns ?? "host"}:${s.a.ifname}` : "";
  return s.remote ? `${end}@${s.remote.name}` : end;
}
