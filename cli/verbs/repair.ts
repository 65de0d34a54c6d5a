// `nslab repair <stack>`: the deploy's closing converge, on the deployed lab, in place.
import { runRunner } from "../runner";
import { onKernel } from "./on-kernel";
import type { Handler } from "./types";

export const repair: Handler<"repair"> = async ({ pos, flags }) =>
  (await runRunner(onKernel(pos.stack, flags.out), "repair")).code;
