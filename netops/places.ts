// Places in a running lab, named as a user names them (`nslab exec`, `shell`, `capture`):
// a namespace (`ns01`), the host side of a machine (`host`), an interface (`ns01:eth0`,
// `host:veth-ns01`), a network's bridge or a tunnel by its device name (`br01`), each on
// this machine or on a Host (`ns01@b`). Names are unique per machine, not per lab, so a
// bare name is this machine's when it has it, else the one Host's that has it.
import { sandboxHostOf } from "../model/schema";
import { interfacesOf, namespacesOf } from "../model/kinds";
import type { ObjectSpec, RemoteSpec } from "../model/schema";

export interface Place {
  /** The Host it is on; absent: this machine. */
  readonly remote?: RemoteSpec;
  /** That machine's sandbox host namespace; absent: its real host. */
  readonly sandboxHost?: string;
  /** The namespace; absent: the host side. */
  readonly netns?: string;
  /** The interface, for a place that is one. */
  readonly ifname?: string;
  /** What the user calls it, without the machine: `ns01`, `ns01:eth0`, `br01`. */
  readonly name: string;
  /** Other names that pick it: an endpoint's namespace when it is the namespace's only interface. */
  readonly aliases?: readonly string[];
  /** The lab object it is part of (an interface's endpoint, link, network or tunnel). */
  readonly of?: ObjectSpec;
}

/** What pick calls the places, for its messages: one (`no namespace of this lab`) and several (`names 2 namespaces`). */
export interface Called {
  readonly one: string;
  readonly many: string;
}
export const NAMESPACES: Called = { one: "namespace", many: "namespaces" };
export const INTERFACES: Called = { one: "interface", many: "interfaces" };

const machineOf = (s: ObjectSpec) => ({
  ...(s.remote ? { remote: s.remote } : {}),
  ...(sandboxHostOf(s) ? { sandboxHost: sandboxHostOf(s) } : {}),
});
const side = (netns: string | undefined) => netns ?? "host";
/** The place's full name: with its machine when it is a Host's. */
export const fullName = (p: Place, name = p.name) => (p.remote ? `${name}@${p.remote.name}` : name);

/** Every namespace of the lab, and the host side of every machine it is on (`host`). */
export function namespaces(specs: readonly ObjectSpec[], labHost?: string): Place[] {
  const seen = new Map<string, Place>();
  const add = (p: Place) => seen.set(fullName(p), seen.get(fullName(p)) ?? p);
  add({ ...(labHost ? { sandboxHost: labHost } : {}), name: "host" });
  for (const s of specs) {
    const at = machineOf(s);
    add({ ...at, name: "host" });
    for (const netns of namespacesOf(s)) add({ ...at, netns, name: netns });
  }
  return [...seen.values()];
}

/** Every interface of the lab a packet can be seen on. */
export function interfaces(specs: readonly ObjectSpec[]): Place[] {
  const out: Place[] = [];
  const at = (s: ObjectSpec, netns: string | undefined, ifname: string, name = `${side(netns)}:${ifname}`) =>
    out.push({
      of: s,
      ...machineOf(s),
      ...(netns ? { netns } : {}),
      ifname,
      name,
      ...(name !== `${side(netns)}:${ifname}` ? { aliases: [`${side(netns)}:${ifname}`] } : {}),
    });
  for (const s of specs) for (const i of interfacesOf(s)) at(s, i.netns, i.ifname, i.byDevice ? i.ifname : undefined);
  // a namespace with one interface is named by the namespace alone (`nslab capture lab ns01`)
  const count = new Map<string, number>();
  for (const p of out) if (p.netns) count.set(fullName(p, p.netns), (count.get(fullName(p, p.netns)) ?? 0) + 1);
  return out.map((p) =>
    p.netns && count.get(fullName(p, p.netns)) === 1 ? { ...p, aliases: [...(p.aliases ?? []), p.netns] } : p,
  );
}

/**
 * The place `target` names among `places` (`what`: what they are called, for the message). A
 * name the machine does not pick may be this machine's and a Host's: this machine's wins.
 * A name that picks none, or several, lists the right ones.
 */
export function pick(places: readonly Place[], target: string, what: Called): Place {
  const at = target.lastIndexOf("@");
  const [name, machine] = at > 0 ? [target.slice(0, at), target.slice(at + 1)] : [target, undefined];
  const on = (list: readonly Place[]) =>
    machine !== undefined
      ? list.filter((p) => p.remote?.name === machine)
      : list.some((p) => !p.remote)
        ? list.filter((p) => !p.remote)
        : list;
  const named = on(places.filter((p) => p.name === name || p.aliases?.includes(name)));
  // an interface asked for by its namespace, which has several
  const found = named.length ? named : on(places.filter((p) => p.ifname && p.netns === name));
  if (found.length === 1) return found[0];
  const choices = (found.length ? found : places).map((p) => fullName(p)).sort();
  throw new Error(
    found.length
      ? `${target} names ${found.length} ${what.many}; say which: ${choices.join(", ")}`
      : `${target} is no ${what.one} of this lab; these are: ${choices.join(", ") || "none"}`,
  );
}

/** What a message calls the machine a place is on. */
export const machineLabel = (p: Place) => (p.remote ? `host ${p.remote.name}` : "this machine");
