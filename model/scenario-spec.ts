// A declared scenario as the lab file carries it (constructs/scenario.ts writes it,
// netops/scenario.ts runs it): faults at their times, and expectations probed all along.
import { z } from "zod";
import { bounded, Impairment } from "./fields";
import { ExpectSpec } from "./expect-spec";

/** How long a run lasts (s), how often it probes and how long a probe waits (ms), the outage bound (ms). */
export const SCENARIO_LIMITS = {
  seconds: { min: 0.1, max: 3600 },
  everyMs: { min: 20, max: 60_000 },
  timeoutMs: { min: 10, max: 10_000 },
  maxOutageMs: { min: 1, max: 3_600_000 },
} as const;

/**
 * One fault: a link (an endpoint's veth or a VethLink, named as `nslab link` names it)
 * down or up; loss and rate on it (an impairment), or back as declared (null); a
 * workload stopped or started (its object key).
 */
export const FaultSpec = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("link"), target: z.string().min(1), up: z.boolean() }).strict(),
  z.object({ kind: z.literal("impair"), target: z.string().min(1), impair: Impairment.nullable() }).strict(),
  z.object({ kind: z.literal("workload"), key: z.string().min(1), running: z.boolean() }).strict(),
]);
export type FaultSpec = z.infer<typeof FaultSpec>;

export const StepSpec = z
  .object({
    /** Seconds from the run's start. */
    at: z.number().min(0),
    fault: FaultSpec,
    /** What reports call it: "link down Lab/Web (ns01:eth0)". */
    label: z.string().min(1),
  })
  .strict();
export type StepSpec = z.infer<typeof StepSpec>;

export const ScenarioSpec = z
  .object({
    /** What `nslab run <stack> <name>` calls it. */
    name: z.string().min(1),
    /** The construct path: what reports call it. */
    path: z.string().min(1),
    seconds: bounded(SCENARIO_LIMITS.seconds),
    everyMs: bounded(SCENARIO_LIMITS.everyMs).int(),
    timeoutMs: bounded(SCENARIO_LIMITS.timeoutMs).int(),
    maxOutageMs: bounded(SCENARIO_LIMITS.maxOutageMs).int().optional(),
    /** The expectations probed, as `nslab test` checks them. */
    probes: z.array(ExpectSpec).min(1),
    /** In the order they apply (by time, then as declared). */
    steps: z.array(StepSpec),
  })
  .strict();
export type ScenarioSpec = z.infer<typeof ScenarioSpec>;
