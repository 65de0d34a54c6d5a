// What each of the CLI's verbs does: typed over their description (model/verbs.ts), so a
// verb described there and missing here fails `npm run typecheck`.
import type { CliVerb } from "../../model/verbs";
import { help, version, completion } from "./about";
import { capture, exec, shell } from "./attached";
import { boot } from "./boot";
import { graph } from "./graph";
import { inspect } from "./inspect";
import { repair } from "./repair";
import { run } from "./run";
import { impair, link } from "./runtime";
import { deploy, destroy, diff } from "./terraform";
import { test } from "./test";
import { trace } from "./trace";
import { ui } from "./ui";
import { verify } from "./verify";
import type { Handler } from "./types";

export const HANDLERS: { readonly [V in CliVerb]: Handler<V> } = {
  deploy,
  destroy,
  diff,
  verify,
  repair,
  inspect,
  test,
  graph,
  impair,
  link,
  exec,
  shell,
  capture,
  trace,
  run,
  ui,
  boot,
  completion,
  help,
  version,
};
