// `nslab test <stack> [--all-pairs] [--json] [--junit FILE]`: the stack's expectations, with real traffic.
import { resolve } from "node:path";
import { runRunner } from "../runner";
import { onKernel } from "./on-kernel";
import type { Handler } from "./types";

export const test: Handler<"test"> = async ({ pos, flags }) => {
  const d = onKernel(pos.stack, flags.out);
  // the runner runs in the record's folder: the report goes where the user meant
  const junit = flags.junit !== undefined ? resolve(flags.junit) : undefined;
  const call = { flags: { "all-pairs": flags["all-pairs"], json: flags.json, junit } };
  return (await runRunner(d, "test", call)).code;
};
