// Address math on IPv4 subnets (ipaddr.js parses and matches; allocation is ours).
import * as ipaddr from "ipaddr.js";

export interface Subnet {
  readonly network: string;
  readonly prefix: number;
  readonly first: number; // network address as uint32
  readonly last: number; // broadcast address as uint32
}

export const toInt = (a: string) =>
  ipaddr.IPv4.parse(a)
    .toByteArray()
    .reduce((n, b) => n * 256 + b, 0);
export const fromInt = (n: number) => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".");
export const isIPv4 = (a: string) => ipaddr.IPv4.isValidFourPartDecimal(a);

/** Parse "a.b.c.d/p"; null if it is not IPv4 CIDR. */
export function parseSubnet(cidr: string): (Subnet & { hostBitsSet: boolean }) | null {
  if (!/^\d+\.\d+\.\d+\.\d+\/\d+$/.test(cidr) || !ipaddr.IPv4.isValidCIDR(cidr)) return null;
  const [addr, prefix] = ipaddr.IPv4.parseCIDR(cidr);
  const network = ipaddr.IPv4.networkAddressFromCIDR(cidr).toString();
  const first = toInt(network);
  return { network, prefix, first, last: first + 2 ** (32 - prefix) - 1, hostBitsSet: addr.toString() !== network };
}

export const contains = (s: Subnet, a: string) => {
  const n = toInt(a);
  return n >= s.first && n <= s.last;
};

export const overlaps = (a: Subnet, b: Subnet) => a.first <= b.last && b.first <= a.last;

/** Usable host addresses (network and broadcast excluded). */
export const hostCount = (s: Subnet) => Math.max(0, s.last - s.first - 1);
