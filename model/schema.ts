// The spec: the plain, versioned JSON a construct hands to the netops runner.
// One spec per Terraform resource. It is written at synth and read back by the runner
// (on create from the new config, on destroy from Terraform state), so every version
// ever written must stay readable: add a new schema version, never change an old one.
import { z } from "zod";
import {
  cidr,
  common,
  ifname,
  ip,
  ipv4,
  ipv6,
  mac,
  mtu,
  netns,
  port,
  prefix,
  prefix6,
  bounded,
  LIMITS,
  NAME_RE,
  Impairment,
} from "./fields";
import { violationsOf, type Violation } from "./limits";

export * from "./fields";
export * from "./expect-spec";

export const SPEC_VERSION = 1;

export const NetworkSpec = z
  .object({
    ...common,
    kind: z.literal("network"),
    bridge: ifname,
    /** IPv4: all three, or none on an IPv6-only network (every network has one family at least). */
    subnet: ipv4.optional(),
    prefix: prefix.optional(),
    gateway: ipv4.optional(),
    mtu,
    masquerade: z.boolean(),
    /** IPv6: subnet, prefix and gateway together, and whether to masquerade it (false: routed). */
    subnet6: ipv6.optional(),
    prefix6: prefix6.optional(),
    gateway6: ipv6.optional(),
    masquerade6: z.boolean().optional(),
    // Added after v1 was first written, optional so every v1 spec still reads the same:
    /** Endpoints of this network reach each other (Docker's ICC). Absent = true. */
    icc: z.boolean().optional(),
    /** No traffic out of the network but to the host and connected networks. Absent = false. */
    internal: z.boolean().optional(),
    /** Bridges of other networks allowed to reach this one (traffic between networks is dropped otherwise). */
    connect: z.array(ifname).optional(),
    /** "nftables": the stack's nftables resource holds this network's firewall. Absent = iptables. */
    firewall: z.literal("nftables").optional(),
  })
  .strict();

export const EndpointSpec = z
  .object({
    ...common,
    kind: z.literal("endpoint"),
    netns,
    /** Host end of the veth pair, enslaved to `bridge`. */
    hostIf: ifname,
    /** Inside end of the veth pair, created directly in `netns`. */
    ifname,
    /** IPv4: all three, or none on an IPv6-only network. */
    address: ipv4.optional(),
    prefix: prefix.optional(),
    gateway: ipv4.optional(),
    /** IPv6: all three on a network with an IPv6 subnet. */
    address6: ipv6.optional(),
    prefix6: prefix6.optional(),
    gateway6: ipv6.optional(),
    mac: mac.optional(),
    mtu,
    bridge: ifname,
    /** Bridge port isolation: no traffic with the network's other isolated ports (ICC off). Absent = false. */
    isolated: z.boolean().optional(),
    /** The namespace belongs to a Sandbox: the endpoint neither creates nor deletes it. Absent = false. */
    shared: z.boolean().optional(),
    /** Route everything else through this network's gateway. Absent = true. */
    defaultRoute: z.boolean().optional(),
    /** Loss and rate on the veth, both ways. Absent = none. */
    impair: Impairment.optional(),
    /** The bridge its host end joins when not `bridge`: its delay line's (DelayLineSpec). */
    port: ifname.optional(),
  })
  .strict();

/**
 * A delay line: delay and jitter, each way, between an endpoint's veth and its network, or
 * between the two halves of a delayed link. This kernel has no netem, so the frames cross
 * user space: the endpoint's host end (a link's near half) joins a private bridge (`port`)
 * with a VXLAN device whose UDP goes to a relay process in a namespace of its own, which
 * holds each datagram before sending it on to a second VXLAN device on the network's
 * bridge (a link's: a second private bridge, `ownsBridge`) (netops/delayline.ts).
 */
export const DelayLineSpec = z
  .object({
    ...common,
    kind: z.literal("delayline"),
    /** The endpoint it serves. */
    netns,
    ifname,
    /** The network's bridge, and the private bridge the endpoint's host end joins. */
    bridge: ifname,
    port: ifname,
    /** A link's line: `bridge` is a second private bridge, made by the line for the link's far half. */
    ownsBridge: z.literal(true).optional(),
    delayMs: bounded(LIMITS.delayMs),
    jitterMs: bounded(LIMITS.delayMs),
    /** The endpoint's port isolation (ICC off), carried by the line's port on the bridge. */
    isolated: z.boolean().optional(),
  })
  .strict();

/**
 * A network's tunnel to its other hosts (issue 13): a VXLAN device on the bridge, with a
 * flood entry for every peer (head-end replication: no multicast in the underlay), and
 * the gateway's own frames kept off it (each host has the same gateway address and MAC:
 * netops/vxlan.ts). Remote MACs are learned from the traffic, as a bridge does.
 */
export const VxlanSpec = z
  .object({
    ...common,
    kind: z.literal("vxlan"),
    /** The network's bridge, and the VXLAN device joined to it. */
    bridge: ifname,
    dev: ifname,
    /** VXLAN network identifier: one per network of a stack. */
    vni: bounded(LIMITS.vni).int(),
    /** UDP port the tunnel listens on and sends to, on every host. */
    port,
    /** This host's tunnel address, and every other host's. */
    local: ip,
    peers: z.array(ip).min(1),
    mtu,
    /** The network's ICC is off: the tunnel's port is isolated, as endpoints' ports are. */
    isolated: z.literal(true).optional(),
  })
  .strict();

/** A network namespace of its own: lo only until endpoints or links join it (Docker's "none" mode). */
export const SandboxSpec = z.object({ ...common, kind: z.literal("sandbox"), netns }).strict();

/** One end of a veth link: in a namespace, or (netns absent) on the host, i.e. the sandbox host when there is one. */
const linkEnd = z.object({ netns: netns.optional(), ifname, address: cidr.optional() }).strict();
/** A veth pair straight between two namespaces, or a namespace and the host; no bridge. At most one end on the host. */
export const LinkSpec = z
  .object({
    ...common,
    kind: z.literal("link"),
    a: linkEnd,
    b: linkEnd,
    mtu,
    /** Loss and rate on the pair, both ways (applied at end a, and b's egress). Absent = none. */
    impair: Impairment.optional(),
    /**
     * A delayed link (a DelayLineSpec with `ownsBridge`): two veth pairs instead of one,
     * each end's host-side peer on its side's private bridge of the line.
     */
    line: z
      .object({
        a: z.object({ bridge: ifname, peer: ifname }).strict(),
        b: z.object({ bridge: ifname, peer: ifname }).strict(),
      })
      .strict()
      .optional(),
  })
  .strict();

/**
 * Name resolution inside namespaces: /etc/netns/<ns>/hosts (every endpoint of the
 * networks the namespace is on, by namespace name) and resolv.conf when nameservers are
 * set. `ip netns exec` (and so every workload) sees them as /etc/hosts and /etc/resolv.conf.
 */
export const NamesSpec = z
  .object({
    ...common,
    kind: z.literal("names"),
    /** Every endpoint of the stack: address, namespace (its name), bridge. Listed once: a namespace's file is derived. */
    endpoints: z.array(z.tuple([ip, netns, ifname])),
    /** One entry per namespace: the networks it is on, and its nameservers if set. */
    files: z.array(z.object({ netns, bridges: z.array(ifname), nameservers: z.array(ipv4).optional() }).strict()),
  })
  .strict();

/**
 * The native nftables firewall of a whole stack: one table (`ip nslab-<stack>`) made of
 * its networks and port mappings, replaced atomically whenever one of them changes.
 */
export const NftablesSpec = z
  .object({
    ...common,
    kind: z.literal("nftables"),
    networks: z.array(
      z
        .object({
          bridge: ifname,
          subnet: ipv4.optional(),
          prefix: prefix.optional(),
          masquerade: z.boolean(),
          subnet6: ipv6.optional(),
          prefix6: prefix6.optional(),
          masquerade6: z.boolean().optional(),
          icc: z.boolean().optional(),
          internal: z.boolean().optional(),
          connect: z.array(ifname).optional(),
        })
        .strict(),
    ),
    portmaps: z.array(
      z
        .object({
          bridge: ifname,
          protocol: z.enum(["tcp", "udp"]),
          hostPort: port,
          hostPortEnd: port.optional(),
          hostIp: ip.optional(),
          address: ipv4.optional(),
          address6: ipv6.optional(),
          port,
        })
        .strict(),
    ),
  })
  .strict();

/** A static route in a namespace, or on the host when `netns` is absent. */
export const RouteSpec = z
  .object({
    ...common,
    kind: z.literal("route"),
    netns: netns.optional(),
    dst: cidr,
    via: ip.optional(),
    dev: ifname.optional(),
  })
  .strict(); // a gateway or a device, or both: checked at synth (Route) and by the runner

export const PortMappingSpec = z
  .object({
    ...common,
    kind: z.literal("portmap"),
    protocol: z.enum(["tcp", "udp"]),
    hostPort: port,
    /** Last port of a range published to the same ports inside. Absent = one port. */
    hostPortEnd: port.optional(),
    /** "nftables": the stack's nftables resource holds this mapping's rules. Absent = iptables. */
    firewall: z.literal("nftables").optional(),
    /** The host address it is published on, of either family. Absent = every local address of both. */
    hostIp: ip.optional(),
    /** The endpoint's addresses: a DNAT rule for each family it has (and hostIp, when set, allows). */
    address: ipv4.optional(),
    address6: ipv6.optional(),
    port,
    bridge: ifname,
  })
  .strict();

/**
 * A long-lived process: started on deploy, stopped on destroy. `netns` runs it inside an
 * endpoint's namespace; without it, it runs in the host namespace (the sandbox host when
 * there is one): Docker's "host" mode. Two workloads in one namespace share its lo
 * (Docker's "container" mode).
 */
export const WorkloadSpec = z
  .object({
    ...common,
    kind: z.literal("workload"),
    name: z
      .string()
      .regex(NAME_RE, "not a valid workload name")
      .describe("use 1 to 63 characters from a-z, A-Z, 0-9, '_', '.', '-', starting with a letter or digit"),
    netns: netns.optional(),
    command: z
      .array(
        z
          .string()
          .min(1)
          .refine((a) => !a.includes("\0"), "contains NUL")
          .describe("give each argument as a non-empty string without NUL characters"),
      )
      .min(1)
      .describe('give the program and its arguments as a list, e.g. ["node", "server.js"]'),
  })
  .strict();

/**
 * The stack's owner resource: created before every other resource of the stack and
 * destroyed after all of them. Its destroy removes whatever the stack still has
 * recorded on the machine (objects of creates that failed or were killed, whose own
 * destroy Terraform never runs).
 */
/** The stack's owner: on this machine, or (with `remote`) one per other machine it uses. */
export const StackSpec = z.object({ ...common, kind: z.literal("stack") }).strict();

/**
 * The sweep's spec as nslab wrote it before the lab file (the keys the stack declared).
 * Read only: a Terraform state from then holds it in a destroy provisioner, and the
 * runner must still parse it there (its destroy has nothing to remove). The sweep now
 * reads the lab file (netops/lab.ts).
 */
export const SweepSpec = z
  .object({ ...common, kind: z.literal("sweep"), keep: z.array(z.string().regex(/^[a-z]+-[A-Za-z0-9_.*:-]+$/)) })
  .strict();

export const Spec = z.discriminatedUnion("kind", [
  DelayLineSpec,
  VxlanSpec,
  NetworkSpec,
  EndpointSpec,
  PortMappingSpec,
  WorkloadSpec,
  SandboxSpec,
  LinkSpec,
  RouteSpec,
  NamesSpec,
  NftablesSpec,
  StackSpec,
  SweepSpec,
]);

export type NetworkSpec = z.infer<typeof NetworkSpec>;
export type EndpointSpec = z.infer<typeof EndpointSpec>;
export type PortMappingSpec = z.infer<typeof PortMappingSpec>;
export type WorkloadSpec = z.infer<typeof WorkloadSpec>;
export type SandboxSpec = z.infer<typeof SandboxSpec>;
export type LinkSpec = z.infer<typeof LinkSpec>;
export type RouteSpec = z.infer<typeof RouteSpec>;
export type NamesSpec = z.infer<typeof NamesSpec>;
export type NftablesSpec = z.infer<typeof NftablesSpec>;
export type StackSpec = z.infer<typeof StackSpec>;
export type DelayLineSpec = z.infer<typeof DelayLineSpec>;
export type VxlanSpec = z.infer<typeof VxlanSpec>;
export type SweepSpec = z.infer<typeof SweepSpec>;
export type Spec = z.infer<typeof Spec>;
/** The specs that only keep the ledger (a stack's owner; the sweep of an older nslab): every other kind makes kernel objects. */
const LEDGER_KINDS = ["stack", "sweep"] as const;
/** Specs of resources that make kernel objects: every kind of `Spec` but the ledger's, so a kind added to `Spec` is one. */
export type ObjectSpec = Exclude<Spec, { kind: (typeof LEDGER_KINDS)[number] }>;

export const isObjectSpec = (s: Spec): s is ObjectSpec => !(LEDGER_KINDS as readonly string[]).includes(s.kind);

/**
 * Every spec version an nslab runner ever wrote, with its schema and how to read it as
 * the current version. Terraform state and the ledger keep old specs for as long as a
 * lab lives, and destroy runs the new runner on them: entries are added, never removed.
 * test/fixtures/specs/v<N>/ pins what each version looks like.
 */
const READERS: Record<number, z.ZodType<Spec, z.ZodTypeDef, unknown>> = {
  1: Spec,
};

/** Parse and validate a spec; the message names the version, or each field that is wrong and its fix. */
export function parseSpec(input: unknown): Spec {
  const v = (input as { v?: unknown } | null)?.v;
  const schema = typeof v === "number" ? READERS[v] : undefined;
  if (!schema) {
    throw new Error(
      `unknown spec version ${JSON.stringify(v)}: this runner reads versions ${Object.keys(READERS).join(", ")}; ` +
        `synthesize the stack again with the nslab that wrote it, or upgrade nslab`,
    );
  }
  const r = schema.safeParse(input);
  if (!r.success) throw new SpecError(violationsOf(schema, input));
  return r.data;
}

/** A spec the schema refuses: each violation with its fix (constructs name the prop from `field`). */
export class SpecError extends Error {
  constructor(readonly violations: readonly Violation[]) {
    super(`invalid spec: ${violations.map((x) => `${x.field || "spec"}: ${x.problem} (${x.fix})`).join("; ")}`);
    this.name = "SpecError";
  }
}
