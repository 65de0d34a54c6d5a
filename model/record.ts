// The deployed lab's own record: what a deploy built, where, written by the runner on
// every machine of the lab and read by every verb that looks at or acts on a running lab
// (never the synth output, which anyone may rewrite at any time), and by boot restore,
// which needs neither the project folder nor Terraform. It is state that must outlive a
// reboot (unlike the ledger in /run, which describes kernel objects a reboot clears):
//   /var/lib/nslab/labs/<place>/<stack>/
//     record.json   this file's schema: the stack, its sandbox host, the deploy's state
//     lab.json      the lab file as deployed (on a Host: that machine's part of it)
//     netops.cjs    the runner that deployed it, which every later verb runs
//     last-run.json the last `nslab run` of one of its scenarios (model/reports.ts
//                   ScenarioReport), which the live page shows
// <place> is the sandbox host's name, or `_host` for the machine's own root namespace
// (the ledger's folders are named the same way, netops/ledger.ts).
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { NETNS_RE, STACK_RE } from "./fields";
import { NAME } from "./name";

/** The root of every record on this machine; NSLAB_RECORD_DIR moves it (the pure tier's tests). */
export const recordRoot = () => process.env.NSLAB_RECORD_DIR || `/var/lib/${NAME}/labs`;

/** A place's folder name: the sandbox host, or the machine's own root namespace. */
export const placeOf = (host: string | undefined) => host ?? "_host";
export const hostOfPlace = (place: string) => (place === "_host" ? undefined : place);

/** Where a stack's record is. */
export const recordDir = (host: string | undefined, stack: string) => join(recordRoot(), placeOf(host), stack);

export const RECORD_FILE = "record.json";
export const RECORD_LAB = "lab.json";
export const RECORD_RUNNER = "netops.cjs";
export const RECORD_LAST_RUN = "last-run.json";

export const DeployedRecord = z
  .object({
    v: z.literal(1),
    stack: z.string().regex(STACK_RE),
    /** The sandbox host namespace; absent: the machine's own root namespace. */
    host: z.string().regex(NETNS_RE).optional(),
    /**
     * `deploying` from the first step of a deploy that changes the lab until its closing
     * converge; a deploy that stopped half-way leaves it so, and the next one completes it.
     */
    state: z.enum(["deploying", "deployed"]),
    /** When the record was last written (ISO 8601). */
    at: z.string(),
    /** The folder the deploy ran in (the synthesized stack's), for people: nothing reads it back. */
    from: z.string().optional(),
    /** The systemd unit `nslab boot enable` wrote, and the link that enables it. */
    boot: z.object({ unit: z.string(), wants: z.string() }).strict().optional(),
  })
  .strict();
export type DeployedRecord = z.infer<typeof DeployedRecord>;

/** The record of `stack` deployed on `host` here, or null when there is none. */
export function readRecord(host: string | undefined, stack: string): DeployedRecord | null {
  const file = join(recordDir(host, stack), RECORD_FILE);
  if (!existsSync(file)) return null;
  try {
    return DeployedRecord.parse(JSON.parse(readFileSync(file, "utf8")));
  } catch (err) {
    throw new Error(`${file} is not a deployed record this nslab reads: deploy the stack again with this nslab`, {
      cause: err,
    });
  }
}
