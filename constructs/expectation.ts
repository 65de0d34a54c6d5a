// Expectation: what must (or must not) be reachable in the lab, checked with real traffic
// by `nslab test` and, when the stack opts in (LabStack testOnDeploy), at the end of
// every deploy. From an endpoint, a sandbox, the host, or outside (a probe namespace the
// test joins to the host, as a client on the LAN would be); to an endpoint, an address, a
// name in the source's /etc/hosts, or a published port.
import leven from "leven";
import { checkProps } from "./props";
import { Construct } from "constructs";
import type { ContainerNetwork } from "./container-network";
import { Endpoint } from "./endpoint";
import type { Host } from "./host";
import { message, refuse, type Broken } from "./errors";
import { canonical, familyOf } from "./ipam";
import { LabStack } from "./lab-stack";
import { PortMapping } from "./port-mapping";
import { Sandbox } from "./sandbox";

/** A throughput check's bounds and duration (Check.throughput). */
export interface ThroughputProps {
  /** The rate TCP must get through at least, in Mbit/s. */
  readonly atLeastMbit?: number;
  /** The rate TCP must get through at most, in Mbit/s (a declared rate limit holds). */
  readonly atMostMbit?: number;
  /**
   * How long the sender sends.
   * @default 2
   */
  readonly seconds?: number;
}

/** How to check: a ping, a TCP connection, an answer to a UDP datagram, or the rate TCP gets through. */
export class Check {
  static ping(): Check {
    return new Check("ping");
  }
  /** A TCP connection is accepted. The port may be left out when the target is a port mapping. */
  static tcp(port?: number): Check {
    return new Check("tcp", port);
  }
  /** A datagram gets an answer. The port may be left out when the target is a port mapping. */
  static udp(port?: number): Check {
    return new Check("udp", port);
  }
  /**
   * The rate one TCP connection gets through, measured by the runner's own sender (and,
   * to an endpoint, its own receiver, started there for the check): to an endpoint, or
   * to a published port, whose server must read what it is sent. Give one bound or both.
   */
  static throughput(props: ThroughputProps): Check {
    return new Check("throughput", undefined, props);
  }
  private constructor(
    readonly kind: "ping" | "tcp" | "udp" | "throughput",
    readonly port?: number,
    readonly rate?: ThroughputProps,
  ) {}
}

const DEFAULT_RATE_SECONDS = 2;

/** Where a check starts when it is neither an endpoint nor a sandbox. */
export class Vantage {
  /** The host itself (the sandbox host when there is one). */
  static readonly HOST = new Vantage("host");
  /** A client outside the host, on its LAN: reaches the lab only through published ports. */
  static readonly OUTSIDE = new Vantage("outside");
  private constructor(readonly kind: "host" | "outside") {}
}

export interface ExpectationProps {
  /** Where the check starts. */
  readonly from: Endpoint | Sandbox | Vantage;
  /**
   * What it reaches: an endpoint (its address), an IPv4 address, a name the source
   * resolves (an endpoint's namespace name, from its /etc/hosts), or a published port
   * (its host port, on the address the source would use: the network's gateway from an
   * endpoint, 127.0.0.1 from the host, the host's LAN address from outside), or
   * Vantage.HOST (the host's own address, as the source would use it, on check's port).
   */
  readonly to: Endpoint | PortMapping | Vantage | string;
  /** @default Check.ping(); for a port mapping, its protocol on its host port */
  readonly check?: Check;
  /**
   * Whether it must be reachable (true) or must not be (false: no answer to a ping, no
   * connection accepted, no UDP answer).
   * @default true
   */
  readonly reachable?: boolean;
}

const KIND = "Expectation";
const isIP = (s: string) => familyOf(s) !== null;
/** A network's gateway the host is reached by: IPv4's, else (or when asked) IPv6's. */
const gatewayOf = (n: ContainerNetwork, six: boolean) => (six ? n.ipv6Gateway : (n.gateway ?? n.ipv6Gateway));

const where = (h: Host | undefined) => (h ? h.node.path : "this machine");

export class Expectation extends Construct {
  readonly reachable: boolean;
  private readonly props: ExpectationProps;

  constructor(scope: Construct, id: string, props: ExpectationProps) {
    super(scope, id);
    const stack = LabStack.of(this);
    checkProps(this, "Expectation", props);
    this.props = props;
    this.reachable = props.reachable ?? true;
    refuse(this, KIND, [...this.placeRules(), ...this.checkRules(), ...this.stackRules(stack)]);
    stack._addExpectation(this);
    this.node.addValidation({ validate: () => this.sourceErrors() });
  }

  /** Where it starts and goes: places it can reach (a published port from its own machine). */
  private placeRules(): (() => Broken | false | undefined)[] {
    const { from, to, check } = this.props;
    // a published port is reached through the host it is published on: from a namespace
    // there, or (this machine's) from this machine and outside
    const source = from instanceof Sandbox || from instanceof Endpoint ? from.host : undefined;
    const mapping = to instanceof PortMapping ? to : undefined;
    const throughput = check?.kind === "throughput";
    return [
      () =>
        (mapping || to === Vantage.HOST) &&
        mapping?.endpoint.host !== source && {
          prop: "to",
          problem: `is ${mapping ? `published on ${where(mapping.endpoint.host)}` : "this machine"}, and the check starts on ${where(source)}`,
          fix: "start it from that machine (a namespace there), or give the host's address and port",
        },
      () =>
        to === Vantage.OUTSIDE && {
          prop: "to",
          problem: "is Vantage.OUTSIDE, which is only a place to start from",
          fix: "check from Vantage.OUTSIDE instead, or give an address",
        },
      // a throughput check: to an endpoint on the source's machine or a TCP published port (its bounds: checkProps)
      () =>
        throughput &&
        !(to instanceof Endpoint) &&
        !mapping && {
          prop: "to",
          problem: "is not an endpoint or a published port, and Check.throughput measures to one of those",
          fix: "give the endpoint (the runner starts its own receiver there) or a PortMapping whose server reads",
        },
      () =>
        throughput &&
        to instanceof Endpoint &&
        to.host !== source && {
          prop: "to",
          problem: `is on ${where(to.host)}, and the check starts on ${where(source)}`,
          fix: "measure between two endpoints of one machine (the receiver is started where the target is)",
        },
    ];
  }

  /** Its check, as its target takes it: a published port's protocol and port, else a port to check. */
  private checkRules(): (() => Broken | false | undefined)[] {
    const { to, check } = this.props;
    const mapping = to instanceof PortMapping ? to : undefined;
    if (check?.kind === "throughput")
      return [
        () =>
          mapping?.protocol === "udp" && {
            prop: "check",
            problem: `is Check.throughput, which measures TCP, but ${mapping.node.path} publishes udp`,
            fix: "check a TCP port",
          },
      ];
    return [
      () =>
        mapping &&
        check &&
        check.kind !== mapping.protocol && {
          prop: "check",
          problem: `is ${check.kind}, but ${mapping.node.path} publishes ${mapping.protocol}`,
          fix: `leave check out, or use Check.${mapping.protocol}()`,
        },
      () =>
        mapping &&
        check?.port !== undefined &&
        check.port !== mapping.hostPort && {
          prop: "check",
          problem: `names port ${check.port}, but ${mapping.node.path} publishes ${mapping.hostPort}`,
          fix: "leave the port out: the mapping's host port is used",
        },
      () =>
        !mapping &&
        check &&
        check.kind !== "ping" &&
        check.port === undefined && {
          prop: "check",
          problem: `Check.${check.kind}() needs a port here`,
          fix: `e.g. Check.${check.kind}(80)`,
        },
    ];
  }

  /** What it names is in its own stack. */
  private stackRules(stack: LabStack): (() => Broken | false | undefined)[] {
    return (["from", "to"] as const).map((prop) => () => {
      const c = this.props[prop];
      return (
        c instanceof Construct &&
        LabStack.of(c) !== stack && {
          prop,
          problem: `${c.node.path} belongs to stack "${LabStack.of(c).node.id}", not "${stack.node.id}"`,
          fix: "expect within one stack",
        }
      );
    });
  }

  private sourceErrors(): string[] {
    const { from, to } = this.props;
    if (typeof to === "string" && !isIP(to) && (from instanceof Endpoint || from instanceof Sandbox)) {
      // a bare name resolves through the namespace's hosts file (synth/aggregates.ts namesOf):
      // one it does not list fails only when `nslab test` runs, as a resolver's error
      const names = this.namesIn(from.netns);
      if (!names.includes(to))
        return [
          message(
            KIND,
            "to",
            `"${to}" is no name ${from.netns} resolves: its hosts file lists the endpoints of its networks`,
            names.length
              ? `name one of them (nearest first): ${[...names].sort((a, b) => leven(to, a) - leven(to, b) || a.localeCompare(b)).join(", ")}; or give an address`
              : `${from.netns} is on no network: give an address`,
          ),
        ];
    }
    if ((to instanceof PortMapping || to === Vantage.HOST) && from instanceof Sandbox && !this.sandboxGateway(from))
      return [
        message(
          KIND,
          "from",
          `${from.node.path} has no endpoint that routes by default, so no gateway to reach ${to instanceof PortMapping ? to.node.path : "the host"} by`,
          "set defaultRoute on one of its endpoints, or start from an endpoint",
        ),
      ];
    return [];
  }

  /** The names a namespace's hosts file lists: every endpoint of the networks it is on. */
  private namesIn(netns: string): string[] {
    const endpoints = LabStack.of(this).membersOf(Endpoint);
    const networks = new Set(endpoints.filter((e) => e.netns === netns).map((e) => e.network));
    return [...new Set(endpoints.filter((e) => networks.has(e.network)).map((e) => e.netns))];
  }

  private sandboxGateway(sb: Sandbox, six = false): string | undefined {
    const net = LabStack.of(this)
      .membersOf(Endpoint)
      .find((e) => e.sandbox === sb && e.defaultRoute)?.network;
    return net && gatewayOf(net, six);
  }

  /**
   * The families a check from outside goes over: those a port mapping publishes on (its
   * endpoint's), or for the host itself those of the stack's endpoints (IPv4 when none).
   */
  private outsideFamilies(to: PortMapping | Vantage): (4 | 6)[] {
    const eps = to instanceof PortMapping ? [to.endpoint] : LabStack.of(this).membersOf(Endpoint);
    const six = eps.some((e) => e.ipv6Address);
    return eps.some((e) => e.address) || !six ? (six ? [4, 6] : [4]) : [6];
  }

  /** @internal The spec `nslab test` checks (model/schema.ts ExpectSpec). */
  _spec() {
    const { from, to } = this.props;
    const source =
      from instanceof Vantage
        ? { kind: from.kind }
        : { kind: "netns" as const, netns: from.netns, ...(from.host ? { remote: from.host.remote } : {}) };
    const check = this.props.check ?? (to instanceof PortMapping ? Check[to.protocol]() : Check.ping());
    let target:
      { kind: "address"; address: string } | { kind: "name"; name: string } | { kind: "host"; families?: (4 | 6)[] };
    let label: string;
    let port = check.port;
    if (to instanceof PortMapping || to instanceof Vantage) {
      if (to instanceof PortMapping) port = to.hostPort;
      label =
        to instanceof PortMapping ? `${to.hostIp ?? "host"}:${to.hostPort}/${to.protocol} (${to.node.path})` : "host";
      // the host as the source reaches it: its loopback, the gateway of the source's
      // network, or (from outside) its LAN address, known when the test runs; over IPv6
      // when the mapping's endpoint has no IPv4 (and the host's IPv6 loopback is never
      // DNAT'd: the gateway of the endpoint's own network then)
      const six = to instanceof PortMapping && !to.endpoint.address;
      const address =
        (to instanceof PortMapping ? to.hostIp : undefined) ??
        (from === Vantage.OUTSIDE
          ? undefined
          : from === Vantage.HOST
            ? six
              ? (to as PortMapping).endpoint.network.ipv6Gateway
              : "127.0.0.1"
            : from instanceof Endpoint
              ? gatewayOf(from.network, six)
              : this.sandboxGateway(from as Sandbox, six)!);
      const families = this.outsideFamilies(to);
      // IPv4 alone is what the runner assumes: lab files of IPv4 labs stay as they were
      target = address
        ? { kind: "address", address }
        : { kind: "host", ...(families.join() === "4" ? {} : { families }) };
    } else if (to instanceof Endpoint) {
      // its IPv4 address when it has one (ping and connect pick the family from the address)
      const address = to.addresses[0];
      target = { kind: "address", address };
      label = `${to.netns} (${address})`;
    } else {
      target = isIP(to) ? { kind: "address", address: canonical(to) } : { kind: "name", name: to };
      label = to;
    }
    const rate = check.rate;
    return {
      name: this.node.path,
      from: source,
      to: target,
      label,
      check: check.kind,
      ...(check.kind === "ping" || port === undefined ? {} : { port }),
      reachable: this.reachable,
      ...(rate
        ? {
            rate: {
              ...(rate.atLeastMbit !== undefined ? { atLeastMbit: rate.atLeastMbit } : {}),
              ...(rate.atMostMbit !== undefined ? { atMostMbit: rate.atMostMbit } : {}),
              seconds: rate.seconds ?? DEFAULT_RATE_SECONDS,
            },
          }
        : {}),
      ...(rate && to instanceof Endpoint ? { sink: to.netns } : {}),
    };
  }
}
