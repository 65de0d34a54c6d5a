// `nslab help [verb]`, `nslab version` and `nslab completion bash|zsh`: nslab itself.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { completion as script, help as all, isCliVerb, verbHelp } from "../help";
import { CliError } from "../manifest";
import type { Handler } from "./types";

export const help: Handler<"help"> = ({ pos }) => {
  if (pos.verb !== undefined && !isCliVerb(pos.verb)) throw new CliError(`help: no verb ${pos.verb}`, all());
  process.stdout.write(pos.verb ? verbHelp(pos.verb) : all());
  return Promise.resolve(0);
};

/** The version of this nslab (its package.json, two folders up from cli/verbs/ and one from the bundle). */
export const version: Handler<"version"> = () => {
  const at = [join(__dirname, "..", "package.json"), join(__dirname, "..", "..", "package.json")];
  const pkg = at.map((p) => {
    try {
      return JSON.parse(readFileSync(p, "utf8")) as { name?: string; version: string };
    } catch {
      return undefined;
    }
  });
  process.stdout.write(`${pkg.find((p) => p?.name === "nslab")!.version}\n`);
  return Promise.resolve(0);
};

export const completion: Handler<"completion"> = ({ pos }) => {
  process.stdout.write(script(pos.shell as "bash" | "zsh"));
  return Promise.resolve(0);
};
