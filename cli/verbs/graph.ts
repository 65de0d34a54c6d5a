// `nslab graph <stack> [--format svg|dot|mermaid]`: what the code says (the last synth),
// deployed or not, as a picture on stdout (cli/graph.ts draws it).
import { join } from "node:path";
import { readLab } from "../../model/lab-file";
import { topologyOf, toDot, toMermaid, toSvg } from "../graph";
import { loadStack } from "../manifest";
import type { Handler } from "./types";

export const graph: Handler<"graph"> = async ({ pos, flags }) => {
  const s = loadStack(flags.out ?? "cdktf.out", pos.stack);
  const { lab, specs } = readLab(join(s.dir, s.manifest.lab));
  const topology = topologyOf(specs, lab.host ?? null);
  const dot = toDot(topology, lab.stack);
  const format = flags.format ?? "svg";
  process.stdout.write(format === "dot" ? dot : format === "mermaid" ? toMermaid(topology) : await toSvg(dot));
  return 0;
};
