// `nslab impair <stack> <target> [--loss P] [--rate MBIT] | reset` and `nslab link <stack>
// <target> up|down`: run-time changes to the deployed lab (netops/runtime.ts), now.
import { CLI_VERBS } from "../../model/verbs";
import { usageOf } from "../../model/argv";
import { CliError } from "../manifest";
import { impairmentOf, runRunner } from "../runner";
import { onKernel } from "./on-kernel";
import type { Handler } from "./types";

export const impair: Handler<"impair"> = async ({ pos, flags }) => {
  const usage = `usage: ${usageOf("nslab", "impair", CLI_VERBS.impair)}`;
  const imp = impairmentOf(flags);
  if (!pos.reset && Object.keys(imp).length === 0)
    throw new CliError("impair: give --loss and/or --rate, or reset", usage);
  if (pos.reset && Object.keys(imp).length) throw new CliError("impair: reset takes no --loss or --rate", usage);
  const what = pos.reset ? "reset" : JSON.stringify(imp);
  return (await runRunner(onKernel(pos.stack, flags.out), "impair", { pos: { target: pos.target, what } })).code;
};

export const link: Handler<"link"> = async ({ pos, flags }) =>
  (await runRunner(onKernel(pos.stack, flags.out), "link", { pos: { target: pos.target, state: pos.state } })).code;
