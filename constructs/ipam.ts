// Address math on IPv4 and IPv6 subnets: ipaddr.js parses, matches and formats; the
// arithmetic (first, last, next free) is on bigints so both families share it.
import * as ipaddr from "ipaddr.js";

export type Family = 4 | 6;

export interface Subnet {
  readonly family: Family;
  readonly network: string;
  readonly prefix: number;
  readonly first: bigint; // the network address
  readonly last: bigint; // IPv4: the broadcast address; IPv6: the last address
}

const BITS = { 4: 32, 6: 128 } as const;

const parse = (a: string) => ipaddr.parse(a);
export const toBig = (a: string): bigint =>
  parse(a)
    .toByteArray()
    .reduce((n, b) => (n << 8n) | BigInt(b), 0n);

export function fromBig(n: bigint, family: Family): string {
  const bytes: number[] = [];
  for (let i = 0; i < BITS[family] / 8; i++) bytes.unshift(Number((n >> BigInt(8 * i)) & 0xffn));
  return ipaddr.fromByteArray(bytes).toString(); // IPv6 in its shortest form (RFC 5952)
}

/** Four decimal numbers (ipaddr.js alone also takes "10.1" or octal forms). */
export const isIPv4 = (a: string) => ipaddr.IPv4.isValidFourPartDecimal(a);
export const isIPv6 = (a: string) => ipaddr.IPv6.isValid(a) && !a.includes("%") && a.includes(":");
export const familyOf = (a: string): Family | null => (isIPv4(a) ? 4 : isIPv6(a) ? 6 : null);

/** An address written the way `ip` prints it (IPv6 shortest form), to compare with the kernel's. */
export const canonical = (a: string) => (isIPv6(a) ? ipaddr.IPv6.parse(a).toString() : a);

/** Parse "address/prefix" of either family; null if it is not a CIDR of it. */
export function parseSubnet(cidr: string, family?: Family): (Subnet & { hostBitsSet: boolean }) | null {
  const [addr, p] = cidr.split("/");
  const fam = familyOf(addr ?? "");
  if (!fam || (family && fam !== family) || !/^\d+$/.test(p ?? "")) return null;
  const prefix = Number(p);
  if (prefix > BITS[fam]) return null;
  const host = (1n << BigInt(BITS[fam] - prefix)) - 1n;
  const n = toBig(addr);
  const first = n & ~host & ((1n << BigInt(BITS[fam])) - 1n);
  return { family: fam, network: fromBig(first, fam), prefix, first, last: first | host, hostBitsSet: n !== first };
}

export const cidrOf = (s: Subnet) => `${s.network}/${s.prefix}`;

export const contains = (s: Subnet, a: string) => {
  if (familyOf(a) !== s.family) return false;
  const n = toBig(a);
  return n >= s.first && n <= s.last;
};

export const overlaps = (a: Subnet, b: Subnet) => a.family === b.family && a.first <= b.last && b.first <= a.last;

/** Is `n` a usable host address: not the network address, nor IPv4's broadcast. */
export const isHost = (s: Subnet, n: bigint) => n > s.first && (s.family === 6 ? n <= s.last : n < s.last);

/** Usable host addresses (network, and IPv4's broadcast, excluded). */
export function hostCount(s: Subnet): bigint {
  const n = s.last - s.first - (s.family === 4 ? 1n : 0n);
  return n > 0n ? n : 0n;
}
