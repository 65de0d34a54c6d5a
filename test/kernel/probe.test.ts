// Kernel tier, issue 19 item 2: `nslab test`'s TCP probe leaves a server as a polite
// client does. The server is the plainest a user writes: it greets and closes, with no
// error handler, so one reset from a probe kills it (ECONNRESET). Root only.
import { spawn } from "node:child_process";
import { runnerBundle } from "../../synth/runner-bundle";
import { cmd, requireRoot } from "../helpers/cmd";
import { addNs, delNs, inNs, uniq } from "../helpers/sandbox";

requireRoot("kernel");
jest.setTimeout(120_000);

const ns = uniq("nlp");
const GREETER = 'require("net").createServer((s) => s.end("hi\\n")).listen(80)';

beforeAll(() => addNs(ns));
afterAll(() => delNs(ns));

test("a greeting server with no error handler survives 100 probes in a row", async () => {
  const bundle = runnerBundle();
  const argv = inNs(ns, ["node", "-e", GREETER]);
  const server = spawn(argv[0], argv.slice(1), { stdio: ["ignore", "ignore", "pipe"] });
  let died = "";
  server.stderr!.on("data", (d: Buffer) => (died += d.toString()));
  try {
    const probe = () => cmd(inNs(ns, ["node", bundle, "probe", "tcp", "127.0.0.1", "80"]));
    for (let i = 0; i < 50 && probe().stdout.trim() !== "connected"; i++) await new Promise((r) => setTimeout(r, 50));
    const seen: string[] = [];
    for (let i = 0; i < 100; i++) seen.push(probe().stdout.trim());
    await new Promise((r) => setTimeout(r, 200)); // the server's last words and exit, if any, arrive
    expect({ died, refusedAt: seen.indexOf("refused") }).toEqual({ died: "", refusedAt: -1 });
    expect(new Set(seen)).toEqual(new Set(["connected"]));
    expect(server.exitCode).toBeNull();
  } finally {
    server.kill("SIGKILL"); // our own child, by its pid
  }
});
