// `nslab trace <stack> <from> <to> [--tcp PORT | --udp PORT | --icmp] [--json]`: one probe
// through the deployed lab, traced by the kernel (netops/trace.ts); its path drawn here.
import type { TraceReport } from "../../model/reports";
import { CliError } from "../manifest";
import { answerOf, runRunner } from "../runner";
import { renderTrace } from "../trace";
import { onKernel } from "./on-kernel";
import type { Handler } from "./types";

export const trace: Handler<"trace"> = async ({ pos, flags }) => {
  const chosen = [flags.tcp !== undefined, flags.udp !== undefined, !!flags.icmp].filter(Boolean).length;
  if (chosen > 1)
    throw new CliError("trace: --tcp, --udp and --icmp: one probe at a time", "Fix: keep one of them", { exitCode: 2 });
  const d = onKernel(pos.stack, flags.out);
  const r = await runRunner(
    d,
    "trace",
    { pos: { from: pos.from, to: pos.to }, flags: { tcp: flags.tcp, udp: flags.udp, icmp: flags.icmp } },
    "stdout",
  );
  if (r.code !== 0) return r.code;
  const report = answerOf<TraceReport>(d, "trace", r.stdout);
  process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : renderTrace(report));
  return report.verdict === "delivered" ? 0 : 1;
};
