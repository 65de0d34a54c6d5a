// The delay line's relay (delayline.ts): two UDP sockets in the line's own namespace, one
// per VXLAN device on the host. Each datagram (one Ethernet frame) is held for the delay,
// plus or minus a uniform jitter, then sent on to the other device. Run as a daemon:
//   node netops.cjs relay <port A> <port B> <host address> <delay ms> <jitter ms>
import { createSocket, type Socket } from "node:dgram";

/** Where the inner frame starts in a VXLAN datagram (after its 8-byte header). */
const INNER = 8;

/**
 * Fill in the TCP or UDP checksum of the IPv4 or IPv6 packet in a VXLAN datagram, in
 * place. A sender's stack leaves it to the "hardware" (checksum offload), and VXLAN
 * carries the frame as it is: a frame that crossed user space would reach its receiver
 * with a sum nobody finished, and be dropped (pings pass: ICMP is summed in software).
 */
export function finishChecksum(d: Buffer): void {
  const ip = INNER + 14;
  const type = d.length >= ip ? d.readUInt16BE(INNER + 12) : 0;
  if (type === 0x0800) {
    if (d.length < ip + 20) return;
    const ihl = (d[ip] & 0x0f) * 4;
    if ((d.readUInt16BE(ip + 6) & 0x3fff) !== 0) return; // a fragment: its sum spans others
    const len = Math.min(d.readUInt16BE(ip + 2), d.length - ip) - ihl;
    sum(d, d[ip + 9], ip + ihl, len, ip + 12, 8);
  } else if (type === 0x86dd) {
    // no extension headers: TCP or UDP right after the fixed header (else left as it is)
    if (d.length < ip + 40) return;
    const len = Math.min(d.readUInt16BE(ip + 4), d.length - ip - 40);
    sum(d, d[ip + 6], ip + 40, len, ip + 8, 32);
  }
}

/** Write the sum of the TCP/UDP segment at `l4` (`len` bytes), its pseudo-header's addresses at `addrs`. */
function sum(d: Buffer, proto: number, l4: number, len: number, addrs: number, addrLen: number): void {
  const at = proto === 6 ? l4 + 16 : proto === 17 ? l4 + 6 : -1;
  if (at < 0 || len < (proto === 6 ? 20 : 8)) return;
  if (proto === 17 && addrLen === 8 && d.readUInt16BE(at) === 0) return; // IPv4 UDP without a checksum
  d.writeUInt16BE(0, at);
  let s = proto + len; // the pseudo-header's protocol and length (IPv6's 32-bit fields sum the same)
  for (let i = addrs; i < addrs + addrLen; i += 2) s += d.readUInt16BE(i); // source and destination
  const end = l4 + len;
  for (let i = l4; i + 1 < end; i += 2) s += d.readUInt16BE(i);
  if (len % 2) s += d[end - 1] << 8;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  const c = ~s & 0xffff;
  d.writeUInt16BE(proto === 17 && c === 0 ? 0xffff : c, at);
}

export function relay(args: readonly string[]): Promise<number> {
  const [portA, portB, , delayMs, jitterMs] = args.map(Number);
  const hostAddr = args[2];
  if (![portA, portB, delayMs, jitterMs].every(Number.isFinite) || !hostAddr) {
    process.stderr.write("usage: netops relay <port A> <port B> <host address> <delay ms> <jitter ms>\n");
    return Promise.resolve(2);
  }
  const hold = () => Math.max(0, delayMs + (Math.random() * 2 - 1) * jitterMs);
  const open = (port: number) =>
    new Promise<Socket>((resolve, reject) => {
      const s = createSocket("udp4");
      s.once("error", reject);
      s.bind(port, "0.0.0.0", () => resolve(s));
    });
  return Promise.all([open(portA), open(portB)]).then(([a, b]) => {
    // a frame from the endpoint's side (device A) goes to the network's side (device B), and back
    const pass = (m: Buffer, to: Socket, port: number) => {
      finishChecksum(m);
      setTimeout(() => to.send(m, port, hostAddr), hold());
    };
    a.on("message", (m) => pass(m, b, portB));
    b.on("message", (m) => pass(m, a, portA));
    process.stdout.write(`relay: ${portA} <-> ${portB} via ${hostAddr}, ${delayMs} ms +- ${jitterMs} ms\n`);
    return new Promise<number>((resolve) => process.once("SIGTERM", () => resolve(0)));
  });
}
