// Each construct's props as a schema: the one path every prop is checked by before a
// constructor reads it. A prop the construct does not have is refused with the nearest
// one it has (a misspelled optional prop would otherwise be ignored, and the lab deployed
// without it); a missing one is named; a value of the wrong type or out of its range is
// said with its range, read from the same limits the spec's schema has (model/fields.ts).
// What a constructor still checks by hand is a rule across props or objects.
import type { Construct } from "constructs";
import leven from "leven";
import { z } from "zod";
import { bounded } from "../model/fields";
import { violationsOf } from "../model/limits";
import { SCENARIO_LIMITS } from "../model/scenario-spec";
import { NslabValidationError, type Broken } from "./errors";
import { familyOf, parseSubnet } from "./ipam";
import { Execution, Firewall, ResourceType } from "./resource-type";
import {
  absolutePath,
  addressOf,
  addressWithPrefix,
  bool,
  check,
  command,
  construct,
  destination,
  fileName,
  hostAddress,
  hostIp,
  impairment,
  ipAddress,
  kernelName,
  mac,
  mtu,
  nameservers,
  object,
  oneOf,
  port,
  sandboxHostName,
  subnet,
  target,
  text,
  userName,
  vni,
} from "./prop-values";
import type { ContainerNetworkProps } from "./container-network";
import type { EndpointProps } from "./endpoint";
import type { ExpectationProps } from "./expectation";
import type { HostProps } from "./host";
import type { LabStackProps } from "./lab-stack";
import type { PortMappingProps } from "./port-mapping";
import type { RouteProps } from "./route";
import type { SandboxProps } from "./sandbox";
import type { ScenarioProps } from "./scenario";
import type { VethLinkProps } from "./veth-link";
import type { WorkloadProps } from "./workload";

/** A Scenario's number, with its range (model/scenario-spec.ts). */
const scenarioBound = (key: keyof typeof SCENARIO_LIMITS, unit: string, eg: string) =>
  bounded(SCENARIO_LIMITS[key]).describe(
    `use a number from ${SCENARIO_LIMITS[key].min} to ${SCENARIO_LIMITS[key].max} ${unit} (${eg})`,
  );

/** A construct's props: their schemas, and the rules across them (the first broken one is said). */
const props = <S extends z.ZodRawShape>(
  shape: S,
  rules: (p: z.output<z.ZodObject<S>>) => readonly (Broken | false | undefined)[] = () => [],
) => ({ shape, rules: rules as (p: unknown) => readonly (Broken | false | undefined)[] });

const vethLinkEnd = z
  .object({
    sandbox: construct("a Sandbox").optional(),
    interfaceName: kernelName,
    address: addressWithPrefix.optional(),
  })
  .strict();
const tunnelAddress = (fix: string) => ipAddress(fix);

/** Every construct's props, by the name messages give it (a helper's options, e.g. network.endpoint's, are its construct's). */
export const PROPS = {
  ContainerNetwork: props(
    {
      subnet: subnet(4).optional(),
      ipv6Subnet: subnet(6).optional(),
      ipv6Gateway: text.optional(),
      ipv6Masquerade: bool.optional(),
      bridgeName: kernelName.optional(),
      gateway: text.optional(),
      mtu: mtu.optional(),
      masquerade: bool.optional(),
      icc: bool.optional(),
      internal: bool.optional(),
      hosts: z.array(construct("Hosts, or the LabStack for this machine")).optional(),
      vni: vni.optional(),
      vxlanPort: port.optional(),
    },
    (p) => [
      p.subnet === undefined &&
        p.ipv6Subnet === undefined && {
          prop: "subnet",
          problem: "is missing, as is ipv6Subnet",
          fix: 'give an IPv4 subnet (e.g. "192.168.88.0/24"), an ipv6Subnet (e.g. "fd00:88::/64") or both',
        },
      p.subnet === undefined &&
        p.gateway !== undefined && {
          prop: "gateway",
          problem: "is set on a network without an IPv4 subnet",
          fix: "set subnet, or use ipv6Gateway",
        },
      p.ipv6Subnet === undefined &&
        p.ipv6Gateway !== undefined && {
          prop: "ipv6Gateway",
          problem: "is set on a network without an ipv6Subnet",
          fix: "set ipv6Subnet too",
        },
    ],
  ),
  Endpoint: props(
    {
      network: construct("the ContainerNetwork it joins"),
      address: addressOf(4).optional(),
      ipv6Address: addressOf(6).optional(),
      netns: kernelName.optional(),
      interfaceName: kernelName.optional(),
      hostInterfaceName: kernelName.optional(),
      mac: mac.optional(),
      sandbox: construct("a Sandbox").optional(),
      defaultRoute: bool.optional(),
      nameservers: nameservers.optional(),
      impairment: impairment.optional(),
      host: construct("a Host").optional(),
    },
    (p) => [
      p.sandbox &&
        p.netns !== undefined && {
          prop: "netns",
          problem: "is given together with sandbox",
          fix: "leave netns out: the endpoint joins the sandbox's namespace",
        },
      p.sandbox &&
        p.nameservers !== undefined && {
          prop: "nameservers",
          problem: "is set on an endpoint in a sandbox",
          fix: "set nameservers on the Sandbox: the namespace is its",
        },
    ],
  ),
  PortMapping: props(
    {
      endpoint: construct("the Endpoint it publishes"),
      hostPort: port,
      containerPort: port.optional(),
      hostPortEnd: port.optional(),
      protocol: oneOf({ TCP: "tcp", UDP: "udp" }, "Protocol", "supported").optional(),
      hostIp: hostIp.optional(),
    },
    (p) => [
      p.hostPortEnd !== undefined &&
        p.hostPortEnd <= p.hostPort && {
          prop: "hostPortEnd",
          problem: `${p.hostPortEnd} is not above hostPort ${p.hostPort}`,
          fix: "give the last port of the range, above hostPort, or leave it out",
        },
      p.hostPortEnd !== undefined &&
        p.containerPort !== undefined &&
        p.containerPort !== p.hostPort && {
          prop: "containerPort",
          problem: `${p.containerPort} differs from hostPort ${p.hostPort} in a range`,
          fix: "publish a range to the same ports inside: leave containerPort out",
        },
    ],
  ),
  Workload: props(
    {
      endpoint: construct("an Endpoint").optional(),
      sandbox: construct("a Sandbox").optional(),
      command,
      name: fileName("use up to 63 characters from a-z, A-Z, 0-9, '-', '_', '.'").optional(),
    },
    (p) => [
      p.endpoint &&
        p.sandbox && {
          prop: "sandbox",
          problem: "is given together with endpoint",
          fix: "give one of them: the namespace it runs in",
        },
    ],
  ),
  Sandbox: props({
    netns: kernelName.optional(),
    nameservers: nameservers.optional(),
    host: construct("a Host").optional(),
  }),
  VethLink: props({ a: vethLinkEnd, b: vethLinkEnd, mtu: mtu.optional(), impairment: impairment.optional() }, (p) => [
    !p.a.sandbox &&
      !p.b.sandbox && {
        prop: "b.sandbox",
        problem: "is missing, as is a.sandbox: both ends would be on the host",
        fix: "put at least one end in a Sandbox",
      },
    p.a.sandbox === p.b.sandbox && {
      prop: "b.sandbox",
      problem: "is the same sandbox as a",
      fix: "join two different sandboxes",
    },
    !!(p.impairment?.delayMs || p.impairment?.jitterMs) &&
      (p.mtu ?? 1500) > 1500 && {
        prop: "mtu",
        problem: `is ${p.mtu}, but a delayed link carries frames of 1500 bytes at most (its delay line's tunnels)`,
        fix: "use an mtu of 1500 or less, or leave delayMs and jitterMs out",
      },
  ]),
  Route: props(
    {
      destination,
      via: text.optional(),
      device: kernelName.optional(),
      sandbox: construct("a Sandbox").optional(),
    },
    (p) => {
      const family = parseSubnet(p.destination)!.family;
      return [
        p.via === undefined &&
          p.device === undefined && {
            prop: "via",
            problem: "and device are both missing",
            fix: "give a gateway (via), an output interface (device), or both",
          },
        p.via !== undefined &&
          familyOf(p.via) !== family && {
            prop: "via",
            problem: `"${p.via}" is not an IPv${family} address, as the destination is`,
            fix:
              family === 4 ? 'write it as four decimal numbers, e.g. "192.168.20.1"' : 'write it as e.g. "fd00:20::1"',
          },
      ];
    },
  ),
  Expectation: props(
    {
      from: object("an Endpoint, a Sandbox or a Vantage"),
      to: target,
      check: check.optional(),
      reachable: bool.optional(),
    },
    (p) => {
      const rate = p.check?.kind === "throughput" ? (p.check.rate ?? {}) : undefined;
      return [
        rate &&
          p.reachable === false && {
            prop: "reachable",
            problem: "is false, but Check.throughput measures a rate",
            fix: "give atMostMbit for an upper bound, or use Check.tcp() with reachable: false",
          },
        rate &&
          rate.atLeastMbit === undefined &&
          rate.atMostMbit === undefined && {
            prop: "check",
            problem: "Check.throughput() has no bound",
            fix: "give atLeastMbit, atMostMbit or both, e.g. { atLeastMbit: 100 }",
          },
        rate?.atLeastMbit !== undefined &&
          rate.atMostMbit !== undefined &&
          rate.atLeastMbit > rate.atMostMbit && {
            prop: "check",
            problem: `atLeastMbit ${rate.atLeastMbit} is more than atMostMbit ${rate.atMostMbit}`,
            fix: "give a range that can hold",
          },
      ];
    },
  ),
  Scenario: props(
    {
      seconds: scenarioBound("seconds", "s", "e.g. 6"),
      everyMs: scenarioBound("everyMs", "ms", "e.g. 100").int().optional(),
      timeoutMs: scenarioBound("timeoutMs", "ms", "e.g. 500").int().optional(),
      probes: z.array(construct("an Expectation")).min(1).describe("give the Expectations to probe, e.g. [webAnswers]"),
      maxOutageMs: scenarioBound("maxOutageMs", "ms", "e.g. 3000").int().optional(),
      name: fileName("use up to 63 characters from a-z, A-Z, 0-9, '-', '_', '.'").optional(),
    },
    (p) => [
      p.timeoutMs !== undefined &&
        p.timeoutMs > p.seconds * 1000 && {
          prop: "timeoutMs",
          problem: `is ${p.timeoutMs} ms, longer than the run (${p.seconds} s)`,
          fix: "give a timeout shorter than the run",
        },
    ],
  ),
  Host: props({
    address: hostAddress,
    user: userName.optional(),
    port: port.optional(),
    identityFile: absolutePath.optional(),
    knownHostsFile: absolutePath.optional(),
    tunnelAddress: tunnelAddress('give e.g. "10.0.0.2"').optional(),
  }),
  LabStack: props({
    resourceType: oneOf(ResourceType, "ResourceType", "a resource type").optional(),
    hostNetns: sandboxHostName("NSLAB_HOST_NETNS").optional(),
    firewall: oneOf(Firewall, "Firewall", "a firewall").optional(),
    execution: oneOf(Execution, "Execution", "an execution mode").optional(),
    testOnDeploy: bool.optional(),
    tunnelAddress: tunnelAddress(
      'give this machine\'s address on the network that joins the hosts, e.g. "10.0.0.1"',
    ).optional(),
  }),
} as const;

export type PropsKind = keyof typeof PROPS;

/** Each schema has the props its construct's interface declares, no more, no fewer: else the type-check fails. */
interface Declared {
  ContainerNetwork: ContainerNetworkProps;
  Endpoint: EndpointProps;
  PortMapping: PortMappingProps;
  Workload: WorkloadProps;
  Sandbox: SandboxProps;
  VethLink: VethLinkProps;
  Route: RouteProps;
  Expectation: ExpectationProps;
  Scenario: ScenarioProps;
  Host: HostProps;
  LabStack: LabStackProps;
}
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const agree: { readonly [K in PropsKind]: Same<keyof (typeof PROPS)[K]["shape"], keyof Declared[K]> } = {
  ContainerNetwork: true,
  Endpoint: true,
  PortMapping: true,
  Workload: true,
  Sandbox: true,
  VethLink: true,
  Route: true,
  Expectation: true,
  Scenario: true,
  Host: true,
  LabStack: true,
};
void agree;

/**
 * `props` if `kind`'s schema and rules take them, else an NslabValidationError naming the
 * first prop that is wrong, before the constructor reads any.
 */
export function checkProps<P>(scope: Construct, kind: PropsKind, given: P): P {
  const broken = brokenProp(kind, (given ?? {}) as Record<string, unknown>);
  if (broken) throw new NslabValidationError(scope, kind, broken.prop, broken.problem, broken.fix);
  return given;
}

/** The first thing wrong with `input` as `kind`'s props. */
function brokenProp(kind: PropsKind, input: Record<string, unknown>): Broken | undefined {
  const { shape, rules } = PROPS[kind];
  for (const key of Object.keys(input)) {
    if (Object.hasOwn(shape, key) || input[key] === undefined) continue;
    const near = nearest(key, Object.keys(shape));
    // a LabStack subclass hands its own props on to super: only a near miss of a LabStack prop is a mistake
    if (kind !== "LabStack" || near) return unknownProp(kind, key, near, Object.keys(shape));
  }
  const schema = z.object(shape).passthrough();
  const r = schema.safeParse(input);
  if (r.success) return rules(r.data).find((b): b is Broken => !!b);
  const nested = r.error.issues.find((i) => i.code === "unrecognized_keys");
  if (nested?.code === "unrecognized_keys") {
    const known = Object.keys(shapeAt(schema, nested.path));
    const key = nested.keys[0];
    return unknownProp(kind, [...nested.path, key].join("."), nearest(key, known), known);
  }
  const v = violationsOf(schema, input)[0];
  return { prop: v.field, problem: v.problem, fix: v.fix };
}

function unknownProp(kind: string, prop: string, near: string | undefined, known: readonly string[]): Broken {
  const fix = near
    ? `did you mean \`${near}\`?`
    : `remove it; the props there are ${known.map((k) => `\`${k}\``).join(", ")}`;
  return { prop, problem: `no such prop of ${kind}`, fix };
}

/** The keys of the object schema at `path` (a nested prop's, e.g. `impairment`). */
function shapeAt(schema: z.AnyZodObject, path: readonly (string | number)[]): z.ZodRawShape {
  let s: z.ZodTypeAny = schema;
  for (const step of path) {
    while (s instanceof z.ZodOptional) s = s.unwrap() as z.ZodTypeAny;
    s = s instanceof z.ZodObject ? (s.shape as z.ZodRawShape)[step] : s;
  }
  while (s instanceof z.ZodOptional) s = s.unwrap() as z.ZodTypeAny;
  return s instanceof z.ZodObject ? (s.shape as z.ZodRawShape) : {};
}

/** The known prop `key` is a misspelling of, if any (a few letters off). */
function nearest(key: string, known: readonly string[]): string | undefined {
  const [best] = known
    .map((k) => ({ k, d: leven(key.toLowerCase(), k.toLowerCase()) }))
    .sort((x, y) => x.d - y.d || x.k.localeCompare(y.k));
  return best && best.d <= Math.max(2, Math.floor(key.length / 3)) ? best.k : undefined;
}
