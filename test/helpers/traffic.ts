// Real traffic for tests: ping, and a tiny TCP/UDP server and client run with node
// inside a namespace. The server answers "<tag> peer=<client address>".
import { spawn, type ChildProcess } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { cmd } from "./cmd";
import { inNs } from "./sandbox";

const PEER = join(__dirname, "peer.js");

export function ping(ns: string, addr: string): boolean {
  return cmd(inNs(ns, ["ping", "-c", "1", "-W", "1", addr])).code === 0;
}

export interface Server {
  readonly proc: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Start a server in `ns`; resolves once it listens. Stopped by its pid only. `bind`: its
 * address (every IPv4 one by default; "::" is both families).
 */
export function serve(ns: string, proto: "tcp" | "udp", port: number, tag: string, bind?: string): Promise<Server> {
  return start(ns, ["serve", proto, String(port), tag, ...(bind ? [bind] : [])]);
}

/** A TCP sink in `ns`: counts what a `send` sends, answers the count. */
export function sink(ns: string, port: number): Promise<Server> {
  return start(ns, ["sink", "tcp", String(port)]);
}

/** Send `bytes` over TCP from `ns`; the milliseconds until the sink counted them all. */
export function send(ns: string, addr: string, port: number, bytes: number): number {
  const r = cmd(inNs(ns, ["node", PEER, "send", "tcp", addr, String(port), String(bytes)]), { timeout: 70_000 });
  if (r.code !== 0) throw new Error(`send from ${ns} to ${addr}:${port} failed (${r.code}): ${r.stdout}${r.stderr}`);
  return Number(r.stdout.trim().split(" ")[1]);
}

/** Percent of `count` pings from `ns` to `addr` (10 ms apart) that got no answer. */
export function pingLoss(ns: string, addr: string, count: number): number {
  const r = cmd(inNs(ns, ["ping", "-q", "-n", "-c", String(count), "-i", "0.01", "-W", "1", addr]), {
    timeout: 60_000,
  });
  const m = /(\d+) packets transmitted, (\d+) received/.exec(r.stdout);
  if (!m) throw new Error(`ping from ${ns} to ${addr} printed no summary: ${r.stdout}${r.stderr}`);
  return (100 * (Number(m[1]) - Number(m[2]))) / Number(m[1]);
}

/** Round-trip times of `count` pings from `ns` to `addr`, 200 ms apart, in ms. */
export function pingRtt(ns: string, addr: string, count: number): { min: number; avg: number; max: number } {
  const r = cmd(inNs(ns, ["ping", "-q", "-n", "-c", String(count), "-i", "0.2", "-W", "2", addr]), { timeout: 60_000 });
  const m = /= ([\d.]+)\/([\d.]+)\/([\d.]+)\//.exec(r.stdout);
  if (!m) throw new Error(`ping from ${ns} to ${addr} printed no times: ${r.stdout}${r.stderr}`);
  return { min: Number(m[1]), avg: Number(m[2]), max: Number(m[3]) };
}

function start(ns: string, args: string[]): Promise<Server> {
  const argv = inNs(ns, ["node", PEER, ...args]);
  const proc = spawn(argv[0], argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
  const stop = () =>
    new Promise<void>((res) => {
      if (proc.exitCode !== null) return res();
      proc.once("exit", () => res());
      proc.kill("SIGTERM");
    });
  return new Promise((resolve, reject) => {
    let err = "";
    proc.stderr!.on("data", (d) => (err += d));
    proc.stdout!.once("data", () => resolve({ proc, stop }));
    proc.once("exit", (c) => reject(new Error(`server in ${ns} exited ${c}: ${err}`)));
  });
}

/** Connect from `ns` and return the server's answer, or null when nothing answered. */
export function request(ns: string, proto: "tcp" | "udp", addr: string, port: number): string | null {
  const r = cmd(inNs(ns, ["node", PEER, "request", proto, addr, String(port)]), { timeout: 10_000 });
  return r.code === 0 ? r.stdout.trim() : null;
}

/** An HTTP GET from `ns` with curl; the body, or null when nothing answered. */
export function http(ns: string, url: string): string | null {
  const r = cmd(inNs(ns, ["curl", "-s", "-m", "3", url]));
  return r.code === 0 ? r.stdout : null;
}

/** Pids of live processes whose command line contains `needle` (to prove none is left). */
export function processesWith(needle: string): number[] {
  const out: number[] = [];
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(needle)) out.push(Number(pid));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}
