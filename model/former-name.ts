// nslab was called netlab until December 2026 (that name is ipspace's netlab's, a lab
// orchestrator with a CLI of the same name). A lab deployed under the former name carries
// it on its machines and in its Terraform state: owner marks (netlab:<stack>), chains
// (NETLAB-...), nftables tables (netlab-...), the ledger in /run/netlab, runner copies in
// /var/lib/netlab, the stack's own resources (netlab-owner, ...) and the owner's trigger
// line; and its user may still set NETLAB_HOST_NETNS. Whatever reads the former name
// reads it from here, so that such a lab is still upgraded and destroyed cleanly
// (docs/former-name.md).

import { NAME } from "./name";

export const FORMER_NAME = "netlab";

/**
 * A name nslab gives that starts with its own (a mark, a chain, a table, a resource, a
 * variable), as the former version gave it; any other name as it is.
 */
export function formerOf(name: string): string {
  if (name.startsWith(NAME)) return FORMER_NAME + name.slice(NAME.length);
  if (name.startsWith(NAME.toUpperCase())) return FORMER_NAME.toUpperCase() + name.slice(NAME.length);
  return name;
}

/**
 * The key of the stack owner's trigger line keeps the former name: a changed trigger
 * replaces the resource, and an owner's destroy removes the whole lab.
 */
export const OWNER_LINE_PREFIX = `${FORMER_NAME}-`;

/** Where the former version kept its ledger, and its copies of the runner on a Host. */
export const FORMER_STATE_DIR = `/run/${FORMER_NAME}`;
export const FORMER_REMOTE_DIR = `/var/lib/${FORMER_NAME}`;
/** The folder next to cdk.tf.json that the former version's synth wrote the lab file to. */
export const FORMER_SYNTH_DIR = FORMER_NAME;

const warned = new Set<string>();

/**
 * The environment variable `name` (NSLAB_...), else its former name (NETLAB_...), read
 * with a warning: a user who kept NETLAB_HOST_NETNS must not find their next deploy on the
 * real host instead of the sandbox.
 */
export function fromEnv(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env[name]) return env[name];
  const former = formerOf(name);
  if (!env[former]) return undefined;
  if (!warned.has(former)) {
    warned.add(former);
    process.stderr.write(`${NAME}: read ${former}, the former name of ${name}; rename it in your environment\n`);
  }
  return env[former];
}
