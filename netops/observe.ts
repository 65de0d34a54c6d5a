// Readers of kernel state, as JSON where the tool offers it. Each returns plain data;
// "does not exist" is an answer (null), anything else unexpected is an error.
import { sandboxHostOf } from "../model/schema";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { run } from "./exec";
import { NETNS_DIR, inSandboxHost, type Target } from "./step";

export interface Link {
  readonly ifname: string;
  readonly flags: readonly string[];
  readonly mtu: number;
  readonly master?: string;
  readonly address?: string;
  readonly ifalias?: string;
  readonly link_type?: string;
  readonly linkinfo?: {
    info_kind?: string;
    info_slave_data?: { isolated?: boolean; hairpin?: boolean; learning?: boolean };
  };
  readonly addr_info?: readonly { family: string; local: string; prefixlen: number; scope?: string }[];
}

export interface Route {
  readonly dst: string;
  readonly gateway?: string;
  readonly dev?: string;
  readonly protocol?: string;
}

const NOT_FOUND = /does not exist|Cannot find device|No such file|not found/i;

async function json<T>(argv: string[], what: string): Promise<T | null> {
  const r = await run(argv);
  if (r.ok) return JSON.parse(r.stdout || "[]") as T;
  if (NOT_FOUND.test(r.stderr)) return null;
  throw new Error(`reading ${what}: ${r.stderr.trim()}\n  command: ${argv.join(" ")}`);
}

/**
 * What /run/netns/<name> is: a namespace (a bind mount of nsfs, on another device than
 * the folder), nothing, or a file that is no namespace: `ip netns add` creates the file,
 * then mounts the namespace on it, and one killed in between (a deploy killed with
 * everything under it) leaves the file. Such a file reads as no namespace, and whoever
 * makes that namespace clears it first (`netnsAddLines`).
 */
export function netnsFile(name: string): "namespace" | "stale" | "absent" {
  try {
    return statSync(`${NETNS_DIR}/${name}`).dev !== statSync(NETNS_DIR).dev ? "namespace" : "stale";
  } catch {
    return "absent";
  }
}

export const netnsExists = (name: string): boolean => netnsFile(name) === "namespace";

/** The `ip -batch` lines that make namespace `name`: a stale file of that name goes first. */
export const netnsAddLines = (name: string): string[] => [
  ...(netnsFile(name) === "stale" ? [`netns del ${name}`] : []),
  `netns add ${name}`,
];

type NsState = { links: Link[] | null; routes: Route[] | null };

/** Links and routes of a namespace in one process: a batch prints one JSON document per line. */
async function nsState(ns: string): Promise<NsState> {
  const argv = ["ip", "-n", ns, "-d", "-j", "-batch", "-"];
  const r = await run(argv, "addr show\nroute show\n");
  if (!r.ok) {
    if (NOT_FOUND.test(r.stderr)) return { links: null, routes: null };
    throw new Error(`reading namespace ${ns}: ${r.stderr.trim()}\n  command: ${argv.join(" ")}`);
  }
  const [links, routes] = r.stdout
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as unknown[]);
  return { links: (links ?? []) as Link[], routes: (routes ?? []) as Route[] };
}

/** Below this many namespaces a look reads each on its own (netns()): a few processes either way. */
const PREFETCH_MIN = 16;
const PREFETCH_PROCESSES = 4;

/**
 * Links and routes of many namespaces: one `ip -batch` whose lines are `netns exec <ns> ip
 * -d -j -batch <inner>`, so ip forks the readers (a small process forks in ~0.2 ms; the
 * runner, with its heap, in ~3 ms: at 200 namespaces ~0.7 s of CPU). Each namespace read
 * prints two JSON lines; a line that failed (a namespace gone meanwhile) is named on stderr
 * with its number and prints nothing. (iproute2 6.1's child of a failed `netns exec` runs
 * on through the rest of the batch, so what follows may come twice.) An answer that does
 * not add up is not used: its namespaces are read on their own.
 */
async function nsStates(names: readonly string[], inner: string): Promise<Map<string, NsState>> {
  const r = await run(
    ["ip", "-force", "-batch", "-"],
    names.map((ns) => `netns exec ${ns} ip -d -j -batch ${inner}\n`).join(""),
  );
  const failed = new Set([...r.stderr.matchAll(/^Command failed -:(\d+)$/gm)].map((m) => Number(m[1]) - 1));
  const read = names.filter((_, i) => !failed.has(i));
  const lines = r.stdout.split("\n").filter((l) => l.trim());
  const out = new Map<string, NsState>();
  if (lines.length !== 2 * read.length) return out;
  try {
    read.forEach((ns, i) =>
      out.set(ns, { links: JSON.parse(lines[2 * i]) as Link[], routes: JSON.parse(lines[2 * i + 1]) as Route[] }),
    );
  } catch {
    out.clear();
  }
  return out;
}

/** The IPv4 and global IPv6 addresses of a link, as address/prefix (link-local left out). */
export const inetOf = (l: Link | null): string[] =>
  (l?.addr_info ?? [])
    .filter((a) => a.family === "inet" || (a.family === "inet6" && a.scope !== "link"))
    .map((a) => `${a.local}/${a.prefixlen}`);

/** Does the link carry this address (either family) with this prefix. */
export const hasAddress = (l: Link, address: string, prefix: number) =>
  (l.addr_info ?? []).some((i) => i.local === address && i.prefixlen === prefix);

/** A link's state for a reader: up, down, or absent. */
export const stateOf = (l: Link | null): "up" | "down" | "absent" =>
  !l ? "absent" : l.flags.includes("UP") ? "up" : "down";

/** iptables-save (or ip6tables-save) of the host (or sandbox): the text the firewall plans diff against. */
async function iptablesSave(t: Target, bin = "iptables-save"): Promise<string> {
  const argv = inSandboxHost(t, [bin]);
  const r = await run(argv);
  if (!r.ok)
    throw new Error(`reading ${bin.replace("-save", "")} rules: ${r.stderr.trim()}\n  command: ${argv.join(" ")}`);
  return r.stdout;
}

export async function readSysctl(t: Target, key: string): Promise<string> {
  const argv = inSandboxHost(t, ["sysctl", "-n", key]);
  const r = await run(argv);
  if (!r.ok) throw new Error(`reading sysctl ${key}: ${r.stderr.trim()}`);
  return r.stdout.trim();
}

/**
 * One look at a host, shared by every resource of a phase: all links in one
 * `ip -d -j addr show`, the firewall in one `iptables-save`, sysctls read once, each
 * namespace's links and routes once. A phase makes a new view: after it runs, the
 * host has changed.
 */
export class HostView {
  private links?: Promise<Map<string, Link>>;
  private readonly oneLink = new Map<string, Promise<Link | null>>();
  private save?: Promise<string>;
  private save6?: Promise<string>;
  private readonly sysctls = new Map<string, Promise<string>>();
  private readonly inside = new Map<string, Promise<{ links: Link[] | null; routes: Route[] | null }>>();
  private readonly inside6 = new Map<string, Promise<Route[] | null>>();
  private routes?: Promise<Route[]>;

  /**
   * `narrow`: the view of one object's runner, which reads each link by name. Listing
   * every link of a host is one process for a whole batch, but once per object it would
   * make a deploy O(N^2).
   */
  /** The sandbox host namespace is gone: nothing is left in it, and nothing can be run there. */
  readonly gone: boolean;

  constructor(
    readonly target: Target,
    private readonly narrow = false,
  ) {
    const sandboxHost = sandboxHostOf(target);
    this.gone = sandboxHost !== undefined && !netnsExists(sandboxHost);
  }

  async link(name: string): Promise<Link | null> {
    if (this.gone) return null;
    if (this.narrow) {
      let v = this.oneLink.get(name);
      if (!v) {
        v = json<Link[]>(
          inSandboxHost(this.target, ["ip", "-d", "-j", "addr", "show", "dev", name]),
          `link ${name}`,
        ).then((ls) => ls?.[0] ?? null);
        this.oneLink.set(name, v);
      }
      return v;
    }
    this.links ??= json<Link[]>(inSandboxHost(this.target, ["ip", "-d", "-j", "addr", "show"]), "links").then(
      (ls) => new Map((ls ?? []).map((l) => [l.ifname, l])),
    );
    return (await this.links).get(name) ?? null;
  }

  /** The host's (or sandbox host's) main routing table. */
  hostRoutes(): Promise<Route[]> {
    if (this.gone) return Promise.resolve([]);
    return (this.routes ??= json<Route[]>(inSandboxHost(this.target, ["ip", "-j", "route", "show"]), "routes").then(
      (r) => r ?? [],
    ));
  }

  iptables(): Promise<string> {
    if (this.gone) return Promise.resolve("");
    return (this.save ??= iptablesSave(this.target));
  }

  /** Read only by objects with IPv6 rules: an IPv4-only lab never starts ip6tables. */
  ip6tables(): Promise<string> {
    if (this.gone) return Promise.resolve("");
    return (this.save6 ??= iptablesSave(this.target, "ip6tables-save"));
  }

  sysctl(key: string): Promise<string> {
    if (this.gone) return Promise.resolve("");
    let v = this.sysctls.get(key);
    if (!v) this.sysctls.set(key, (v = readSysctl(this.target, key)));
    return v;
  }

  /** Links and routes inside namespace `ns` (null if it does not exist). */
  // read only for what has IPv6 (`ip route` shows IPv4 alone)
  /** IPv6 routes of a namespace, or of the host when `ns` is absent. */
  routes6(ns?: string): Promise<Route[] | null> {
    const key = ns ?? "";
    let v = this.inside6.get(key);
    if (!v) {
      v = !ns
        ? this.gone
          ? Promise.resolve([])
          : json<Route[]>(inSandboxHost(this.target, ["ip", "-6", "-j", "route", "show"]), "IPv6 routes")
        : netnsExists(ns)
          ? json<Route[]>(["ip", "-n", ns, "-6", "-j", "route", "show"], `IPv6 routes of ${ns}`)
          : Promise.resolve(null);
      this.inside6.set(key, v);
    }
    return v;
  }

  /**
   * Read many namespaces' links and routes up front, in a few processes (one look of a
   * whole lab: netns() then answers from here). A namespace it could not read is left to
   * netns(), which reads it on its own.
   */
  async prefetch(names: Iterable<string>): Promise<void> {
    const todo = [...new Set(names)].filter((ns) => !this.inside.has(ns) && netnsExists(ns));
    if (todo.length < PREFETCH_MIN) return;
    const parts = Math.max(2, Math.min(PREFETCH_PROCESSES, availableParallelism()));
    const size = Math.ceil(todo.length / parts);
    const chunks = Array.from({ length: Math.ceil(todo.length / size) }, (_, i) =>
      todo.slice(i * size, (i + 1) * size),
    );
    const dir = mkdtempSync(join(tmpdir(), "nslab-look-"));
    try {
      const inner = join(dir, "look");
      writeFileSync(inner, "addr show\nroute show\n");
      const read = await Promise.all(chunks.map((c) => nsStates(c, inner)));
      for (const [ns, state] of read.flatMap((m) => [...m])) this.inside.set(ns, Promise.resolve(state));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  netns(ns: string): Promise<{ links: Link[] | null; routes: Route[] | null }> {
    let v = this.inside.get(ns);
    if (!v) {
      v = netnsExists(ns) ? nsState(ns) : Promise.resolve({ links: null, routes: null });
      this.inside.set(ns, v);
    }
    return v;
  }
}
