// The registry of kinds: each kind of lab object is declared once, here. Its key names it
// (unique per kernel object within a stack on its host: ledger file names, trigger lines,
// the sweep's matching), and what it provides and needs make the dependency graph:
// an object's parents are the objects that provide what it needs. Everything that orders
// objects derives from this table: the constructs' Terraform `depends_on` and
// `replace_triggered_by`, the removal order of the sweep and the owner, the batched
// converge's waves and its rebuilds. Adding a kind touches this table (plus its schema in
// schema.ts and its runner operations in netops/).
import { nftTable } from "./kernel-names";
import type { ObjectSpec } from "./schema";

type Of<K extends ObjectSpec["kind"]> = Extract<ObjectSpec, { kind: K }>;

export interface Kind<S extends ObjectSpec> {
  /** Unique per kernel object of a stack on its host. */
  key(s: S): string;
  /** What people read: the runner's log lines, inspect, verify, `nslab deploy`. */
  label(s: S): string;
  /**
   * Names of kernel things this object makes, for others to need. Each is its own, on its
   * machine: two objects providing one name clash (`clashesOf`), but for the aggregates
   * many provide together (`hostnets`, `devs:<netns>`).
   */
  provides(s: S): string[];
  /** Names of kernel things this object lives on or in: whoever provides them is a parent. */
  needs(s: S): string[];
  /** Names of things to make before this object (order only: it is not rebuilt with them). */
  after?(s: S): string[];
  /** The interfaces it makes that a packet can be seen on (`nslab capture`, netops/places.ts). */
  interfaces(s: S): KindInterface[];
  /** The one interface its traffic is counted at (the live page, netops/counters.ts), or none. */
  counted(s: S): KindInterface | null;
  /**
   * Its changes take the machine's firewall lock (netops/engine.ts): they place FORWARD
   * rules by a position read from a look at the firewall.
   */
  firewallLock(s: S): boolean;
  /** The construct prop that names `thing`, one of what it provides (without the machine): a clash blames it. */
  propOf(s: S, thing: string): string;
}

/** An interface an object makes, as a user names it. */
export interface KindInterface {
  /** Its namespace; absent: the host side. */
  readonly netns?: string;
  readonly ifname: string;
  /** Named by its device alone (a bridge, a tunnel: `br01`), not `<side>:<ifname>`. */
  readonly byDevice?: true;
}

const routeDst = (dst: string) => dst.replace("/", "_");
const linkEnd = (e: { netns?: string; ifname: string }) => `${e.netns ?? "host"}/${e.ifname}`;
/** A port mapping's targets as people read them: "10.0.0.2, [fd00::2]". */
export const portTargets = (s: Of<"portmap">) =>
  [s.address, s.address6 && `[${s.address6}]`].filter(Boolean).join(", ");

const linkEndProvides = (e: { netns?: string; ifname: string }) =>
  e.netns ? [`dev:${e.netns}/${e.ifname}`, `devs:${e.netns}`] : [`hostdev:${e.ifname}`, "hostnets"];
const end = (e: { netns?: string; ifname: string }): KindInterface => ({
  ...(e.netns ? { netns: e.netns } : {}),
  ifname: e.ifname,
});
/** The part of a provided name after its kind of thing: `dev:ns1/eth0` -> `ns1/eth0`. */
const named = (thing: string) => thing.slice(thing.indexOf(":") + 1);
const none = () => [];
const nothing = () => null;
const no = () => false;

export const KINDS: { readonly [K in ObjectSpec["kind"]]: Kind<Of<K>> } = {
  network: {
    key: (s) => `network-${s.bridge}`,
    label: (s) => `bridge ${s.bridge}`,
    // a host route over the bridge, or over any network when it names only a gateway
    provides: (s) => [`bridge:${s.bridge}`, `hostdev:${s.bridge}`, "hostnets"],
    needs: () => [],
    interfaces: (s) => [{ ifname: s.bridge, byDevice: true }],
    counted: nothing,
    // iptables: its FORWARD hooks go by position (nftables: its own table, replaced whole)
    firewallLock: (s) => s.firewall !== "nftables",
    propOf: () => "bridgeName",
  },
  sandbox: {
    key: (s) => `sandbox-${s.netns}`,
    label: (s) => `sandbox ${s.netns}`,
    provides: (s) => [`netns:${s.netns}`],
    needs: () => [],
    interfaces: none,
    counted: nothing,
    firewallLock: no,
    propOf: () => "netns",
  },
  endpoint: {
    // netns and interface: two endpoints of one sandbox are two objects
    key: (s) => `endpoint-${s.netns}:${s.ifname}`,
    label: (s) => `endpoint ${s.netns}`,
    // the namespace first: of two endpoints on one namespace, that is the clash to report
    provides: (s) => [
      ...(s.shared ? [] : [`netns:${s.netns}`]),
      `dev:${s.netns}/${s.ifname}`,
      `devs:${s.netns}`,
      `hostdev:${s.hostIf}`,
      ...[s.address, s.address6].flatMap((a) => (a ? [`addr:${s.bridge}/${a}`] : [])),
    ],
    needs: (s) => [
      `bridge:${s.bridge}`,
      ...(s.port ? [`bridge:${s.port}`] : []),
      ...(s.shared ? [`netns:${s.netns}`] : []),
    ],
    interfaces: (s) => [{ netns: s.netns, ifname: s.ifname }, { ifname: s.hostIf }],
    // at its veth's host end: rx is what the namespace sent
    counted: (s) => ({ ifname: s.hostIf }),
    firewallLock: no,
    propOf: (_s, thing) =>
      thing.startsWith("netns:")
        ? "netns"
        : thing.startsWith("dev:")
          ? "interfaceName"
          : thing.startsWith("addr:")
            ? named(thing).includes(":")
              ? "ipv6Address"
              : "address"
            : "hostInterfaceName",
  },
  delayline: {
    key: (s) => `delayline-${s.netns}:${s.ifname}`,
    label: (s) => `delay line ${s.netns}/${s.ifname}`,
    // the private bridge its endpoint's host end joins: the endpoint is rebuilt with it
    // (a link's line makes its far half's bridge too)
    provides: (s) => [s.port, ...(s.ownsBridge ? [s.bridge] : [])].flatMap((b) => [`bridge:${b}`, `hostdev:${b}`]),
    needs: (s) => (s.ownsBridge ? [] : [`bridge:${s.bridge}`]),
    interfaces: none,
    counted: nothing,
    // its accept goes to the top of FORWARD, which shifts the networks' positions
    firewallLock: () => true,
    propOf: () => "impairment",
  },
  vxlan: {
    key: (s) => `vxlan-${s.dev}`,
    label: (s) => `tunnel ${s.dev} of ${s.bridge}`,
    provides: (s) => [`hostdev:${s.dev}`],
    needs: (s) => [`bridge:${s.bridge}`],
    interfaces: (s) => [{ ifname: s.dev, byDevice: true }],
    counted: nothing,
    firewallLock: no,
    propOf: () => "bridgeName",
  },
  link: {
    // an end on the host (no netns) is a host device, as a bridge or an endpoint's host veth is
    key: (s) => `link-${s.a.netns ?? ""}:${s.a.ifname}`,
    label: (s) => `link ${linkEnd(s.a)} <-> ${linkEnd(s.b)}`,
    provides: (s) => [
      ...[s.a, s.b].flatMap(linkEndProvides),
      ...(s.line ? [s.line.a.peer, s.line.b.peer].map((p) => `hostdev:${p}`) : []),
    ],
    needs: (s) => [
      ...[s.a, s.b].flatMap((e) => (e.netns ? [`netns:${e.netns}`] : [])),
      ...(s.line ? [`bridge:${s.line.a.bridge}`, `bridge:${s.line.b.bridge}`] : []),
    ],
    interfaces: (s) => [end(s.a), end(s.b)],
    counted: (s) => end(s.a),
    firewallLock: no,
    // an end's interface, or (a delayed link) its delay line's
    propOf: (s, thing) => {
      const ifname = named(thing).split("/").pop();
      return s.a.ifname === ifname ? "a.interfaceName" : s.b.ifname === ifname ? "b.interfaceName" : "impairment";
    },
  },
  route: {
    key: (s) => `route-${s.netns ?? ""}:${routeDst(s.dst)}`,
    label: (s) => `route ${s.dst} ${s.netns ? `in ${s.netns}` : "on the host"}`,
    // a route goes with the interface it leaves by: with only a gateway, that may be any
    // interface of its namespace (or any network's bridge on the host)
    needs: (s) =>
      s.netns
        ? [`netns:${s.netns}`, s.dev ? `dev:${s.netns}/${s.dev}` : `devs:${s.netns}`]
        : [s.dev ? `hostdev:${s.dev}` : "hostnets"],
    provides: () => [],
    interfaces: none,
    counted: nothing,
    firewallLock: no,
    propOf: () => "destination",
  },
  portmap: {
    key: (s) => `portmap-${s.protocol}-${s.hostIp ?? "any"}-${s.hostPort}${s.hostPortEnd ? `-${s.hostPortEnd}` : ""}`,
    label: (s) =>
      s.hostPortEnd
        ? `ports ${s.hostIp ?? "*"}:${s.hostPort}-${s.hostPortEnd}/${s.protocol} -> ${portTargets(s)}`
        : `port ${s.hostIp ?? "*"}:${s.hostPort}/${s.protocol} -> ${portTargets(s)}:${s.port}`,
    // the host ports it listens on: every address's ("*"), or one address's
    provides: (s) =>
      Array.from(
        { length: (s.hostPortEnd ?? s.hostPort) - s.hostPort + 1 },
        (_, i) => `hostport:${s.protocol}/${s.hostPort + i}/${s.hostIp ?? "*"}`,
      ),
    needs: (s) => [`addr:${s.bridge}/${s.address ?? s.address6}`, `bridge:${s.bridge}`],
    interfaces: none,
    counted: nothing,
    firewallLock: no,
    propOf: () => "hostPort",
  },
  names: {
    key: () => "names",
    label: () => "names",
    provides: () => ["names"],
    needs: () => [],
    interfaces: none,
    counted: nothing,
    firewallLock: no,
    propOf: () => "id",
  },
  nftables: {
    key: () => "nftables",
    label: (s) => `nftables table ${nftTable(s.stack)}`,
    provides: () => [],
    needs: () => [],
    interfaces: none,
    counted: nothing,
    // one table of its own, replaced atomically: no position in anyone's chain
    firewallLock: no,
    propOf: () => "firewall",
  },
  workload: {
    key: (s) => `workload-${s.name}`,
    label: (s) => `workload ${s.name}`,
    provides: () => [],
    // rebuilt with its namespace (a process lives in the one it started in); started
    // after the names files, which `ip netns exec` shows it as /etc/hosts and resolv.conf.
    // Not restarted when they change: like Docker's /etc/hosts of a user-defined network,
    // a running workload keeps what it started with (-replace it to start it again)
    needs: (s) => (s.netns ? [`netns:${s.netns}`] : []),
    after: (s) => (s.netns ? ["names"] : []),
    interfaces: none,
    counted: nothing,
    firewallLock: no,
    propOf: () => "name",
  },
};

const kindOf = <S extends ObjectSpec>(s: S) => KINDS[s.kind] as unknown as Kind<S>;

/**
 * What an object provides and needs, on its machine: a network spanning hosts has a
 * bridge of the same name on each, and an endpoint there hangs off its own host's only.
 */
const onMachine = (s: ObjectSpec, names: readonly string[]) =>
  s.remote ? names.map((n) => `@${s.remote!.name}/${n}`) : names;
const providesOf = (s: ObjectSpec) => onMachine(s, kindOf(s).provides(s));
const needsOf = (s: ObjectSpec, withAfter: boolean) =>
  onMachine(s, [...kindOf(s).needs(s), ...(withAfter ? (kindOf(s).after?.(s) ?? []) : [])]);

/** The namespaces an object is in or needs on its machine (what a look at it reads). */
export const namespacesOf = (s: ObjectSpec): string[] =>
  [...kindOf(s).provides(s), ...kindOf(s).needs(s)].flatMap((n) => /^(?:netns|devs):(.+)$/.exec(n)?.[1] ?? []);

/** Names many objects provide together: what the graph gathers, nobody's own. */
const isAggregate = (name: string) => /^(@[^/]+\/)?(hostnets$|devs:)/.test(name);

/** Two objects that provide the same thing on one machine: `second` is the later of them. */
export interface Clash {
  readonly name: string;
  readonly first: number;
  readonly second: number;
}

/**
 * Every pair of `specs` that provide one thing on one machine (a namespace, an interface
 * name, an address on a network, a host port...), once per pair, with the first name they
 * share. A host port on every address ("*") is also every single address's.
 */
export function clashesOf(specs: readonly ObjectSpec[]): Clash[] {
  const owner = new Map<string, number>();
  const ports = new Map<string, [ip: string, i: number][]>();
  const out: Clash[] = [];
  const seen = new Set<string>();
  const clash = (name: string, first: number, second: number) => {
    if (first === second || seen.has(`${first} ${second}`)) return;
    seen.add(`${first} ${second}`);
    out.push({ name, first, second });
  };
  specs.forEach((s, i) => {
    for (const name of providesOf(s)) {
      if (isAggregate(name)) continue;
      const port = /^(.*hostport:[^/]+\/\d+)\/(.+)$/.exec(name);
      if (port) {
        const [, base, ip] = port;
        const list = ports.get(base) ?? [];
        const other = list.find(([o]) => o === ip || o === "*" || ip === "*");
        if (other) clash(name, other[1], i);
        ports.set(base, [...list, [ip, i]]);
        continue;
      }
      const first = owner.get(name);
      if (first === undefined) owner.set(name, i);
      else clash(name, first, i);
    }
  });
  return out;
}

/** The interfaces `s` makes that a packet can be seen on. */
export const interfacesOf = (s: ObjectSpec): KindInterface[] => kindOf(s).interfaces(s);
/** The interface `s`'s traffic is counted at, or none. */
export const countedAt = (s: ObjectSpec): KindInterface | null => kindOf(s).counted(s);
/** Its changes take the machine's firewall lock. */
export const needsFirewallLock = (s: ObjectSpec): boolean => kindOf(s).firewallLock(s);
/** The construct prop of `s` that names `thing` (what a clash blames). */
export const propOfThing = (s: ObjectSpec, thing: string): string =>
  kindOf(s).propOf(s, thing.replace(/^@[^/]+\//, ""));

export function specKey(s: ObjectSpec): string {
  return kindOf(s).key(s);
}

export function labelOf(s: ObjectSpec): string {
  return kindOf(s).label(s);
}

/** Index of who provides what among `specs`. */
function providersOf(specs: readonly ObjectSpec[]): Map<string, number[]> {
  const providers = new Map<string, number[]>();
  specs.forEach((s, i) => {
    for (const p of providesOf(s)) {
      const list = providers.get(p);
      if (list) list.push(i);
      else providers.set(p, [i]);
    }
  });
  return providers;
}

const resolve = (providers: Map<string, number[]>, names: readonly string[], self: number) =>
  [...new Set(names.flatMap((n) => providers.get(n) ?? []))].filter((j) => j !== self);

/**
 * The parents of every spec among `specs`, as indexes: the specs that provide something
 * it needs. One index of providers, so this is linear in the number of specs.
 */
export function parentsOf(specs: readonly ObjectSpec[]): number[][] {
  const providers = providersOf(specs);
  return specs.map((s, i) => resolve(providers, needsOf(s, false), i));
}

/** Parents, plus what each spec is only made after (Terraform's depends_on). */
export function predecessorsOf(specs: readonly ObjectSpec[]): number[][] {
  const providers = providersOf(specs);
  return specs.map((s, i) => resolve(providers, needsOf(s, true), i));
}

/**
 * Levels of the graph: 0 for objects with no parent, else one more than the highest
 * parent. Objects of one level can be made together; removal goes from the top level down.
 */
export function levels(specs: readonly ObjectSpec[]): number[] {
  const parents = predecessorsOf(specs);
  const level = new Array<number>(specs.length).fill(-1);
  const visiting = new Set<number>();
  const visit = (i: number): number => {
    if (level[i] >= 0) return level[i];
    if (visiting.has(i)) throw new Error(`dependency cycle through ${specKey(specs[i])}`);
    visiting.add(i);
    level[i] = Math.max(-1, ...parents[i].map(visit)) + 1;
    visiting.delete(i);
    return level[i];
  };
  specs.forEach((_, i) => visit(i));
  return level;
}

/** `specs` in the order they are made: parents first, then by key (stable output). */
export function applyOrder<S extends ObjectSpec>(specs: readonly S[]): S[] {
  const level = levels(specs);
  return specs
    .map((s, i) => ({ s, l: level[i], k: specKey(s) }))
    .sort((a, b) => a.l - b.l || a.k.localeCompare(b.k))
    .map((x) => x.s);
}

/** `specs` in the order they are removed: what hangs off an object goes before it. */
export function removalOrder<S extends ObjectSpec>(specs: readonly S[]): S[] {
  return applyOrder(specs).reverse();
}

/**
 * What goes with `changed`: every spec of `specs` that needs, directly or through
 * others, something a changed spec provides (as Terraform replaces a resource whose
 * `replace_triggered_by` names a replaced one). `changed` holds indexes into `specs`.
 */
export function dependentsOf(specs: readonly ObjectSpec[], changed: Iterable<number>): Set<number> {
  const parents = parentsOf(specs);
  const children = specs.map(() => [] as number[]);
  parents.forEach((ps, i) => ps.forEach((p) => children[p].push(i)));
  const out = new Set<number>(changed);
  const queue = [...out];
  while (queue.length) {
    for (const c of children[queue.pop()!]) {
      if (!out.has(c)) {
        out.add(c);
        queue.push(c);
      }
    }
  }
  return out;
}
