// The probe client `nslab test` runs inside a namespace (`ip netns exec <ns> node
// netops.cjs probe tcp|udp <host> <port>`): the runner itself, so a check needs no tool
// beyond node. A name resolves through the namespace's /etc/hosts (ip netns exec mounts
// /etc/netns/<ns>/hosts there). Prints what happened; exit 0 only when it was answered.
import { createSocket } from "node:dgram";
import { connect } from "node:net";

/** How long a probe waits for an answer: a dropped packet is seen as silence, never as an error. */
const PROBE_TIMEOUT_MS = 2000;
/** How long a connected probe waits for the server's own close after its half-close. */
const LINGER_MS = 500;

/** `ms`: how long the answer took (a connection accepted, a datagram answered). */
export type Result = { answered: boolean; what: string; ms?: number };

/**
 * Connect, then leave as a polite client does: read whatever the server sends (a greeting,
 * a banner), half-close, and wait briefly for the server's close. Destroying the socket at
 * once would make the kernel answer a server that has already written with a reset, and a
 * plain server with no error handler dies of ECONNRESET: a check must not disturb what it
 * checks.
 */
function tcp(host: string, port: number, localPort?: number, timeoutMs = PROBE_TIMEOUT_MS): Promise<Result> {
  return new Promise((resolve) => {
    const began = Date.now();
    const s = connect({ host, port, timeout: timeoutMs, ...(localPort ? { localPort } : {}) });
    let result: Result | undefined;
    let linger: NodeJS.Timeout | undefined;
    const finish = () => {
      clearTimeout(linger);
      s.destroy();
      resolve(result!);
    };
    s.once("connect", () => {
      result = { answered: true, what: "connected", ms: Date.now() - began };
      s.setTimeout(0);
      s.resume(); // read what arrives, so nothing is left unread when the socket closes
      s.end();
      linger = setTimeout(finish, LINGER_MS);
      s.once("close", finish);
    });
    s.once("timeout", () => {
      result = { answered: false, what: "no answer" };
      finish();
    });
    s.on("error", (err: NodeJS.ErrnoException) => {
      // an error after the connection was made (the server reset it) does not undo the answer
      result ??= { answered: false, what: err.code === "ECONNREFUSED" ? "refused" : (err.code ?? err.message) };
      finish();
    });
  });
}

function udp(host: string, port: number, localPort?: number, timeoutMs = PROBE_TIMEOUT_MS): Promise<Result> {
  return new Promise((resolve) => {
    const began = Date.now();
    const s = createSocket(host.includes(":") ? "udp6" : "udp4");
    const timer = setTimeout(() => done({ answered: false, what: "no answer" }), timeoutMs);
    const done = (r: Result) => {
      clearTimeout(timer);
      s.close();
      resolve(r);
    };
    s.once("message", () => done({ answered: true, what: "answered", ms: Date.now() - began }));
    // a connected socket hears the ICMP port unreachable as ECONNREFUSED
    s.once("error", (err: NodeJS.ErrnoException) =>
      done({ answered: false, what: err.code === "ECONNREFUSED" ? "refused" : (err.code ?? err.message) }),
    );
    const go = () => s.connect(port, host, () => s.send("nslab probe\n"));
    if (localPort) s.bind(localPort, go);
    else go();
  });
}

/** One TCP connection or UDP datagram, answered within `timeoutMs` or not (a scenario's probes: probe-series.ts). */
export const answered = (proto: "tcp" | "udp", host: string, port: number, timeoutMs: number): Promise<Result> =>
  (proto === "tcp" ? tcp : udp)(host, port, undefined, timeoutMs);

/** `localPort`: the source port, by which `nslab trace` marks its probe's packets. */
export async function probe(proto: string, host: string, port: number, localPort?: number): Promise<number> {
  if ((proto !== "tcp" && proto !== "udp") || !Number.isInteger(port)) {
    process.stderr.write("usage: netops probe tcp|udp <host> <port> [<source port>]\n");
    return 2;
  }
  const r = await (proto === "tcp" ? tcp : udp)(host, port, localPort);
  process.stdout.write(`${r.what}\n`);
  return r.answered ? 0 : 1;
}
