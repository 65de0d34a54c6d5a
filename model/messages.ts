// What a runner sends its copy on another machine (a Host) besides object lines: the head
// of a forwarded whole-lab verb, as JSON in its first argument (base64 on the way: remote.ts).
// Each is parsed with its schema on arrival, so a runner and a copy of another version
// fail with a clear message rather than act on a misread.
import { z } from "zod";
import { ExpectSpec } from "./expect-spec";
import { ifname, netns, port, STACK_RE } from "./fields";

const stack = z.string().regex(STACK_RE);
const keys = z.array(z.string().min(1));

/** `sweep` and `recorded`: the keys the stack declares on that machine. */
export const KeysMessage = z.object({ stack, keys }).strict();
export type KeysMessage = z.infer<typeof KeysMessage>;

/**
 * How a converge runs and reports (netops/lab.ts converge), and for whom: a deploy's (it
 * may create the sandbox host, and records the lab: model/record.ts), `nslab repair`'s (in
 * place: it creates nothing outside the lab's own objects), boot restore's (the record's
 * lab on this machine, its sandbox host made again after a reboot).
 */
export const ConvergeMode = z
  .object({ quiet: z.boolean(), apply: z.boolean(), by: z.enum(["deploy", "repair", "boot"]) })
  .strict();
export type ConvergeMode = z.infer<typeof ConvergeMode>;

/** `converge`: its object lines follow; `where` is what its closing line calls the machine. */
export const ConvergeMessage = z.object({ stack, where: z.string().min(1), how: ConvergeMode }).strict();
export type ConvergeMessage = z.infer<typeof ConvergeMessage>;

/**
 * `boot`: that machine's boot unit of the stack's record, written (on) or removed; in
 * `unitDir` when the machine the user is on was told another folder (NSLAB_SYSTEMD_DIR).
 */
export const BootMessage = z.object({ stack, on: z.boolean(), unitDir: z.string().min(1).optional() }).strict();
export type BootMessage = z.infer<typeof BootMessage>;
/** `check`: expectations that start on that machine. */
export const CheckMessage = z.object({ stack, expect: z.array(ExpectSpec) }).strict();
export type CheckMessage = z.infer<typeof CheckMessage>;

/** Where on that machine a command runs: a namespace, else its host side (its sandbox host, if any). */
const where = { netns: netns.optional(), sandboxHost: netns.optional() };

/** `link` and `impair`: a run-time change there; the object lines of its target follow. */
export const RuntimeMessage = z.object({ target: z.string().min(1), what: z.string().min(1) }).strict();
export type RuntimeMessage = z.infer<typeof RuntimeMessage>;

/** `exec`: a user's command (none: a shell), run in a namespace there (netops/enter.ts). */
export const ExecMessage = z.object({ ...where, argv: z.array(z.string()) }).strict();
export type ExecMessage = z.infer<typeof ExecMessage>;

/** `capture`: tcpdump on an interface there, its output back on stdout (netops/capture.ts). */
export const CaptureMessage = z
  .object({
    ...where,
    ifname,
    count: z.number().int().positive().optional(),
    seconds: z.number().positive().optional(),
    /** Lines as tcpdump prints them, not a pcap. */
    text: z.boolean(),
    filter: z.array(z.string()),
  })
  .strict();
export type CaptureMessage = z.infer<typeof CaptureMessage>;

/** `trace`: the probe's marks, and that machine's namespaces to watch (netns null: its host side), by their names in the lab. */
export const TraceMessage = z
  .object({
    stack,
    sandboxHost: netns.optional(),
    proto: z.enum(["icmp", "tcp", "udp"]),
    id: z.number().int().min(1).max(65535),
    watch: z.array(z.object({ place: z.string().min(1), netns: netns.nullable() }).strict()),
  })
  .strict();
export type TraceMessage = z.infer<typeof TraceMessage>;

/**
 * A scenario probe's series (netops/probe-series.ts): what to send, how often and from
 * when (ms since the epoch: every probe of a run counts from one start, on every machine).
 */
export const SeriesOrder = z
  .object({
    check: z.enum(["ping", "tcp", "udp"]),
    /** Every address (or name) the check goes to: it holds when each answers. */
    targets: z.array(z.string().min(1)).min(1),
    port: port.optional(),
    everyMs: z.number().int().positive(),
    timeoutMs: z.number().int().positive(),
    count: z.number().int().positive(),
    t0: z.number(),
  })
  .strict();
export type SeriesOrder = z.infer<typeof SeriesOrder>;

/** A series run by the runner on the Host its source namespace is on (`probe`, forwarded). */
export const SeriesMessage = z.object({ netns, order: SeriesOrder }).strict();
export type SeriesMessage = z.infer<typeof SeriesMessage>;

/** Parse a forwarded verb's head: its schema's message when it is not what this runner reads. */
export function readMessage<T>(verb: string, schema: z.ZodType<T>, text: string): T {
  const r = schema.safeParse(JSON.parse(text));
  if (!r.success)
    throw new Error(
      `${verb}: the message from the other runner is not what this one reads (${r.error.issues[0]?.message}); ` +
        "the two machines run different versions: deploy again to copy this one",
    );
  return r.data;
}
