// A throwaway "host" namespace per test, plus optional external client namespace joined
// to it by a veth. Everything is named by the test and removed by name.
import { existsSync } from "node:fs";
import { cmd, ok } from "./cmd";

export const inNs = (ns: string, argv: string[]) => ["nsenter", `--net=/run/netns/${ns}`, "--", ...argv];

export function uniq(prefix: string): string {
  return `${prefix}${process.pid.toString(36).slice(-3)}${Math.floor(Math.random() * 36 ** 3).toString(36)}`;
}

export function addNs(name: string): void {
  ok(["ip", "netns", "add", name]);
  ok(["ip", "-n", name, "link", "set", "lo", "up"]);
}

/**
 * A sandbox host as a real host looks: lo up and the nat and filter tables of both
 * families present (the nf_tables backend creates them on first use, which would show
 * as a difference).
 */
export function addHost(name: string): void {
  addNs(name);
  primeTables(name);
}

/** The nat and filter tables of both families, as a real host has them. */
export function primeTables(name: string): void {
  for (const bin of ["iptables-restore", "ip6tables-restore"])
    ok(inNs(name, [bin, "-w", "--noflush"]), {
      input: "*nat\n-N NLTMP\n-X NLTMP\nCOMMIT\n*filter\n-N NLTMP\n-X NLTMP\nCOMMIT\n",
    });
}

export function delNs(...names: string[]): void {
  for (const n of names) if (existsSync(`/run/netns/${n}`)) cmd(["ip", "netns", "del", n]);
}

/**
 * An external client namespace joined to the sandbox host by a veth:
 * host side HOST_ADDR/24, client side EXT_ADDR/24, client's default route via the host;
 * and the same in IPv6 (HOST_ADDR6/64, EXT_ADDR6/64) unless the host has IPv6 off.
 */
export const HOST_ADDR = "10.231.0.1";
export const EXT_ADDR = "10.231.0.2";
export const HOST_ADDR6 = "fd00:231::1";
export const EXT_ADDR6 = "fd00:231::2";

export function addExternal(host: string, ext: string, ipv6 = true): void {
  addNs(ext);
  ok(inNs(host, ["ip", "link", "add", "name", "xlink0", "type", "veth", "peer", "name", "eth0", "netns", ext]));
  ok(inNs(host, ["ip", "addr", "add", `${HOST_ADDR}/24`, "dev", "xlink0"]));
  ok(inNs(host, ["ip", "link", "set", "xlink0", "up"]));
  ok(["ip", "-n", ext, "addr", "add", `${EXT_ADDR}/24`, "dev", "eth0"]);
  ok(["ip", "-n", ext, "link", "set", "eth0", "up"]);
  ok(["ip", "-n", ext, "route", "add", "default", "via", HOST_ADDR]);
  if (!ipv6) return;
  ok(inNs(host, ["ip", "addr", "add", `${HOST_ADDR6}/64`, "dev", "xlink0", "nodad"]));
  ok(["ip", "-n", ext, "addr", "add", `${EXT_ADDR6}/64`, "dev", "eth0", "nodad"]);
  ok(["ip", "-n", ext, "route", "add", "default", "via", HOST_ADDR6]);
}

/** A firewall dump without its timestamps and counters (they count the tests' traffic, not configuration). */
const save = (host: string, bin: string) =>
  ok(inNs(host, [bin]))
    .split("\n")
    .filter((l) => !l.startsWith("#"))
    .map((l) => l.replace(/\[\d+:\d+\]$/, "[0:0]"))
    .join("\n");

/** Carrier flags follow the ports a bridge has at the moment, not its configuration. */
const CARRIER_FLAGS = new Set(["LOWER_UP", "NO-CARRIER", "M-DOWN"]);

/** What a lab may change in a host: links with addresses, routes, firewall, namespaces, ip_forward. */
export function hostState(host: string): {
  links: unknown;
  routes: unknown;
  rules: string;
  rules6: string;
  nftTables: string;
  netns: string[];
  ipForward: string;
  ipv6Forward: string;
} {
  const links = JSON.parse(ok(inNs(host, ["ip", "-j", "addr", "show"]))) as {
    ifname: string;
    addr_info: { family: string; local: string; prefixlen: number }[];
    flags: string[];
    master?: string;
  }[];
  return {
    links: links.map((l) => ({
      ifname: l.ifname, // DAD state (tentative) changes on its own; the addresses themselves are what matter
      addr: l.addr_info.map((a) => `${a.family} ${a.local}/${a.prefixlen}`),
      flags: (l.flags as string[]).filter((f) => !CARRIER_FLAGS.has(f)),
      master: l.master,
    })),
    // a route's linkdown flag follows its device's carrier, which settles a moment later
    routes: ["-4", "-6"].flatMap((f) =>
      (JSON.parse(ok(inNs(host, ["ip", f, "-j", "route", "show"]))) as { flags?: string[] }[]).map((r) => ({
        ...r,
        flags: (r.flags ?? []).filter((f) => f !== "linkdown"),
      })),
    ),
    rules: save(host, "iptables-save"),
    rules6: save(host, "ip6tables-save"),
    // tables of nftables' own (impairments, delay lines, the nftables backend), which
    // iptables-save does not show
    nftTables: ok(inNs(host, ["nft", "list", "tables"])),
    netns: ok(["ip", "netns", "list"])
      .split("\n")
      .map((l) => l.split(" ")[0])
      .filter(Boolean)
      .sort(),
    ipForward: ok(inNs(host, ["sysctl", "-n", "net.ipv4.ip_forward"])).trim(),
    ipv6Forward: ok(inNs(host, ["sysctl", "-n", "net.ipv6.conf.all.forwarding"])).trim(),
  };
}
