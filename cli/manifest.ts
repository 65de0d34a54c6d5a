// Finding a synthesized stack: its manifest, written by synth (model/manifest.ts).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { STACK_MANIFEST, StackManifest } from "../model/manifest";

/**
 * A failure the user can fix: printed with its hint and its causes. Exit code 2 for what
 * stops the CLI before it reaches the kernel (usage, a stack not synthesized), as before.
 */
export class CliError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
    options?: { cause?: unknown; exitCode?: number },
  ) {
    super(message, options);
    this.exitCode = options?.exitCode ?? 2;
  }

  readonly exitCode: number;
}

export interface SynthesizedStack {
  readonly dir: string;
  readonly manifest: StackManifest;
}

/** The stack `name` as synth wrote it under `out` (cdktf.out). */
export function loadStack(out: string, name: string): SynthesizedStack {
  const dir = join(out, "stacks", name);
  const path = join(dir, STACK_MANIFEST);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === "ENOENT";
    throw new CliError(
      missing ? `stack ${name} is not synthesized: ${path} does not exist` : `cannot read ${path}`,
      "run `npx cdktf synth` first (with the same NSLAB_HOST_NETNS as the deploy); is it a LabStack?",
      { cause: err },
    );
  }
  let manifest: StackManifest;
  try {
    manifest = StackManifest.parse(JSON.parse(text));
  } catch (err) {
    throw new CliError(
      `${path} is not an nslab stack manifest this CLI reads`,
      "synthesize the stack again with this nslab",
      { cause: err },
    );
  }
  if (manifest.stack !== name)
    throw new CliError(`${path} belongs to stack ${manifest.stack}, not ${name}`, "synthesize the stack again");
  return { dir, manifest };
}
