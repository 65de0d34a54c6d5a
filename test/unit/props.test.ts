// Pure tier: every construct's props go through one schema (constructs/props.ts), which
// refuses a prop the construct does not have (a misspelled optional prop would otherwise
// be ignored, and the lab deployed without it), naming the nearest one it has.
import { Testing } from "cdktf";
import type { Construct } from "constructs";
import {
  Check,
  ContainerNetwork,
  Endpoint,
  Expectation,
  Host,
  LabStack,
  type LabStackProps,
  PortMapping,
  Route,
  Sandbox,
  Scenario,
  VethLink,
  Workload,
} from "../../constructs";
import { PROPS, type PropsKind } from "../../constructs/props";
import { thrown } from "../helpers/thrown";

type Extra = Record<string, unknown>;
const stack = () => new LabStack(Testing.app(), "p");
const net = (s: LabStack) => new ContainerNetwork(s, "N", { subnet: "10.77.0.0/24" });

/** Each construct made with valid props and `extra` besides: typed over every kind of props, so a new one needs its line. */
const MAKE: { readonly [K in PropsKind]: (extra: Extra) => Construct } = {
  ContainerNetwork: (x) => new ContainerNetwork(stack(), "N", { subnet: "10.77.0.0/24", ...x }),
  Endpoint: (x) => {
    const s = stack();
    return new Endpoint(s, "E", { network: net(s), ...x });
  },
  PortMapping: (x) => {
    const s = stack();
    return new PortMapping(s, "P", { endpoint: net(s).addEndpoint("E"), hostPort: 8080, ...x });
  },
  Workload: (x) => new Workload(stack(), "W", { command: ["true"], ...x }),
  Sandbox: (x) => new Sandbox(stack(), "S", { ...x }),
  VethLink: (x) => {
    const s = stack();
    return new VethLink(s, "L", {
      a: { sandbox: new Sandbox(s, "S"), interfaceName: "v0" },
      b: { interfaceName: "v1" },
      ...x,
    });
  },
  Route: (x) => new Route(stack(), "R", { destination: "10.9.0.0/24", via: "10.77.0.1", ...x }),
  Expectation: (x) => {
    const s = stack();
    return new Expectation(s, "X", { from: net(s).addEndpoint("E"), to: "10.77.0.1", ...x });
  },
  Scenario: (x) => {
    const s = stack();
    const probe = new Expectation(s, "X", { from: net(s).addEndpoint("E"), to: "10.77.0.1" });
    return new Scenario(s, "F", { seconds: 2, probes: [probe], ...x });
  },
  Host: (x) => new Host(stack(), "H", { address: "10.0.0.2", ...x }),
  LabStack: (x) => new LabStack(Testing.app(), "p", { ...x }),
};
const kinds = Object.keys(PROPS) as PropsKind[];

test.each(kinds)("GIVEN %s with valid props THEN it is made", (kind) => {
  expect(() => MAKE[kind]({})).not.toThrow();
});

test.each(kinds)("GIVEN %s with a misspelled prop THEN refused: the prop, no such prop, the one meant", (kind) => {
  const [meant] = Object.keys(PROPS[kind].shape).filter((k) => k.length > 3);
  const typo = `${meant}x`;
  expect(thrown(() => MAKE[kind]({ [typo]: true })).message).toMatch(
    new RegExp(`: ${kind} prop \`${typo}\`: no such prop of ${kind}\\. Fix: did you mean \`${meant}\`\\?$`),
  );
});

test.each(kinds.filter((k) => k !== "LabStack"))(
  "GIVEN %s with a prop it has nothing like THEN refused, with its props listed",
  (kind) => {
    expect(thrown(() => MAKE[kind]({ color: "blue" })).message).toMatch(
      new RegExp(`: ${kind} prop \`color\`: no such prop of ${kind}\\. Fix: remove it; the props there are \``),
    );
  },
);

test("GIVEN internall: true on a ContainerNetwork THEN the did-you-mean message, and nothing made", () => {
  const s = stack();
  expect(() => new ContainerNetwork(s, "Net", { subnet: "10.77.0.0/24", internall: true } as never)).toThrow(
    "p/Net: ContainerNetwork prop `internall`: no such prop of ContainerNetwork. Fix: did you mean `internal`?",
  );
  expect(s.node.findAll().some((c) => c.node.id === "Net" && c.node.children.length > 0)).toBe(false);
});

test("GIVEN a misspelled prop inside a prop THEN its path, and the nearest there", () => {
  const s = stack();
  expect(() => net(s).addEndpoint("E", { impairment: { delayms: 5 } as never })).toThrow(
    "p/N/E: Endpoint prop `impairment.delayms`: no such prop of Endpoint. Fix: did you mean `delayMs`?",
  );
  expect(() => Check.throughput({ atleastMbit: 5 } as never)).not.toThrow(); // a Check is checked where it is used
  expect(
    () =>
      new Expectation(s, "X", {
        from: net(stack()).addEndpoint("A"),
        to: "10.77.0.1",
        check: Check.throughput({ atleastMbit: 5 } as never),
      }),
  ).toThrow(
    /Expectation prop `check.rate.atleastMbit`: no such prop of Expectation. Fix: did you mean `atLeastMbit`\?/,
  );
});

test("GIVEN a missing required prop THEN it is named", () => {
  expect(() => new Host(stack(), "H", {} as never)).toThrow("p/H: Host prop `address`: is missing.");
  expect(() => new Workload(stack(), "W", {} as never)).toThrow(
    /Workload prop `command`: is missing\. Fix: give the program/,
  );
});

test("GIVEN a value of the wrong type THEN what it is and what it must be", () => {
  expect(() => new ContainerNetwork(stack(), "N", { subnet: "10.77.0.0/24", mtu: "1500" } as never)).toThrow(
    'p/N: ContainerNetwork prop `mtu`: "1500" is a string, not a number. Fix: use a whole number from 68 to 65535.',
  );
});

test("GIVEN a LabStack subclass with props of its own THEN they pass; a near miss of a LabStack prop does not", () => {
  class MyStack extends LabStack {
    constructor(scope: Construct, props: LabStackProps & { addresses: string[] }) {
      super(scope, "mine", props);
    }
  }
  expect(() => new MyStack(Testing.app(), { addresses: ["10.0.0.1"] })).not.toThrow();
  expect(() => new MyStack(Testing.app(), { addresses: [], firewal: "nftables" } as never)).toThrow(
    "mine: LabStack prop `firewal`: no such prop of LabStack. Fix: did you mean `firewall`?",
  );
});
