// Changes at run time, without a deploy: `nslab impair` (loss and rate on an endpoint's
// veth or a link, or `reset` to what is declared) and `nslab link ... up|down`. They are
// drift by design: verify reports them, and repair (or reset, or up) undoes them.
import type { EndpointSpec, Impairment, LinkSpec, ObjectSpec } from "../model/schema";
import { wireOf as endpointWire } from "./endpoint";
import { log } from "./engine";
import { runPlans } from "./exec";
import { impairSteps, type Wire } from "./impair";
import { wireOf as linkWire } from "./link";
import { inNetns, type Step } from "./step";

/** What a target names: `ns` or `ns:ifname` (an endpoint, or either end of a link). */
export function findWire(specs: readonly ObjectSpec[], target: string): { spec: EndpointSpec | LinkSpec; wire: Wire } {
  const [ns, ifname] = target.split(":");
  const endpoints = specs.filter(
    (s): s is EndpointSpec => s.kind === "endpoint" && s.netns === ns && (!ifname || s.ifname === ifname),
  );
  const links = specs.filter(
    (s): s is LinkSpec =>
      s.kind === "link" && [s.a, s.b].some((e) => (e.netns ?? "host") === ns && (!ifname || e.ifname === ifname)),
  );
  const found = [...endpoints, ...links];
  if (found.length === 1) {
    const s = found[0];
    return { spec: s, wire: s.kind === "endpoint" ? endpointWire(s) : linkWire(s) };
  }
  const names = specs
    .flatMap((s) =>
      s.kind === "endpoint"
        ? [`${s.netns}:${s.ifname}`]
        : s.kind === "link"
          ? [`${s.a.netns ?? "host"}:${s.a.ifname}`]
          : [],
    )
    .sort();
  throw new Error(
    found.length
      ? `${target} names ${found.length} interfaces; say which, as namespace:interface (${names.join(", ")})`
      : `${target} is no endpoint or link of this stack; these are: ${names.join(", ") || "none"}`,
  );
}

/** Impair the wire as `imp` says, or (null) as declared. */
export async function impairNow(specs: readonly ObjectSpec[], target: string, imp: Impairment | null): Promise<void> {
  const { spec, wire } = findWire(specs, target);
  const label = `impair ${wire.netns ?? "host"}/${wire.ifname}`;
  await runPlans([{ steps: impairSteps(wire, imp ?? spec.impair, label), log: log("run time") }], log("rollback"));
}

/** Set both ends of the wire up or down. */
export async function linkNow(specs: readonly ObjectSpec[], target: string, up: boolean): Promise<void> {
  const { wire } = findWire(specs, target);
  const state = up ? "up" : "down";
  const steps: Step[] = [wire, wire.peer].map((e) => ({
    what: `${e.netns ?? "host"}/${e.ifname} ${state}`,
    argv: inNetns(wire, e.netns, ["ip", "link", "set", "dev", e.ifname, state]),
  }));
  await runPlans([{ steps, log: log("run time") }], log("rollback"));
}
