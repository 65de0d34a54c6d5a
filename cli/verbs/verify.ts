// `nslab verify <stack>`: the deployed lab against the kernel, on every machine; exit 1 on drift.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { placeWords } from "../deployed";
import { runRunner } from "../runner";
import { onKernel } from "./on-kernel";
import type { Handler } from "./types";

export const verify: Handler<"verify"> = async ({ pos, flags }) => {
  const d = onKernel(pos.stack, flags.out);
  const { code } = await runRunner(d, "verify");
  if (code === 0) {
    const n = (JSON.parse(readFileSync(join(d.dir, d.lab), "utf8")) as { specs: unknown[] }).specs.length;
    process.stdout.write(`nslab: ${d.stack}: ${n} objects match the kernel on ${placeWords(d.record.host)}\n`);
  }
  return code;
};
