// The deployed lab every run-time verb acts on (inspect, verify, repair, test, impair,
// link, exec, shell, capture, ui, boot): its record on this machine (model/record.ts),
// written by the deploy that built it, with the runner that built it. Never the synth
// output: anyone may rewrite that at any time (`cdktf synth`, a `diff` with other
// variables), and a verb that followed it could act where the lab is not.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve, sep } from "node:path";
import {
  hostOfPlace,
  readRecord,
  type DeployedRecord,
  RECORD_LAB,
  RECORD_RUNNER,
  recordDir,
  recordRoot,
} from "../model/record";
import { STACK_MANIFEST, StackManifest } from "../model/manifest";
import { CliError } from "./manifest";

export interface DeployedLab {
  readonly stack: string;
  readonly record: DeployedRecord;
  /** The record's folder: the runner runs there, on the lab file there. */
  readonly dir: string;
  /** Relative to `dir`. */
  readonly lab: string;
  readonly runner: string;
}

/** Where a lab is, as messages say it. */
export const placeWords = (host: string | undefined) => (host ? `sandbox host ${host}` : "the real host");

/** Every record on this machine (of `stack` only, when given), by place then stack. */
export function recordsOf(stack?: string): DeployedRecord[] {
  const list = (dir: string) => {
    try {
      return readdirSync(dir).sort();
    } catch {
      return [];
    }
  };
  return list(recordRoot()).flatMap((place) =>
    (stack ? [stack] : list(join(recordRoot(), place))).flatMap((s) => readRecord(hostOfPlace(place), s) ?? []),
  );
}

/** Is `record` this project's (deployed from its output folder `out`)? */
export const fromProject = (record: DeployedRecord, out: string) =>
  record.from !== undefined && (record.from + sep).startsWith(resolve(out) + sep);

/**
 * The deployed lab `stack`: NSLAB_HOST_NETNS, when set, says in which sandbox host; else
 * the one record of that name, or among several the one this project deployed. `out`:
 * the project's synth output, only to say when the code's last synth differs from what is
 * deployed (`say` hears it); the verb still acts on what is deployed.
 */
export function loadDeployed(stack: string, out = "cdktf.out", say: (line: string) => void = sayOnStderr): DeployedLab {
  const all = recordsOf(stack);
  const wanted = process.env.NSLAB_HOST_NETNS || undefined;
  const here = wanted ? all.filter((r) => r.host === wanted) : all;
  const mine = here.length > 1 ? here.filter((r) => fromProject(r, out)) : here;
  const elsewhere = all.map((r) => placeWords(r.host)).join(", ");
  if (here.length === 0)
    throw new CliError(
      wanted && all.length
        ? `stack ${stack} is not deployed in sandbox host ${wanted}: it is deployed on ${elsewhere}`
        : `stack ${stack} is not deployed on this machine: it has no record in ${recordRoot()}`,
      wanted && all.length
        ? "unset NSLAB_HOST_NETNS (or set it to where the lab is) to act on it"
        : `deploy it first: \`NSLAB_HOST_NETNS=<sandbox> npx nslab deploy ${stack}\` (a lab deployed by an nslab ` +
            "older than its record is recorded by its next deploy, which changes nothing else)",
    );
  if (mine.length !== 1)
    throw new CliError(
      `stack ${stack} is deployed in ${here.length} places: ${elsewhere}`,
      "set NSLAB_HOST_NETNS to the sandbox host of the one you mean",
    );
  const record = mine[0];
  const dir = recordDir(record.host, stack);
  const deployed: DeployedLab = { stack, record, dir, lab: RECORD_LAB, runner: RECORD_RUNNER };
  const synth = synthDiffers(deployed, out);
  if (synth)
    say(`nslab: ${stack}: ${synth}; acting on what is deployed (\`nslab diff ${stack}\` shows the difference)`);
  return deployed;
}

const sayOnStderr = (line: string) => void process.stderr.write(`${line}\n`);

/** How the project's last synth of the stack differs from what is deployed, or null. */
function synthDiffers(d: DeployedLab, out: string): string | null {
  const at = join(out, "stacks", d.stack);
  let manifest: StackManifest;
  try {
    manifest = StackManifest.parse(JSON.parse(readFileSync(join(at, STACK_MANIFEST), "utf8")));
  } catch {
    return null; // no synth here (another folder, or none yet): nothing to compare
  }
  if ((manifest.host ?? undefined) !== d.record.host)
    return `the code's last synth (${out}) puts it on ${placeWords(manifest.host)}, and it is deployed on ${placeWords(d.record.host)}`;
  let synthLab: Buffer;
  try {
    synthLab = readFileSync(join(at, manifest.lab));
  } catch {
    return null;
  }
  return synthLab.equals(readFileSync(join(d.dir, d.lab)))
    ? null
    : `the code's last synth (${out}) differs from what is deployed`;
}

/**
 * A verb that acts on the kernel needs the lab's sandbox host: one that is gone (a reboot)
 * is said before anything runs; only a deploy or boot restore makes it.
 */
export function requireSandbox(d: DeployedLab): void {
  const host = d.record.host;
  if (!host || existsSync(join("/run/netns", host))) return;
  throw new CliError(
    `stack ${d.stack} is deployed in sandbox host ${host}, which is gone (a reboot, or deleted by hand)`,
    `\`NSLAB_HOST_NETNS=${host} npx nslab deploy ${d.stack}\` builds it again there; ` +
      `\`nslab boot enable ${d.stack}\` has it rebuilt by itself at every boot`,
    { exitCode: 1 },
  );
}
