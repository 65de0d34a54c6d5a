// Pure tier: a Scenario is checked at synth like any construct (each refusal names the
// construct, the step or prop, and the fix), and what a run measured is read from its
// probes' samples: outages, stretches between steps, recovery, the bound.
import { Testing } from "cdktf";
import {
  Check,
  ContainerNetwork,
  Expectation,
  Fault,
  LabStack,
  Scenario,
  Vantage,
  type ScenarioProps,
} from "../../constructs";
import type { ScenarioReport, ScenarioStepReport } from "../../model/reports";
import { scenarioJunit } from "../../netops/junit";
import { measure, outagesOf } from "../../netops/outages";
import { thrown } from "../helpers/thrown";

function lab() {
  const stack = new LabStack(Testing.app(), "sc");
  const net = new ContainerNetwork(stack, "N", { subnet: "10.77.0.0/24" });
  const web = net.addEndpoint("Web", { netns: "web" });
  const cli = net.addEndpoint("Cli", { netns: "cli" });
  const server = web.run("Server", { command: ["node", "server.js"] });
  const tcp = new Expectation(stack, "Tcp", { from: cli, to: web, check: Check.tcp(80) });
  return { stack, web, server, tcp };
}
const make = (extra: Partial<ScenarioProps> = {}) => {
  const l = lab();
  return { ...l, sc: new Scenario(l.stack, "F", { seconds: 5, probes: [l.tcp], ...extra }) };
};
/** Synth's validation errors, joined. */
const synthErrors = (stack: LabStack) => (thrown(() => Testing.synth(stack, true)) as Error).message;

describe("Scenario at synth", () => {
  test("GIVEN a flap THEN the lab file carries it: probes as nslab test checks them, steps in time order", () => {
    const { stack, sc, web, tcp } = make({ everyMs: 100, maxOutageMs: 3000 });
    sc.at(3, Fault.linkUp(web)).at(1, Fault.linkDown(web));
    expect(sc._spec()).toEqual({
      name: "F",
      path: "sc/F",
      seconds: 5,
      everyMs: 100,
      timeoutMs: 500,
      maxOutageMs: 3000,
      probes: [tcp._spec()],
      steps: [
        { at: 1, fault: { kind: "link", target: "web:eth0", up: false }, label: "link down sc/N/Web (web:eth0)" },
        { at: 3, fault: { kind: "link", target: "web:eth0", up: true }, label: "link up sc/N/Web (web:eth0)" },
      ],
    });
    expect(() => Testing.synth(stack, true)).not.toThrow();
  });

  test("GIVEN impair, reset, stop and start THEN each becomes its run-time change", () => {
    const { sc, web, server } = make();
    sc.at(1, Fault.impair(web, { lossPercent: 20, rateMbit: 2 }))
      .at(2, Fault.reset(web))
      .at(3, Fault.stop(server))
      .at(4, Fault.start(server));
    expect(sc._spec().steps.map((s) => [s.fault, s.label])).toEqual([
      [
        { kind: "impair", target: "web:eth0", impair: { lossPercent: 20, rateKbit: 2000 } },
        "impair loss 20%, rate 2 Mbit/s sc/N/Web (web:eth0)",
      ],
      [{ kind: "impair", target: "web:eth0", impair: null }, "reset sc/N/Web (web:eth0)"],
      [{ kind: "workload", key: "workload-Server", running: false }, "stop sc/N/Web/Server"],
      [{ kind: "workload", key: "workload-Server", running: true }, "start sc/N/Web/Server"],
    ]);
  });

  test.each([
    [
      "a step after the run",
      (s: ReturnType<typeof make>) => s.sc.at(5, Fault.linkDown(s.web)),
      /`at\(5\)`: is outside the run, which lasts 5 s\. Fix: give a time from 0 to less than 5/,
    ],
    [
      "an impair of nothing",
      (s: ReturnType<typeof make>) => s.sc.at(1, Fault.impair(s.web, {})),
      /Fault.impair is given neither loss nor rate\. Fix: give lossPercent and\/or rateMbit/,
    ],
    [
      "a delay at run time",
      (s: ReturnType<typeof make>) => s.sc.at(1, Fault.impair(s.web, { delayMs: 5 } as never)),
      /Fault.impair is given delayMs.*Fix: give lossPercent and\/or rateMbit; declare a delay/,
    ],
    [
      "a loss over 100%",
      (s: ReturnType<typeof make>) => s.sc.at(1, Fault.impair(s.web, { lossPercent: 120 })),
      /lossPercent 120 is not a share/,
    ],
    [
      "another stack's endpoint",
      (s: ReturnType<typeof make>) => s.sc.at(1, Fault.linkDown(lab().web)),
      /`at\(1\)`: sc\/N\/Web belongs to stack "sc"\. Fix: fault what this scenario's stack declares/,
    ],
  ])("GIVEN %s THEN at() refuses it, naming the step and the fix", (_, step, message) => {
    const s = make();
    const err = thrown(() => step(s));
    expect(err.message).toMatch(/^sc\/F: Scenario prop /);
    expect(err.message).toMatch(message);
  });

  test("GIVEN faults that make no sense where they fall THEN synth says which and why", () => {
    const up = make();
    up.sc.at(1, Fault.linkUp(up.web));
    expect(synthErrors(up.stack)).toMatch(
      /Scenario prop `at\(1\)`: Fault.linkUp\(sc\/N\/Web\): it is not down then\. Fix: take it down first \(Fault.linkDown\), or drop this step/,
    );
    const twice = make();
    twice.sc.at(1, Fault.stop(twice.server)).at(2, Fault.stop(twice.server));
    expect(synthErrors(twice.stack)).toMatch(/`at\(2\)`: Fault.stop\(sc\/N\/Web\/Server\): it is already stopped then/);
    const reset = make();
    reset.sc.at(1, Fault.reset(reset.web));
    expect(synthErrors(reset.stack)).toMatch(/`at\(1\)`: Fault.reset\(sc\/N\/Web\): no step impairs it before/);
  });

  test("GIVEN probes a run cannot measure THEN the Scenario refuses them", () => {
    const l = lab();
    const never = new Expectation(l.stack, "Never", {
      from: Vantage.OUTSIDE,
      to: l.web,
      check: Check.tcp(80),
      reachable: false,
    });
    expect(thrown(() => new Scenario(l.stack, "A", { seconds: 5, probes: [never] })).message).toMatch(
      /Scenario prop `probes`: sc\/Never must not be reachable.*Fix: probe expectations that must hold/,
    );
    const rate = new Expectation(l.stack, "Rate", {
      from: l.web,
      to: l.web,
      check: Check.throughput({ atLeastMbit: 1 }),
    });
    expect(thrown(() => new Scenario(l.stack, "B", { seconds: 5, probes: [rate] })).message).toMatch(
      /sc\/Rate is a throughput check/,
    );
    expect(thrown(() => new Scenario(l.stack, "C", { seconds: 5, probes: [] })).message).toMatch(/prop `probes`/);
    expect(thrown(() => new Scenario(l.stack, "D", { seconds: 5, everyMs: 5, probes: [l.tcp] })).message).toMatch(
      /prop `everyMs`: .*use a number from 20 to 60000 ms/,
    );
    new Scenario(l.stack, "Same", { seconds: 5, probes: [l.tcp] });
    new Scenario(l.stack, "Other", { seconds: 5, probes: [l.tcp], name: "Same" });
    expect(synthErrors(l.stack)).toMatch(/Scenario prop `name`: "Same" is also the name of sc\/Same/);
  });
});

describe("what a run measured", () => {
  const ok = (at: number) => ({ at, ok: true, ms: 1 });
  const lost = (at: number) => ({ at, ok: false });
  const steps: ScenarioStepReport[] = [
    { at: 1, label: "link down", appliedMs: 1000, tookMs: 20 },
    { at: 3, label: "link up", appliedMs: 3000, tookMs: 20 },
  ];
  // a probe every 500 ms: answered, lost from 1.5 s, answered again at 3.5 s
  const samples = [0, 500, 1000, 1500, 2000, 2500, 3000, 3500, 4000].map((t) =>
    t >= 1500 && t <= 3000 ? lost(t) : ok(t),
  );

  test("GIVEN a flap THEN one outage from the first lost probe to the next answered, stretches between steps, recovery from each step's end", () => {
    const r = measure({ name: "p", from: "cli", to: "web", check: "tcp/80", samples }, steps, 4500, 2500);
    expect(r.outages).toEqual([{ start: 1500, end: 3500, ms: 2000 }]);
    expect(r).toMatchObject({ sent: 9, lost: 4, longestMs: 2000, pass: true });
    // the probes sent while a step was being applied (at 1000 and 3000) count in none
    expect(r.stretches).toEqual([
      { from: 0, to: 1000, sent: 2, lost: 0 },
      { from: 1020, to: 3000, sent: 3, lost: 3 },
      { from: 3020, to: 4500, sent: 2, lost: 0 },
    ]);
    expect(r.recovery).toEqual([2480, 480]);
  });

  test("GIVEN a bound the outage breaks, or an outage to the end THEN it fails, saying why", () => {
    const r = measure({ name: "p", from: "cli", to: "web", check: "tcp/80", samples }, steps, 4500, 1000);
    expect(r).toMatchObject({ pass: false, why: "down 2.00 s from 1.50 s, longer than maxOutageMs 1000" });
    expect(outagesOf([ok(0), lost(100), lost(200)], 300)).toEqual([{ start: 100, end: null, ms: 200 }]);
  });

  test("GIVEN a run's report THEN JUnit has a testcase per probe, failed with why, and the run's error", () => {
    const probe = measure({ name: "sc/Tcp", from: "cli", to: "web", check: "tcp/80", samples }, steps, 4500, 1000);
    const report: ScenarioReport = {
      v: 1,
      stack: "sc",
      scenario: "F",
      path: "sc/F",
      startedAt: "2026-12-07T10:00:00.000Z",
      seconds: 4.5,
      everyMs: 500,
      timeoutMs: 500,
      maxOutageMs: 1000,
      steps,
      probes: [probe],
      undone: [],
      pass: false,
      error: "link up: <boom>",
    };
    const xml = scenarioJunit(report);
    expect(xml).toMatch(/<testsuites name="nslab run sc F" tests="2" failures="1" errors="1"/);
    expect(xml).toMatch(
      /<testcase classname="sc.F" name="sc\/Tcp">\n {6}<failure message="down 2.00 s from 1.50 s, longer than maxOutageMs 1000">/,
    );
    expect(xml).toMatch(/<error message="link up: &lt;boom&gt;"\/>/);
  });
});
