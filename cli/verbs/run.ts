// `nslab run <stack> <scenario> [--json] [--junit FILE] [--svg FILE]`: a scenario on the
// deployed lab (netops/scenario.ts), its steps shown as they apply; then the report (read
// from beside the record, where the runner left it for the live page too), drawn here.
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { startRunner } from "../runner";
import { lastRun, renderScenario } from "../scenario";
import { timelineSvg } from "../timeline";
import { attachedTo } from "./attached";
import { onKernel } from "./on-kernel";
import type { Handler } from "./types";

export const run: Handler<"run"> = async ({ pos, flags }) => {
  const d = onKernel(pos.stack, flags.out);
  // the runner runs in the record's folder: the files go where the user meant
  const junit = flags.junit !== undefined ? resolve(flags.junit) : undefined;
  const began = Date.now();
  const child = startRunner(
    d,
    "run",
    { pos: { scenario: pos.scenario }, flags: { junit } },
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  // its steps as they apply; on stderr when stdout is the JSON report
  child.stdout!.pipe(flags.json ? process.stderr : process.stdout, { end: false });
  // Ctrl-C reaches the runner too (it undoes its faults, then reports): wait for it; pass on SIGTERM
  const code = await attachedTo(
    d,
    child,
    () => child.kill("SIGTERM"),
    () => child.kill("SIGINT"),
  );
  const report = lastRun(d, began);
  if (!report) return code || 1; // the runner said why
  if (flags.svg !== undefined) writeFileSync(resolve(flags.svg), timelineSvg(report));
  process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : renderScenario(report));
  return code;
};
