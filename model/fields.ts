// The fields specs are made of: names and their patterns, the numeric limits (one source:
// model/limits.ts turns them into messages), addresses, impairments, a Host's address,
// and what every spec carries. Shared by every kind's schema (schema.ts).
import { z } from "zod";
import * as ipaddr from "ipaddr.js";

/** Linux interface names: at most 15 bytes (IFNAMSIZ - 1), no `/`, no whitespace. */
export const IFNAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/;
/** Namespace names are files in /run/netns; nslab keeps them to the same safe alphabet. */
export const NETNS_RE = IFNAME_RE;
/** Stack names become rule comments and link aliases. */
export const STACK_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
/** Names of workloads and Hosts (file names and messages). */
export const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
/** A Host's address or DNS name, and its login (what ssh is handed). */
export const HOST_ADDRESS_RE = /^[A-Za-z0-9][A-Za-z0-9.:-]*$/;
export const USER_RE = /^[a-z_][a-z0-9_-]{0,31}$/;
/** A MAC address as the kernel prints it. */
export const MAC_RE = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

/**
 * The limits the kernel and the tools set, in one place: the schema enforces them and
 * the constructs read them (their messages' ranges come from here, via model/limits.ts).
 */
export const LIMITS = {
  mtu: { min: 68, max: 65535 },
  port: { min: 1, max: 65535 },
  vni: { min: 1, max: 16_777_215 },
  lossPercent: { min: 0, max: 100 },
  rateKbit: { min: 8, max: 100_000_000 },
  delayMs: { min: 0, max: 60_000 },
  /** A throughput check's bounds (Mbit/s) and how long it sends (s). */
  rateMbit: { min: 0.001, max: 1_000_000 },
  rateSeconds: { min: 0.5, max: 20 },
} as const;
export const bounded = (l: { min: number; max: number }) => z.number().min(l.min).max(l.max);

export const NAME_FIX = "use 1 to 15 characters from a-z, A-Z, 0-9, '_', '.', '-', starting with a letter or digit";
export const ipv4 = z
  .string()
  .refine((s) => ipaddr.IPv4.isValidFourPartDecimal(s), "not an IPv4 address")
  .describe('write four decimal numbers, e.g. "192.168.88.11"');
/** IPv6, in the shortest form (RFC 5952) `ip` prints, so specs compare with the kernel's view as strings. */
export const ipv6 = z
  .string()
  .refine(
    (s) => ipaddr.IPv6.isValid(s) && s.includes(":") && ipaddr.IPv6.parse(s).toString() === s,
    "not an IPv6 address in its shortest form",
  )
  .describe('write it in its shortest form, e.g. "fd00:88::11"');
export const prefix6 = z.number().int().min(0).max(128);
export const ip = z
  .union([ipv4, ipv6])
  .describe('write an IPv4 or IPv6 address, e.g. "192.168.88.11" or "fd00:88::11"');
export const ifname = z.string().regex(IFNAME_RE, "not a valid interface name").describe(NAME_FIX);
export const netns = z.string().regex(NETNS_RE, "not a valid namespace name").describe(NAME_FIX);
export const prefix = z.number().int().min(0).max(32);
export const port = bounded(LIMITS.port).int();
export const mtu = bounded(LIMITS.mtu).int();
export const mac = z
  .string()
  .regex(MAC_RE, "not a lower-case MAC address")
  .refine((m) => (parseInt(m.slice(0, 2), 16) & 1) === 0, "multicast MAC")
  .describe('write six lower-case hex bytes with an even first one (unicast), e.g. "02:42:0a:00:00:02"');

/**
 * Link impairment, each direction: random loss (percent, two decimals) and a rate limit
 * (kbit/s). Applied to an endpoint's veth or a link's end a, both ways.
 */
export const Impairment = z
  .object({
    lossPercent: bounded(LIMITS.lossPercent).optional(),
    rateKbit: bounded(LIMITS.rateKbit).int().optional(),
  })
  .strict();
export type Impairment = z.infer<typeof Impairment>;

/**
 * Another machine, reached by ssh (issue 13): the runner there does the object's work.
 * In every spec of an object placed there, so a destroy read from Terraform state alone
 * knows where to go.
 */
export const RemoteSpec = z
  .object({
    /** The Host construct's name, for messages. */
    name: z
      .string()
      .regex(NAME_RE, "not a valid name")
      .describe("use 1 to 63 characters from a-z, A-Z, 0-9, '_', '.', '-', starting with a letter or digit"),
    /** Address or DNS name; user and port. */
    address: z
      .string()
      .regex(HOST_ADDRESS_RE, "not a host name or address")
      .describe('give an IP address or a DNS name, e.g. "10.0.0.2" or "lab-b.example"'),
    user: z
      .string()
      .regex(USER_RE, "not a user name")
      .describe("use a login name: up to 32 characters from a-z, 0-9, '_', '-', not starting with a digit"),
    port,
    /** A private key file; absent: ssh's defaults and agent. */
    identityFile: z.string().startsWith("/", "not an absolute path").describe("give an absolute path").optional(),
    /** A known_hosts file of its own; absent: the user's. */
    knownHosts: z.string().startsWith("/", "not an absolute path").describe("give an absolute path").optional(),
  })
  .strict();
export type RemoteSpec = z.infer<typeof RemoteSpec>;

export const common = {
  v: z.literal(1),
  /** Owner mark: every object carries it (link alias, rule comment). */
  stack: z
    .string()
    .regex(STACK_RE, "not a valid stack name")
    .describe("use 1 to 64 characters from a-z, A-Z, 0-9, '_', '.', '-', starting with a letter or digit"),
  /**
   * The sandbox host namespace; absent = the real host. Named `host` since v1, not
   * `hostNetns` as everywhere else: the spec is the resource's trigger, and a renamed
   * field would replace every object of every deployed lab (docs/architecture.md, Words).
   */
  host: netns.optional(),
  /** Another machine the object lives on; absent = this one. */
  remote: RemoteSpec.optional(),
};

/**
 * The sandbox host of a spec, a lab file or a record: their field `host` (its v1 name,
 * kept: see `common`), read here only, so code names it for what it is.
 */
export const sandboxHostOf = (s: { readonly host?: string }): string | undefined => s.host;

/** An address with its prefix, of either family (IPv6 in its shortest form). */
export const cidr = z
  .string()
  .refine((s) => {
    const [a, p] = s.split("/");
    if (!/^\d+$/.test(p ?? "")) return false;
    if (ipaddr.IPv4.isValidFourPartDecimal(a ?? "")) return Number(p) <= 32;
    return ipv6.safeParse(a).success && Number(p) <= 128;
  }, "not a CIDR")
  .describe('write address/prefix, e.g. "192.168.20.11/24" or "fd00:20::11/64"');
