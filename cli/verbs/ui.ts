// `nslab ui <stack> [--port P]`: the live page, until Ctrl-C (cli/ui/ serves it).
import { serveUi } from "../ui/server";
import { onKernel } from "./on-kernel";
import type { Handler } from "./types";

export const ui: Handler<"ui"> = ({ pos, flags }) => serveUi(onKernel(pos.stack, flags.out), flags.port ?? 0);
