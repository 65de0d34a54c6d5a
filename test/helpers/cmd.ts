// Test-side process helper: argv arrays, no shell, output captured.
import { spawnSync, type SpawnSyncOptions } from "node:child_process";

export interface Out {
  code: number;
  stdout: string;
  stderr: string;
}

export function cmd(argv: string[], opts: SpawnSyncOptions = {}): Out {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: "utf8", timeout: 300_000, maxBuffer: 64 << 20, ...opts });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, stdout: String(r.stdout ?? ""), stderr: String(r.stderr ?? "") };
}

/** Run and require success; the error carries both streams. */
export function ok(argv: string[], opts: SpawnSyncOptions = {}): string {
  const r = cmd(argv, opts);
  if (r.code !== 0) throw new Error(`${argv.join(" ")} exited ${r.code}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

export function requireRoot(tier: string): void {
  if (process.getuid?.() !== 0) {
    throw new Error(`the ${tier} tier needs root (network namespaces, iptables); run the test suite as root`);
  }
}

/** Require exit 0 from a CLI run, else fail with the tail of both streams. */
export function must(o: Out, what: string): string {
  if (o.code !== 0) throw new Error(`${what} failed (${o.code}):\n${o.stdout.slice(-4000)}\n${o.stderr.slice(-4000)}`);
  return o.stdout;
}
