// `nslab ui <stack> [--port P]`: the live page of a running lab, served on 127.0.0.1 only,
// to whoever has the URL it prints: an unguessable token in it, asked of every request
// (other local users can reach the port, not the token), and a Host header that must be
// a loopback name (a page of another site that renames itself 127.0.0.1 gets nothing). The
// lab is changed only through the stack's runner (session.ts), as the CLI's own verbs do.
import { randomBytes, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { CliError } from "../manifest";
import type { DeployedLab } from "../deployed";
import { page, parts } from "./page";
import { CAPTURE_SECONDS, Session } from "./session";

const MAX_BODY = 64 * 1024;
/** The Host a browser sends for this page: a loopback name, on any port (an ssh -L may forward another). */
const LOOPBACK = /^(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/;

function body(req: IncomingMessage): Promise<URLSearchParams> {
  return new Promise((resolve, reject) => {
    let text = "";
    req.setEncoding("utf8");
    req.on("data", (c: string) => {
      text += c;
      if (text.length > MAX_BODY) req.destroy(new Error("body too large"));
    });
    req.on("end", () => resolve(new URLSearchParams(text)));
    req.on("error", reject);
  });
}

function send(res: ServerResponse, code: number, type: string, text: string): void {
  res.writeHead(code, { "content-type": type, "cache-control": "no-store", "x-content-type-options": "nosniff" });
  res.end(text);
}

/** The request carries the page's token, to a loopback name. */
function allowed(session: Session, req: IncomingMessage, given: string | null): boolean {
  const a = Buffer.from(given ?? "");
  const b = Buffer.from(session.token);
  return LOOPBACK.test(req.headers.host ?? "") && a.length === b.length && timingSafeEqual(a, b);
}

/** GET: the page, its parts (the script's refresh), a capture. */
async function get(session: Session, url: URL, res: ServerResponse): Promise<void> {
  if (url.pathname === "/") return send(res, 200, "text/html; charset=utf-8", await page(await session.view()));
  if (url.pathname === "/parts")
    return send(res, 200, "application/json", JSON.stringify(await parts(await session.view())));
  if (url.pathname !== "/capture") return send(res, 404, "text/plain", "not found\n");
  const target = url.searchParams.get("target") ?? "";
  const seconds = Number(url.searchParams.get("seconds") ?? 5);
  if (!target || !(seconds >= CAPTURE_SECONDS.min && seconds <= CAPTURE_SECONDS.max))
    return send(
      res,
      400,
      "text/plain",
      `give a target and seconds from ${CAPTURE_SECONDS.min} to ${CAPTURE_SECONDS.max}\n`,
    );
  const failed = await session.capture(res, target, seconds);
  if (failed !== null) send(res, 500, "text/plain", `capture ${target} failed:\n${failed}\n`);
}

/** POST: an action (a form), then back to the page, which shows what it printed. */
async function post(session: Session, url: URL, form: URLSearchParams, res: ServerResponse): Promise<void> {
  const target = form.get("target") ?? "";
  const num = (k: string) => (form.get(k)?.trim() ? Number(form.get(k)) : undefined);
  if (url.pathname === "/link") await session.link(target, form.get("state") === "up" ? "up" : "down");
  else if (url.pathname === "/impair")
    await session.impair(target, { loss: num("loss"), rate: num("rate") }, !!form.get("reset"));
  else if (url.pathname === "/test") await session.test();
  else if (url.pathname === "/trace")
    await session.trace(form.get("from") ?? "", form.get("to") ?? "", form.get("proto") ?? "icmp", num("port"));
  else return send(res, 404, "text/plain", "not found\n");
  res.writeHead(303, { location: `/?t=${session.token}` });
  res.end();
}

async function handle(session: Session, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? "/", "http://x");
  if (req.method === "GET") {
    if (!allowed(session, req, url.searchParams.get("t"))) return send(res, 403, "text/plain", "forbidden\n");
    return get(session, url, res);
  }
  if (req.method !== "POST") return send(res, 405, "text/plain", "method not allowed\n");
  const form = await body(req);
  if (!allowed(session, req, form.get("t"))) return send(res, 403, "text/plain", "forbidden\n");
  return post(session, url, form, res);
}

export async function serveUi(d: DeployedLab, port: number): Promise<number> {
  const session = new Session(d, randomBytes(24).toString("base64url"));
  const server = createServer((req, res) => {
    handle(session, req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, "text/plain", `${err instanceof Error ? err.message : String(err)}\n`);
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (err) =>
      reject(
        new CliError(`ui: cannot listen on 127.0.0.1:${port}: ${err.message}`, "give another --port", { cause: err }),
      ),
    );
    server.listen(port, "127.0.0.1", resolve);
  });
  const address = `127.0.0.1:${(server.address() as { port: number }).port}`;
  process.stdout.write(`nslab ui: ${session.lab.stack} at http://${address}/?t=${session.token}  (Ctrl-C to stop)\n`);
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  server.close();
  server.closeAllConnections();
  await session.stop();
  return 0;
}
