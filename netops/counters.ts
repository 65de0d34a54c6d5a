// What has crossed each endpoint and link so far, read from the kernel's interface
// counters (`ip -s -j link`): the live page (`nslab ui`) turns two readings into rates.
// Each object is counted at one interface, as the registry of kinds says (model/kinds.ts counted).
import { countedAt, specKey } from "../model/kinds";
import type { ObjectSpec } from "../model/schema";
import { run } from "./exec";
import { inSandboxHost, type Target } from "./step";

export interface Counters {
  readonly key: string;
  /** Bytes and packets into and out of the interface counted (rx: from the namespace's side for an endpoint). */
  readonly rxBytes: number;
  readonly txBytes: number;
  readonly rxPackets: number;
  readonly txPackets: number;
  /** The Host it is on, when it is on another machine. */
  readonly machine?: string;
}

interface Stats {
  ifname: string;
  stats64?: { rx: { bytes: number; packets: number }; tx: { bytes: number; packets: number } };
}

/** This machine's counters for `specs`: one `ip -s -j link` per namespace holding a counted interface. */
export async function countersHere(lab: Target, specs: readonly ObjectSpec[]): Promise<Counters[]> {
  const at = specs.flatMap((s) => {
    const c = countedAt(s);
    return c ? [{ key: specKey(s), ...c }] : [];
  });
  const namespaces = [...new Set(at.map((a) => a.netns))];
  const byNs = new Map<string | undefined, Map<string, Stats>>();
  await Promise.all(
    namespaces.map(async (ns) => {
      const r = await run(
        ns ? ["ip", "-n", ns, "-s", "-j", "link", "show"] : inSandboxHost(lab, ["ip", "-s", "-j", "link", "show"]),
      );
      const links = r.ok ? (JSON.parse(r.stdout || "[]") as Stats[]) : []; // a namespace gone: nothing to count
      byNs.set(ns, new Map(links.map((l) => [l.ifname, l])));
    }),
  );
  return at.flatMap((a) => {
    const st = byNs.get(a.netns)?.get(a.ifname)?.stats64;
    return st
      ? [{ key: a.key, rxBytes: st.rx.bytes, txBytes: st.tx.bytes, rxPackets: st.rx.packets, txPackets: st.tx.packets }]
      : [];
  });
}
