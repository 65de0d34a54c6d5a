// A declared expectation as the lab file carries it (constructs/expectation.ts writes it,
// netops/expect.ts checks it).
import { z } from "zod";
import { bounded, ip, LIMITS, netns, port, RemoteSpec } from "./fields";

/**
 * A declared expectation (constructs/expectation.ts), checked by `nslab test` with real
 * traffic: from a namespace, the host (the sandbox host when there is one) or outside (a
 * probe namespace joined to the host for the test), to an address, a name (resolved in
 * the source namespace: /etc/netns/<ns>/hosts) or the host's own address as the outside
 * sees it; by ping, a TCP connection, an answer to a UDP datagram, or the rate TCP gets
 * through (the runner's own sender, and its own receiver when the target is an endpoint).
 */
export const ExpectSpec = z
  .object({
    /** The construct path: what the report calls it. */
    name: z.string().min(1),
    from: z.discriminatedUnion("kind", [
      // on another machine (`remote`): the runner there runs the check (issue 13)
      z.object({ kind: z.literal("netns"), netns, remote: RemoteSpec.optional() }).strict(),
      z.object({ kind: z.literal("host") }).strict(),
      z.object({ kind: z.literal("outside") }).strict(),
    ]),
    to: z.discriminatedUnion("kind", [
      z.object({ kind: z.literal("address"), address: ip }).strict(),
      z.object({ kind: z.literal("name"), name: netns }).strict(),
      // from outside: the host's LAN address, over each family given (absent: IPv4 only)
      z
        .object({
          kind: z.literal("host"),
          families: z
            .array(z.union([z.literal(4), z.literal(6)]))
            .min(1)
            .optional(),
        })
        .strict(),
    ]),
    /** What the report shows as the target (an endpoint's namespace, a published port). */
    label: z.string().min(1),
    check: z.enum(["ping", "tcp", "udp", "throughput"]),
    port: port.optional(),
    reachable: z.boolean(),
    /** throughput: the bounds it must be within, and how long the sender sends. */
    rate: z
      .object({
        atLeastMbit: bounded(LIMITS.rateMbit).optional(),
        atMostMbit: bounded(LIMITS.rateMbit).optional(),
        seconds: bounded(LIMITS.rateSeconds),
      })
      .strict()
      .optional(),
    /** throughput to an endpoint: the namespace the runner's own receiver listens in, for the check. */
    sink: netns.optional(),
  })
  .strict();
export type ExpectSpec = z.infer<typeof ExpectSpec>;
