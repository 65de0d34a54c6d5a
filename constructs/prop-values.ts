// The values props take, as schemas: each says what is wrong with a value and how to fix
// it, in words that may quote the value ("did you mean "10.0.0.0/24"?"). The limits are
// the spec's own (model/fields.ts), so a prop and the spec it becomes agree.
import { Construct } from "constructs";
import { z } from "zod";
import { bounded, HOST_ADDRESS_RE, IFNAME_RE, LIMITS, NAME_RE, NETNS_RE, USER_RE } from "../model/schema";
import { MAX_IFNAME } from "../model/kernel-names";
import { cidrOf, familyOf, parseSubnet, toBig, type Family } from "./ipam";

/** What is wrong with a value, and how to fix it. */
export interface Problem {
  readonly problem: string;
  readonly fix: string;
}

/** `schema`, and `check` of what it takes: a problem and a fix said of the value, or nothing. */
export const checked = <T extends z.ZodTypeAny>(schema: T, check: (v: z.output<T>) => Problem | undefined) =>
  schema.superRefine((v, ctx) => {
    const problem = check(v);
    if (problem) ctx.addIssue({ code: "custom", message: problem.problem, params: { fix: problem.fix } });
  });

/** A construct (a Host, a Sandbox, a network...): its own class is checked where it is used. */
export const construct = (what: string) =>
  z.custom<Construct>((v) => Construct.isConstruct(v), "is not a construct").describe(`give ${what}`);
/** An object of nslab's own (a Check, a Vantage): its class is checked where it is used. */
export const object = (what: string) =>
  z.custom<object>((v) => typeof v === "object" && v !== null, "is not an object").describe(`give ${what}`);

export const text = z.string();
export const bool = z.boolean();
export const port = bounded(LIMITS.port).int();
export const mtu = bounded(LIMITS.mtu).int();
export const vni = bounded(LIMITS.vni).int();

const NAME_FIX = `use 1-${MAX_IFNAME} characters from a-z, A-Z, 0-9, '-', '_', '.', starting with a letter or digit`;

/** What is wrong with an interface or namespace name, as the kernel and a command line take it. */
function nameProblem(name: string): Problem | undefined {
  if (name.length === 0) return { problem: "is empty", fix: NAME_FIX };
  const bytes = Buffer.byteLength(name);
  if (bytes > MAX_IFNAME)
    return {
      problem: `"${name}" is ${bytes} characters, the kernel allows ${MAX_IFNAME}`,
      fix: `shorten it, e.g. "${name.slice(0, MAX_IFNAME)}"`,
    };
  if (!IFNAME_RE.test(name))
    return {
      problem: `"${name}" contains characters a kernel name or a command line must not carry (/, spaces, quotes, $;&|...)`,
      fix: NAME_FIX,
    };
  return undefined;
}

export const kernelName = checked(text, nameProblem);

/** The sandbox host's name, which the environment may give as well. */
export const sandboxHostName = (env: string) =>
  checked(text, (name) => {
    const problem = nameProblem(name);
    return problem && { ...problem, problem: `${problem.problem} (from hostNetns, or ${env})` };
  });

/** A namespace's resolvers: what /etc/netns/<ns>/resolv.conf lists. */
export const nameservers = checked(z.array(text), (servers): Problem | undefined => {
  if (servers.length === 0 || servers.length > 3)
    return {
      problem: `has ${servers.length} entries`,
      fix: "give 1 to 3 IPv4 addresses (the resolver reads no more than 3)",
    };
  const bad = servers.find((n) => familyOf(n) !== 4);
  if (bad !== undefined)
    return {
      problem: `"${bad}" is not an IPv4 address`,
      fix: 'write each as four decimal numbers, e.g. "192.168.88.1"',
    };
  return undefined;
});

/** A network's subnet of `family`: a CIDR with room for a gateway and an endpoint. */
export const subnet = (family: Family) =>
  checked(text, (cidr): Problem | undefined => {
    const name = family === 4 ? "IPv4" : "IPv6";
    const net = parseSubnet(cidr);
    if (!net || net.family !== family) {
      const other = net ? (family === 4 ? "ipv6Subnet" : "subnet") : null;
      return {
        problem: `"${cidr}" is not an ${name} CIDR${other ? ` (it is of the other family)` : ""}`,
        fix: other
          ? `put it in ${other}`
          : `write it as address/prefix, e.g. "${family === 4 ? "192.168.88.0/24" : "fd00:88::/64"}"`,
      };
    }
    if (net.hostBitsSet) return { problem: `"${cidr}" has host bits set`, fix: `did you mean "${cidrOf(net)}"?` };
    const max = family === 4 ? 30 : 126;
    if (net.prefix > max)
      return {
        problem: `/${net.prefix} leaves no room for a gateway and an endpoint`,
        fix: `use a prefix of /${max} or shorter`,
      };
    return undefined;
  });

/** An endpoint's address of `family` (whether its network has room for it is the network's to say). */
export const addressOf = (family: Family) =>
  checked(text, (a): Problem | undefined => {
    const is6 = a.includes(":");
    if (is6 === (family === 6)) return undefined;
    return { problem: `"${a}" is an IPv${is6 ? 6 : 4} address`, fix: `put it in ${is6 ? "ipv6Address" : "address"}` };
  });

/** A route's destination: a CIDR with no host bits. */
export const destination = checked(text, (d): Problem | undefined => {
  const net = parseSubnet(d);
  if (!net)
    return {
      problem: `"${d}" is not a CIDR`,
      fix: 'write it as address/prefix, e.g. "192.168.21.0/24" or "fd00:21::/64"',
    };
  if (net.hostBitsSet)
    return { problem: `"${d}" has host bits set`, fix: `did you mean "${net.network}/${net.prefix}"?` };
  return undefined;
});

/** An address with its prefix (a veth end's). */
export const addressWithPrefix = checked(text, (a): Problem | undefined => {
  const [addr, prefix] = a.split("/");
  if (parseSubnet(`${addr}/${prefix ?? ""}`) && prefix !== undefined) return undefined;
  return {
    problem: `"${a}" is not an address with a prefix`,
    fix: 'write it as address/prefix, e.g. "192.168.20.11/24" or "fd00:20::11/64"',
  };
});

/** An IP address; `fix`: how to write one, for this prop. */
export const ipAddress = (fix: string) =>
  checked(text, (a) => (familyOf(a) ? undefined : { problem: `"${a}" is not an IP address`, fix }));

/** The address a port is published on: any of the host's but ::1, which IPv6 keeps on lo. */
export const hostIp = checked(
  ipAddress('write it as e.g. "10.0.0.1" or "2001:db8::1", or leave it out to listen on every address'),
  (a): Problem | undefined =>
    // IPv6 has no route_localnet: a packet from ::1 never leaves lo, so it cannot be DNAT'd
    // to an endpoint (Docker answers ::1 with its userland proxy)
    familyOf(a) === 6 && toBig(a) === 1n
      ? {
          problem: "::1 cannot be forwarded to an endpoint (the kernel keeps IPv6 loopback on lo)",
          fix: 'use "127.0.0.1" to publish to the host only, or one of the host\'s IPv6 addresses',
        }
      : undefined,
);

/** A MAC address of one interface: unicast. */
export const mac = checked(text, (m): Problem | undefined => {
  const mac = m.toLowerCase();
  if (!/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/.test(mac))
    return {
      problem: `"${m}" is not a MAC address`,
      fix: 'write six hex pairs separated by colons, e.g. "02:42:c0:a8:58:0b"',
    };
  if (parseInt(mac.slice(0, 2), 16) & 1)
    return {
      problem: `${m} is a multicast address (lowest bit of the first byte set)`,
      fix: "use a unicast address; locally administered ones start with 02",
    };
  return undefined;
});

/** One of an enum's values, e.g. Firewall.IPTABLES. */
export const oneOf = (values: Record<string, string>, enumName: string, what: string) =>
  checked(text, (v): Problem | undefined =>
    Object.values(values).includes(v)
      ? undefined
      : {
          problem: `"${v}" is not ${what}`,
          fix: `use ${Object.keys(values)
            .map((k) => `${enumName}.${k}`)
            .join(" or ")}`,
        },
  );

/** A name that becomes a file's (a workload's, a Host's). */
export const fileName = (fix: string) =>
  checked(text, (n) => (NAME_RE.test(n) ? undefined : { problem: `"${n}" cannot name a file`, fix }));

export const hostAddress = checked(text, (a) =>
  HOST_ADDRESS_RE.test(a)
    ? undefined
    : { problem: `"${a}" is not a host name or address`, fix: 'give e.g. "10.0.0.2" or "lab-b.example"' },
);
export const userName = checked(text, (u) =>
  USER_RE.test(u) ? undefined : { problem: `"${u}" is not a user name`, fix: 'e.g. "root"' },
);
export const absolutePath = checked(text, (p) =>
  p.startsWith("/") ? undefined : { problem: `"${p}" is not an absolute path`, fix: "give the file's full path" },
);

/** A program and its arguments, each passed as is (no shell). */
export const command = checked(z.array(z.unknown()), (argv): Problem | undefined => {
  if (argv.length === 0)
    return { problem: "is empty", fix: 'give the program and its arguments, e.g. ["node", "server.js"]' };
  const bad = argv.findIndex((a) => typeof a !== "string" || a.length === 0 || a.includes("\0"));
  if (bad >= 0)
    return {
      problem: `argument ${bad} is empty or not text`,
      fix: "give every argument as a non-empty string (no shell: each is passed as is)",
    };
  return undefined;
}).describe('give the program and its arguments, e.g. ["node", "server.js"]');

const ms = bounded(LIMITS.delayMs).describe(`use a number from ${LIMITS.delayMs.min} to ${LIMITS.delayMs.max} ms`);
/** The prop counts Mbit/s, the spec kbit/s. */
const RATE_MBIT = { min: LIMITS.rateKbit.min / 1000, max: LIMITS.rateKbit.max / 1000 };

/** Loss, rate, delay and jitter, each way (constructs/impairment.ts). */
export const impairment = z
  .object({
    lossPercent: bounded(LIMITS.lossPercent)
      .describe(`use a number from ${LIMITS.lossPercent.min} to ${LIMITS.lossPercent.max} (e.g. 20)`)
      .optional(),
    rateMbit: bounded(RATE_MBIT).describe(`use a number from ${RATE_MBIT.min} to ${RATE_MBIT.max} Mbit/s`).optional(),
    delayMs: ms.optional(),
    jitterMs: ms.optional(),
  })
  .strict();

const mbit = bounded(LIMITS.rateMbit).describe(
  `use a number from ${LIMITS.rateMbit.min} to ${LIMITS.rateMbit.max} Mbit/s`,
);

/** Where a check goes: an Endpoint, a PortMapping, a Vantage (checked where used), an address or a name. */
export const target = checked(z.unknown(), (to): Problem | undefined => {
  if (typeof to === "string")
    return familyOf(to) || NETNS_RE.test(to)
      ? undefined
      : {
          problem: `"${to}" is neither an IP address nor a name`,
          fix: 'give an address, e.g. "192.168.88.11" or "fd00:88::11", or an endpoint\'s namespace name',
        };
  return typeof to === "object" && to !== null
    ? undefined
    : {
        problem: `${JSON.stringify(to)} is not a place`,
        fix: "give an Endpoint, a PortMapping, a Vantage, an address or a name",
      };
});

/** A Check (Check.ping(), Check.tcp(80), Check.throughput({...})): its port and its throughput bounds. */
export const check = z
  .object({
    kind: z.enum(["ping", "tcp", "udp", "throughput"]),
    port: port.optional(),
    rate: z
      .object({
        atLeastMbit: mbit.optional(),
        atMostMbit: mbit.optional(),
        seconds: bounded(LIMITS.rateSeconds)
          .describe(`use a number from ${LIMITS.rateSeconds.min} to ${LIMITS.rateSeconds.max} s`)
          .optional(),
      })
      .strict()
      .optional(),
  })
  .describe("give a Check, e.g. Check.tcp(80)");
