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

/** The spec's JSON from a line (or a bare JSON spec); parseSpec validates it. */
export function fromLine(line: string): { key: string | null; json: unknown } {
  const text = line.trim();
  if (text.startsWith("{")) return { key: null, json: JSON.parse(text) };
  const at = text.indexOf(" {");
  if (at < 0) throw new Error(`not an nslab trigger line (key, then the spec as JSON): ${text.slice(0, 80)}`);
  return { key: text.slice(0, at), json: JSON.parse(text.slice(at + 1)) };
}
