// `nslab ui <stack> [--port P]`: the live page of a running lab, served on 127.0.0.1 only,
// to whoever has the URL it prints: an unguessable token in it, asked of every request
// (other local users can reach the port, not the token), and a Host header that must be
// a loopback name (a page of another site that renames itself 127.0.0.1 gets nothing). The
// lab is changed only through the stack's runner, as the CLI's own verbs do.
import { randomBytes, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { join } from "node:path";
import { readLab } from "../../model/lab-file";
import type { Outcome } from "../../netops/expect";
import { CliError } from "../manifest";
import type { DeployedLab } from "../deployed";
import { impairmentOf, runRunner, startRunner } from "../runner";
import { Live } from "./live";
import { page, parts, type View } from "./page";

/** How often the lab is looked at, and the page refreshed. */
const EVERY_MS = 1000;
const MAX_BODY = 64 * 1024;
/** The Host a browser sends for this page: a loopback name, on any port (an ssh -L may forward another). */
const LOOPBACK = /^(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/;
const CAPTURE_SECONDS = { min: 1, max: 60 };

type Said = View["said"];

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

export async function serveUi(s: DeployedLab, port: number): Promise<number> {
  const { lab, specs } = readLab(join(s.dir, s.lab));
  const token = randomBytes(24).toString("base64url");
  const live = new Live(s, EVERY_MS);
  let tests: View["tests"];
  let said: Said;

  const view = async (): Promise<View> => {
    const { look, rates } = await live.now();
    return { lab, specs, look, rates, tests, said, token, failed: live.failed };
  };
  const allowed = (req: IncomingMessage, given: string | null) => {
    const a = Buffer.from(given ?? "");
    const b = Buffer.from(token);
    return LOOPBACK.test(req.headers.host ?? "") && a.length === b.length && timingSafeEqual(a, b);
  };
  const send = (res: ServerResponse, code: number, type: string, text: string) => {
    res.writeHead(code, { "content-type": type, "cache-control": "no-store", "x-content-type-options": "nosniff" });
    res.end(text);
  };
  const back = (res: ServerResponse) => {
    res.writeHead(303, { location: `/?t=${token}` });
    res.end();
  };
  /** An action's outcome as the page shows it: what the runner printed. */
  const saidOf = (what: string, r: { code: number; stdout: string; stderr: string }): Said => ({
    ok: r.code === 0,
    text: `${what}: ${r.code === 0 ? "done" : "failed"}\n${(r.stdout + r.stderr).trim()}`,
  });

  async function capture(res: ServerResponse, q: URLSearchParams): Promise<void> {
    const target = q.get("target") ?? "";
    const seconds = Number(q.get("seconds") ?? 5);
    if (!target || !(seconds >= CAPTURE_SECONDS.min && seconds <= CAPTURE_SECONDS.max))
      return send(
        res,
        400,
        "text/plain",
        `give a target and seconds from ${CAPTURE_SECONDS.min} to ${CAPTURE_SECONDS.max}\n`,
      );
    const child = startRunner(
      s,
      "capture",
      { pos: { target }, flags: { seconds } },
      {
        stdin: "ignore",
        buffer: { stdout: false, stderr: true },
      },
    );
    // the headers wait for the first bytes: a target that is wrong is an error page, not a broken file
    let started = false;
    child.stdout!.on("data", (chunk: Buffer) => {
      if (!started) {
        started = true;
        const name = `${lab.stack}-${target.replace(/[^A-Za-z0-9_.-]/g, "_")}.pcap`;
        res.writeHead(200, {
          "content-type": "application/vnd.tcpdump.pcap",
          "content-disposition": `attachment; filename="${name}"`,
          "cache-control": "no-store",
        });
      }
      res.write(chunk);
    });
    const r = await child;
    if (started) res.end();
    else send(res, 500, "text/plain", `capture ${target} failed:\n${String(r.stderr).trim()}\n`);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://x");
    if (req.method === "GET") {
      if (!allowed(req, url.searchParams.get("t"))) return send(res, 403, "text/plain", "forbidden\n");
      if (url.pathname === "/") return send(res, 200, "text/html; charset=utf-8", await page(await view()));
      if (url.pathname === "/parts")
        return send(res, 200, "application/json", JSON.stringify(await parts(await view())));
      if (url.pathname === "/capture") return capture(res, url.searchParams);
      return send(res, 404, "text/plain", "not found\n");
    }
    if (req.method !== "POST") return send(res, 405, "text/plain", "method not allowed\n");
    const form = await body(req);
    if (!allowed(req, form.get("t"))) return send(res, 403, "text/plain", "forbidden\n");
    const target = form.get("target") ?? "";
    if (url.pathname === "/link") {
      const state = form.get("state") === "up" ? "up" : "down";
      said = saidOf(`link ${target} ${state}`, await runRunner(s, "link", { pos: { target, state } }, "keep"));
    } else if (url.pathname === "/impair") {
      const num = (k: string) => (form.get(k)?.trim() ? Number(form.get(k)) : undefined);
      const [loss, rate] = [num("loss"), num("rate")];
      const imp = impairmentOf({ loss, rate });
      said =
        form.get("reset") || Object.keys(imp).length
          ? saidOf(
              `impair ${target}`,
              await runRunner(
                s,
                "impair",
                { pos: { target, what: form.get("reset") ? "reset" : JSON.stringify(imp) } },
                "keep",
              ),
            )
          : { ok: false, text: `impair ${target}: give a loss (%) or a rate (Mbit/s), or reset` };
    } else if (url.pathname === "/test") {
      const r = await runRunner(s, "test", { flags: { json: true } }, "keep");
      try {
        tests = { at: Date.now(), outcomes: (JSON.parse(r.stdout) as { outcomes: Outcome[] }).outcomes };
      } catch {
        tests = { at: Date.now(), outcomes: [], error: `the test did not run: ${r.stderr.trim()}` };
      }
      said = undefined;
    } else return send(res, 404, "text/plain", "not found\n");
    back(res);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
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
  process.stdout.write(`nslab ui: ${lab.stack} at http://${address}/?t=${token}  (Ctrl-C to stop)\n`);
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  server.close();
  server.closeAllConnections();
  await live.stop();
  return 0;
}
