// Changes at run time, without a deploy: `nslab impair` (loss and rate on an endpoint's
// veth or a link, or `reset` to what is declared) and `nslab link ... up|down`. They are
// drift by design: verify reports them, and repair (or reset, or up) undoes them. A
// target on a Host is changed there, by its runner (the same code, forwarded).
import type { EndpointSpec, Impairment, LinkSpec, ObjectSpec } from "../model/schema";
import { defaultRoutes, wireOf as endpointWire } from "./endpoint";
import { applySpecs, log } from "./engine";
import { runPlans } from "./exec";
import { impairSteps, type Wire } from "./impair";
import { wireOf as linkWire } from "./link";
import { inNetns, type Step } from "./step";
import { interfaces, pick } from "./places";
import { hostLabel } from "./remote";
import { hostAt } from "./host-at";
import type { RuntimeMessage } from "../model/messages";

/**
 * What a target names: an endpoint (`ns`, `ns:ifname`, its host end `host:veth-ns`) or
 * either end of a link, on this machine or a Host (places.ts).
 */
export function findWire(specs: readonly ObjectSpec[], target: string): { spec: EndpointSpec | LinkSpec; wire: Wire } {
  const wires = interfaces(specs).filter((p) => p.of?.kind === "link" || (p.of?.kind === "endpoint" && p.netns));
  const spec = pick(wires, target, { one: "endpoint or link", many: "interfaces" }).of as EndpointSpec | LinkSpec;
  return { spec, wire: spec.kind === "endpoint" ? endpointWire(spec) : linkWire(spec) };
}

/**
 * The change on the Host the target is on, by its runner there (with `also`, the objects
 * it needs besides the target's); false when the target is on this machine.
 */
async function there(
  spec: ObjectSpec,
  verb: "link" | "impair",
  target: string,
  what: string,
  also: readonly ObjectSpec[] = [],
): Promise<boolean> {
  if (!spec.remote) return false;
  const message: RuntimeMessage = { target: target.replace(/@[^@]*$/, ""), what };
  const code = await hostAt(spec.remote).change(verb, message, [spec, ...also]);
  if (code !== 0) throw new Error(`${verb} ${target}: failed on ${hostLabel(spec.remote)}`);
  return true;
}

/** Impair the wire as `imp` says, or (null) as declared. */
export async function impairNow(specs: readonly ObjectSpec[], target: string, imp: Impairment | null): Promise<void> {
  const { spec, wire } = findWire(specs, target);
  if (await there(spec, "impair", target, imp ? JSON.stringify(imp) : "reset")) return;
  const label = `impair ${wire.netns ?? "host"}/${wire.ifname}`;
  await runPlans([{ steps: impairSteps(wire, imp ?? spec.impair, label), log: log("run time") }], log("rollback"));
}

/** Set both ends of the wire up or down. */
/**
 * Set both ends of the wire up or down. The kernel drops the routes through a link that
 * goes down and does not bring them back with it: up puts back the endpoint's default
 * routes and the Routes declared in the wire's namespaces, so the lab is as declared.
 */
export async function linkNow(specs: readonly ObjectSpec[], target: string, up: boolean): Promise<void> {
  const { spec, wire } = findWire(specs, target);
  const sides = new Set([wire.netns, wire.peer.netns]);
  const routes = specs.filter((s) => s.kind === "route" && s.remote?.name === spec.remote?.name && sides.has(s.netns));
  if (await there(spec, "link", target, up ? "up" : "down", routes)) return;
  const state = up ? "up" : "down";
  const steps: Step[] = [wire, wire.peer].map((e) => ({
    what: `${e.netns ?? "host"}/${e.ifname} ${state}`,
    argv: inNetns(wire, e.netns, ["ip", "link", "set", "dev", e.ifname, state]),
  }));
  if (up && spec.kind === "endpoint" && defaultRoutes(spec).length)
    steps.push({
      what: `${spec.netns}: its default route back`,
      argv: ["ip", "-n", spec.netns, "-batch", "-"],
      input: [...defaultRoutes(spec), ""].join("\n"),
    });
  await runPlans([{ steps, log: log("run time") }], log("rollback"));
  if (up && routes.length) await applySpecs(routes);
}
