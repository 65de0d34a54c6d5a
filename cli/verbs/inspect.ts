// `nslab inspect <stack> [--json]`: every object as the kernel shows it (cli/inspect.ts draws the tables).
import type { InspectReport } from "../../model/reports";
import { renderInspect } from "../inspect";
import { answerOf, runRunner } from "../runner";
import { onKernel } from "./on-kernel";
import type { Handler } from "./types";

export const inspect: Handler<"inspect"> = async ({ pos, flags }) => {
  const d = onKernel(pos.stack, flags.out);
  const r = await runRunner(d, "inspect", {}, "stdout");
  if (r.code !== 0) return r.code;
  const report = answerOf<InspectReport>(d, "inspect", r.stdout);
  process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : renderInspect(report));
  return 0;
};
