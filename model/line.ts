// The trigger line: how a spec travels from synth to the runner. One line, the object's
// key then its spec as JSON: Terraform shows it on one line in a plan (a string that is
// all JSON it would print over a dozen lines), keeps it in state, and hands it to the
// create provisioner from the config and to the destroy provisioner from `self`.
import { OWNER_LINE_PREFIX } from "./former-name";
import { specKey } from "./kinds";
import { isObjectSpec, type Spec } from "./schema";

const lineKey = (s: Spec): string => (isObjectSpec(s) ? specKey(s) : `${OWNER_LINE_PREFIX}${s.kind}`);

export function toLine(s: Spec): string {
  return `${lineKey(s)} ${JSON.stringify(s)}`;
}

/** A spec's line as the machine it lives on reads it: there, it is local. */
export const localLine = ({ remote: _r, ...here }: Spec) => toLine(here as Spec);

/** The spec's JSON from a line (or a bare JSON spec); parseSpec validates it. */
export function fromLine(line: string): { key: string | null; json: unknown } {
  const text = line.trim();
  if (text.startsWith("{")) return { key: null, json: JSON.parse(text) };
  const at = text.indexOf(" {");
  if (at < 0) throw new Error(`not an nslab trigger line (key, then the spec as JSON): ${text.slice(0, 80)}`);
  return { key: text.slice(0, at), json: JSON.parse(text.slice(at + 1)) };
}

/**
 * The environment variable a provisioner hands the runner its line (or the Hosts' owner
 * lines) in; its command is only the object's key, which Terraform may print (an error
 * says "Error running command '<command>'"): no spec ever shows in Terraform's output.
 */
export const LINE_ENV = "NSLAB_LINE";
/** The command of a provisioner whose text is the Hosts' owner lines (the gate's retire). */
export const HOSTS_WORD = "hosts";

/**
 * The runner's arguments with the provisioner's text put back in place of its key (or of
 * HOSTS_WORD), and the variable taken out of the environment (the runner's children, a
 * workload among them, do not inherit it).
 */
export function withEnvLine(args: readonly string[], env: NodeJS.ProcessEnv = process.env): string[] {
  const text = env[LINE_ENV];
  if (text === undefined) return [...args];
  delete env[LINE_ENV];
  const last = args.length - 1;
  const word = args[last];
  if (word === undefined || !(word === HOSTS_WORD || text.startsWith(`${word} `)))
    throw new Error(`${LINE_ENV} holds the text of ${text.split(" ")[0].slice(0, 60)}, not of ${word}`);
  return [...args.slice(0, last), text];
}
