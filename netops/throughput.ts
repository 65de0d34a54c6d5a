// Check.throughput: the rate one TCP connection gets through, with the runner's own sender
// and receiver (no iperf). The sender (`probe throughput`, in the source namespace) writes
// for the check's seconds, then asks the kernel how much of it the other side acknowledged
// (`ss -ti`: bytes_acked), so the figure is what crossed, not what was queued here. The
// receiver (`probe sink`, in the target endpoint's namespace, for the check only) reads and
// discards; to a published port, the user's server behind it is the receiver and must read.
import { createServer, connect, type Socket } from "node:net";
import { createInterface } from "node:readline";
import type { ExpectSpec } from "../model/expect-spec";
import { enterArgv } from "./enter";
import { attach, run } from "./exec";

const CONNECT_TIMEOUT_MS = 3000;
const CHUNK = Buffer.alloc(64 * 1024, 0x6e);
/** A receiver never outlives this, whatever happens to the runner that started it. */
const SINK_LIFETIME_MS = 120_000;

export interface Rate {
  /** Bytes the receiver's kernel acknowledged, over `seconds` of sending. */
  readonly bytes: number;
  readonly seconds: number;
}

export const mbitOf = (r: Rate) => (r.bytes * 8) / r.seconds / 1e6;

const hostPort = (address: string, port: number) => `${address.includes(":") ? `[${address}]` : address}:${port}`;

/** What the kernel says the peer acknowledged on this connection; null if it does not say. */
async function bytesAcked(s: Socket): Promise<number | null> {
  const r = await run([
    "ss",
    "-tinH",
    ...["state", "established"],
    ...["src", hostPort(s.localAddress!, s.localPort!)],
    ...["dst", hostPort(s.remoteAddress!, s.remotePort!)],
  ]);
  const m = /bytes_acked:(\d+)/.exec(r.stdout);
  return m ? Number(m[1]) : null;
}

/** `probe throughput <host> <port> <seconds>`: send, then print the Rate as JSON; exit 1 with why when it could not. */
export function send(host: string, port: number, seconds: number): Promise<number> {
  return new Promise((resolve) => {
    const s = connect({ host, port, timeout: CONNECT_TIMEOUT_MS });
    let started = 0;
    let done = false;
    const finish = (code: number, out: string) => {
      if (done) return;
      done = true;
      process.stdout.write(`${out}\n`);
      s.destroy();
      resolve(code);
    };
    const pump = () => {
      while (!done && Date.now() - started < seconds * 1000) if (!s.write(CHUNK)) return void s.once("drain", pump);
    };
    s.once("connect", () => {
      s.setTimeout(0);
      s.resume(); // whatever the server answers is read and dropped
      started = Date.now();
      pump();
      setTimeout(() => {
        const elapsed = (Date.now() - started) / 1000;
        void bytesAcked(s).then((acked) =>
          finish(0, JSON.stringify({ bytes: acked ?? s.bytesWritten - s.writableLength, seconds: elapsed })),
        );
      }, seconds * 1000);
    });
    s.once("timeout", () => finish(1, "no answer"));
    s.on("error", (err: NodeJS.ErrnoException) =>
      finish(
        1,
        started
          ? `the receiver closed the connection after ${s.bytesWritten} bytes (${err.code ?? err.message}): does the server read?`
          : err.code === "ECONNREFUSED"
            ? "refused"
            : (err.code ?? err.message),
      ),
    );
    s.once("end", () => undefined); // a server's half-close alone does not stop the sending
  });
}

/** `probe sink`: listen on a port of the kernel's choosing, print it, read and drop; until stdin ends. */
export function sink(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer((c) => {
      c.on("error", () => undefined); // the sender going away is how a measurement ends
      c.resume();
    });
    const stop = () => {
      server.close();
      resolve(0);
    };
    const listen = (address: string) =>
      server.listen(0, address, () => process.stdout.write(`${(server.address() as { port: number }).port}\n`));
    // both families when the namespace has IPv6, else IPv4
    server.once("error", () => listen("0.0.0.0"));
    listen("::");
    process.stdin.on("end", stop).resume();
    setTimeout(stop, SINK_LIFETIME_MS).unref();
  });
}

/**
 * One throughput check from where `prefix` runs commands, to `target`: a receiver started
 * in the target endpoint's namespace first when it is one. The rate, or why there is none.
 */
export async function measure(prefix: readonly string[], e: ExpectSpec, target: string): Promise<Rate | string> {
  const seconds = e.rate!.seconds;
  const receiver = e.sink
    ? attach(enterArgv({ netns: e.sink }, [process.execPath, process.argv[1], "probe", "sink"]), [
        "pipe",
        "pipe",
        "inherit",
      ])
    : undefined;
  try {
    let port = e.port;
    if (receiver) {
      const line = await firstLine(receiver.stdout!);
      port = Number(line);
      if (!Number.isInteger(port) || port <= 0) return `the receiver in ${e.sink} did not start (${line ?? "no port"})`;
    }
    const r = await run([
      ...prefix,
      process.execPath,
      process.argv[1],
      "probe",
      "throughput",
      target,
      String(port),
      String(seconds),
    ]);
    const out = r.stdout.trim();
    return r.ok ? (JSON.parse(out) as Rate) : out || r.stderr.trim();
  } finally {
    if (receiver) {
      receiver.stdin?.end();
      await receiver.done.catch(() => undefined);
    }
  }
}

function firstLine(stream: NodeJS.ReadableStream): Promise<string | undefined> {
  const lines = createInterface({ input: stream });
  return new Promise((resolve) => {
    lines.once("line", (l) => {
      resolve(l.trim()); // first: closing emits "close" at once
      lines.close();
    });
    lines.once("close", () => resolve(undefined));
  });
}
