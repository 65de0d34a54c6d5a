// netops: the runner Terraform's provisioners call. One bundled file, no shell.
//   node netops.cjs create  '<line>'          a lab object's create provisioner: ensure it
//   node netops.cjs destroy '<line>'…         its destroy provisioner (the spec from `self`):
//                                             remove it, "already gone" is success; the
//                                             stack's owner removes all the stack recorded
//   node netops.cjs apply   '<line>'…         ensure these objects (tests)
//   node netops.cjs verify|inspect '<line>'…  these objects as the kernel shows them
// Whole-lab verbs, on the lab file, on every machine of the lab (machines.ts). A deploy's
// steps (sweep, converge) record the lab as deployed on each machine (record.ts), and
// every later verb is run by the CLI on that record, with its copy of this runner:
//   node netops.cjs sweep    <lab file>       remove what the stack recorded and no longer declares
//   node netops.cjs converge <lab file> [--quiet|--apply]
//                                             make every machine match the lab file: the
//                                             nslab-converge that ends every deploy (--quiet:
//                                             only what it changed), and the batched apply
//                                             (--apply: quiet, and what was never made here is
//                                             reported as made, not as put right)
//   node netops.cjs repair   <lab file>       the same converge, in place (`nslab repair`): it
//                                             never makes the sandbox host, only a deploy does
//   node netops.cjs boot     <lab file> --enable|--disable
//                                             each machine's systemd unit that restores the record at boot
//   node netops.cjs restore  <record folder>  that unit's ExecStart: this machine's part of the
//                                             recorded lab, made again from the record alone (boot.ts)
//   node netops.cjs verify   <lab file>       list missing, extra and different objects; exit 1 if any
//   node netops.cjs inspect  <lab file>       every object as the kernel shows it, as JSON (nslab inspect)
//   node netops.cjs test     <lab file> [--all-pairs] [--json] [--junit FILE]
//                                             the stack's Expectations, with real traffic (nslab test)
//   node netops.cjs impair <lab file> <target> reset|'<impairment json>'   run-time loss and rate
//   node netops.cjs link   <lab file> <target> up|down                     run-time link state
//   node netops.cjs exec    <lab file> <target> [--tty] [-- <command>...]
//                                             a user's command (none: a shell) in a namespace (nslab exec, shell)
//   node netops.cjs capture <lab file> <target> [--count N] [--seconds S] [--text] [-- <filter>...]
//                                             tcpdump on an interface, a pcap (or lines) on stdout (nslab capture)
//   node netops.cjs watch   <lab file> [--every MS]
//                                             every machine's inspect and counters, a JSON line per period (nslab ui)
//   node netops.cjs retire <lab file> <address> '<owner lines, JSON>'
//                                             the gate's destroy: clear the Hosts deleted from the code
// Run by the runner itself:
//   node netops.cjs probe tcp|udp <host> <port>  a check's client, inside a namespace (`test`)
//   node netops.cjs probe throughput <host> <port> <seconds> | probe sink
//                                             a throughput check's sender and receiver (throughput.ts)
//   node netops.cjs relay <ports> <address> <delay> <jitter>   a delay line's relay (delayline.ts)
//   node netops.cjs <verb> --b64 <base64>…    a verb forwarded from the runner on another
//                                             machine (remote.ts): its lines in base64, and for
//                                             sweep, converge, boot, recorded and check a message
//                                             first (model/messages.ts)
// A line is the object's key then its spec as JSON (model/line.ts); a bare JSON spec works too.
// A provisioner gives its line in NSLAB_LINE and only the key as the argument, so that no
// spec shows in Terraform's output (model/line.ts withEnvLine).
import { existsSync, readFileSync } from "node:fs";
import { applyOrder, specKey } from "../model/kinds";
import { fromLine, toLine, withEnvLine } from "../model/line";
import { isObjectSpec, parseSpec, type Spec } from "../model/schema";
import {
  BootMessage,
  CaptureMessage,
  ConvergeMessage,
  type ConvergeHow,
  ExecMessage,
  KeysMessage,
  readMessage,
  RuntimeMessage,
} from "../model/messages";
import { convergedLine } from "../model/lab-change";
import {
  applySpecs,
  ensureHost,
  inspectSpecs,
  log,
  logClosing,
  logFor,
  removeSpecs,
  underTerraform,
  verifySpecs,
} from "./engine";
import { runPlans } from "./exec";
import { armTestHooks } from "./test-hooks";
import { strayNames } from "./names";
import { checkForwarded } from "./expect";
import { readLab, type LabFile } from "../model/lab-file";
import { disableBoot, enableBoot, restore } from "./boot";
import { partText, removeRecord, writeRecord } from "./record";
import { convergeHere, extraKeys, sweepKeys } from "./lab";
import { lineThere, machinesOf, report } from "./machines";
import { probe } from "./probe";
import { countersHere } from "./counters";
import { send, sink } from "./throughput";
import { captureHere } from "./capture";
import { execHere } from "./enter";
import { attached, runtime, runtimeOn, test, watch } from "./lab-verbs";
import { relay } from "./relay";
import { recorded, recordedSpecs } from "./ledger";
import { decodeLines, forward, hostLabel, retireCopy } from "./remote";

function readSpec(arg: string): Spec {
  const { key, json } = fromLine(arg);
  const spec = parseSpec(json);
  const want = isObjectSpec(spec) ? specKey(spec) : null;
  if (key !== null && want !== null && key !== want)
    throw new Error(`trigger line names ${key} but holds the spec of ${want}`);
  return spec;
}

/**
 * A lab object's create. Its ledger entry is removed by its destroy, so an entry found
 * here means the previous instance was never destroyed by its provisioner: Terraform
 * replaces a tainted resource (a failed or killed create, `terraform taint`) without
 * running it. That instance is removed first, so a replace rebuilds as it says.
 */
async function create(spec: Spec): Promise<void> {
  await ensureHost(spec);
  if (!isObjectSpec(spec)) return; // the owner needs nothing on create
  const before = recorded(spec);
  if (before) {
    logFor(before)("rebuilding: its previous instance was not destroyed (tainted, or a create was interrupted)");
    await removeSpecs([before]);
  }
  await applySpecs([spec]);
}

async function destroy(specs: readonly Spec[]): Promise<void> {
  await removeSpecs(specs.filter(isObjectSpec));
  // the owner goes last: whatever its stack still has recorded goes with it (creates that
  // failed or were killed, which Terraform never destroys itself)
  for (const s of specs) {
    if (s.kind !== "stack") continue;
    const left = recordedSpecs(s);
    await removeSpecs(left);
    await runPlans([{ steps: strayNames(s), log: log(`stack ${s.stack}`) }], log("rollback"));
    // the lab is gone from this machine: so are its record and boot unit (and the sandbox
    // host nslab made, when no stack is left in it)
    await disableBoot(s);
    await removeRecord(s);
    // what a batched stack's destroy removed, or what a default one left: `nslab destroy` counts it
    // (on a Host, its runner's "this machine" is that Host: cli/progress.ts names it)
    if (left.length)
      logClosing(`stack ${s.stack}`)(
        convergedLine("this machine", left.length, { made: [], rebuilt: [], removed: left, putRight: [] }),
      );
  }
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...given] = argv;
  // a call forwarded from another machine (remote.ts): its lines come as base64
  const forwarded = given[0] === "--b64";
  // the verbs Terraform's provisioners run (a Host's part of them, forwarded, too): bounded output
  if (["create", "destroy", "sweep", "converge", "retire"].includes(cmd)) underTerraform();
  // a provisioner's line comes in the environment, its key on the command line (model/line.ts)
  const args = forwarded ? decodeLines(given.slice(1)) : withEnvLine(given);
  const usage = () => {
    process.stderr.write(
      "usage: netops create|destroy|apply|verify|inspect '<line>'...\n" +
        "       netops sweep|converge|repair|verify|inspect <lab file> [--quiet|--apply (converge)]\n" +
        "       netops boot <lab file> --enable|--disable | netops restore <record folder>\n" +
        "       netops test <lab file> [--all-pairs] [--json] [--junit FILE]\n" +
        "       netops impair <lab file> <target> reset|'<impairment json>' | netops link <lab file> <target> up|down\n" +
        "       netops exec <lab file> <target> [--tty] [-- <command>...]\n" +
        "       netops capture <lab file> <target> [--count N] [--seconds S] [--text] [-- <filter>...]\n" +
        "       netops retire <lab file> <address> '<owner lines>' | netops probe tcp|udp <host> <port>\n" +
        "       (relay, and any verb with --b64, come from the runner itself: see netops/main.ts)\n",
    );
    return 2;
  };
  if (args.length === 0) return usage();
  if (cmd === "probe" && args[0] === "throughput") return send(args[1], Number(args[2]), Number(args[3]));
  if (cmd === "probe" && args[0] === "sink") return sink();
  if (cmd === "probe") return probe(args[0], args[1], Number(args[2]));
  if (cmd === "relay") return relay(args);
  // a whole-lab verb's part on this machine, forwarded from the one Terraform runs on (machines.ts)
  if (cmd === "sweep" && forwarded) {
    const { stack, keys } = readMessage(cmd, KeysMessage, args[0]);
    await sweepKeys(stack, keys);
    return 0;
  }
  if (cmd === "converge" && forwarded) {
    const { stack, where, how } = readMessage(cmd, ConvergeMessage, args[0]);
    const specs = args.slice(1).map(readSpec).filter(isObjectSpec);
    armTestHooks(specs.map(specKey));
    const here = () => convergeHere({ stack }, specs, where, how).then(() => 0);
    // a deploy's records this machine's part of the lab, which its boot unit restores
    return how.by === "deploy" ? recording({ stack }, partText(stack, specs), here) : here();
  }
  if (cmd === "boot" && forwarded) {
    const { stack, on, unitDir } = readMessage(cmd, BootMessage, args[0]);
    if (unitDir) process.env.NSLAB_SYSTEMD_DIR = unitDir;
    if (on) log(`stack ${stack}`)(`boot: enabled ${await enableBoot({ stack })}`);
    else await disableBoot({ stack });
    return 0;
  }
  if (cmd === "restore") return restore(args[0]);
  if (cmd === "recorded" && forwarded) {
    // what the stack has here and no longer declares, asked by verify and inspect
    const { stack, keys } = readMessage(cmd, KeysMessage, args[0]);
    process.stdout.write(`${JSON.stringify(extraKeys(stack, keys))}\n`);
    return 0;
  }
  if (cmd === "counters" && forwarded) {
    // the live page's counters of this machine's objects, asked by the machine it runs on
    const specs = args.map(readSpec).filter(isObjectSpec);
    process.stdout.write(`${JSON.stringify(await countersHere({ host: specs.find((s) => s.host)?.host }, specs))}\n`);
    return 0;
  }
  if (cmd === "watch") return watch(args[0], args.slice(1));
  if (cmd === "retire") return retire(args[0], args[1], args[2]);
  if (cmd === "check") {
    // expectations forwarded from the machine `nslab test` runs on (machines.ts checkOn)
    process.stdout.write(`${JSON.stringify(await checkForwarded(args[0]))}\n`);
    return 0;
  }
  if ((cmd === "exec" || cmd === "capture") && forwarded) {
    // a user's command or a capture here, from the machine the user is on
    if (cmd === "capture") return captureHere(readMessage(cmd, CaptureMessage, args[0]), true);
    const m = readMessage(cmd, ExecMessage, args[0]);
    return execHere(m, m.argv);
  }
  if (cmd === "exec" || cmd === "capture") return attached(cmd, args);
  if (cmd === "test") return test(args[0], args.slice(1));
  if ((cmd === "impair" || cmd === "link") && forwarded) {
    // a run-time change here, from the machine the user is on: the target's object lines follow
    const { target, what } = readMessage(cmd, RuntimeMessage, args[0]);
    return runtimeOn(cmd, args.slice(1).map(readSpec).filter(isObjectSpec), target, what);
  }
  if (cmd === "impair" || cmd === "link") return runtime(cmd, args);
  if (!args[0].trimStart().startsWith("{") && !args[0].includes(" {")) {
    // a lab file, and options on either side of it (a provisioner's command comes last)
    const [labPath, ...rest] = [...args.filter((a) => !a.startsWith("--")), ...args.filter((a) => a.startsWith("--"))];
    const { lab, specs } = readLab(labPath);
    // this machine's objects are this runner's; a Host's, its copy's there (machines.ts)
    armTestHooks(specs.filter((s) => !s.remote).map(specKey));
    const machines = machinesOf(lab, specs);
    if (cmd === "converge" || cmd === "repair") {
      const bad = rest.find((f) => cmd === "repair" || (f !== "--quiet" && f !== "--apply"));
      if (bad) throw new Error(`unknown option ${bad}: converge takes --quiet and --apply, repair none`);
      // --apply: the batched mode's apply, which reports only what it changed
      const how: ConvergeHow = {
        quiet: rest.includes("--quiet") || rest.includes("--apply"),
        apply: rest.includes("--apply"),
        by: cmd === "repair" ? "repair" : "deploy",
      };
      const all = async () => {
        let code = 0;
        for (const m of machines) code = Math.max(code, await m.converge(how));
        return code;
      };
      return cmd === "repair" ? all() : recording(lab, readFileSync(labPath), all);
    }
    if (cmd === "boot") {
      const on = rest[0] === "--enable" ? true : rest[0] === "--disable" ? false : undefined;
      if (on === undefined || rest.length !== 1) throw new Error("boot takes --enable or --disable");
      let code = 0;
      for (const m of machines) code = Math.max(code, await m.boot(on));
      return code;
    }
    if (cmd === "sweep") {
      // the first step of a deploy that changes the lab: from here on it is the deployed one
      writeRecord(lab, readFileSync(labPath), "deploying");
      for (const m of machines) {
        const code = await m.sweep();
        if (code !== 0) return code;
      }
      return 0;
    }
    if (cmd === "verify") {
      let code = 0;
      for (const m of machines) code = Math.max(code, await m.verify());
      return code;
    }
    if (cmd === "inspect") {
      const parts = [];
      for (const m of machines) parts.push(await m.inspect());
      const objects = parts.flatMap((p) => p.objects);
      const extra = parts.flatMap((p) => p.extra);
      process.stdout.write(
        `${JSON.stringify({ v: 1, stack: lab.stack, hostNetns: lab.host ?? null, objects, extra }, null, 1)}\n`,
      );
      return 0;
    }
    return usage();
  }
  const specs = args.map(readSpec);
  // objects on another machine: the runner there does the work (Terraform calls with one)
  const remote = specs.find((s) => s.remote)?.remote;
  if (remote) {
    if (!specs.every((s) => s.remote?.name === remote.name))
      throw new Error(`${cmd}: these specs are not all on ${hostLabel(remote)}`);
    return forward(remote, cmd, specs.map(lineThere));
  }
  const objects = specs.filter(isObjectSpec);
  armTestHooks(objects.map(specKey));
  if (cmd === "create" && specs.length === 1) await create(specs[0]);
  else if (cmd === "destroy") {
    await destroy(specs);
    // the stack's owner on this machine, forwarded here from the one Terraform runs on
    if (forwarded && specs.some((s) => s.kind === "stack")) retireCopy();
  } else if (cmd === "apply") {
    for (const s of specs) await ensureHost(s);
    await applySpecs(objects);
  } else if (cmd === "verify") return report(await verifySpecs(objects));
  else if (cmd === "inspect") process.stdout.write(`${JSON.stringify(await inspectSpecs(applyOrder(objects)))}\n`);
  else return usage();
  return 0;
}

/**
 * A deploy's converge on this machine: the record says `deploying` from its start (what a
 * killed deploy leaves: the next completes it) and `deployed` once every machine matches.
 */
async function recording(lab: Pick<LabFile, "stack" | "host">, text: string | Buffer, body: () => Promise<number>) {
  writeRecord(lab, text, "deploying");
  const code = await body();
  if (code === 0) writeRecord(lab, text, "deployed");
  return code;
}

/**
 * The old sweep's destroy (netops-resource.ts keepHosts): `hosts` are the owner lines of
 * the Hosts the stack had before this change. One the lab no longer lists was deleted from
 * the code, with its objects: none of their destroy provisioners runs, so what the stack
 * has there (its ledger there says what) is removed as that owner's destroy would, runner
 * copy included. With no lab file left, no Host is declared any more.
 */
async function retire(labPath: string, address: string, hosts = "null"): Promise<number> {
  const declared = new Set(existsSync(labPath) ? (readLab(labPath).lab.hosts ?? []).map((r) => r.name) : []);
  const owners = (JSON.parse(hosts) ?? []) as string[];
  for (const owner of owners.map(readSpec)) {
    if (owner.kind !== "stack" || !owner.remote) throw new Error(`not a Host's owner: ${toLine(owner).slice(0, 80)}`);
    if (declared.has(owner.remote.name)) continue;
    log(`stack ${owner.stack}`)(
      `${hostLabel(owner.remote)} is no longer in the code: removing what the stack has there`,
    );
    const code = await forward(owner.remote, "destroy", [lineThere(owner)]);
    if (code !== 0) {
      process.stderr.write(
        `stack ${owner.stack} still has objects on ${hostLabel(owner.remote)}, which the code no longer has. ` +
          "Make it reachable and deploy again; if that machine is gone for good, forget it with " +
          `\`terraform state rm ${address}\` in the stack's folder (cdktf.out/stacks/${owner.stack}), then deploy.\n`,
      );
      return code;
    }
  }
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: Error) => {
      const cmd = process.argv[2];
      process.stderr.write(`netops ${cmd}: ${err.message}\n`);
      if (cmd === "destroy") {
        process.stderr.write(
          "netops: Terraform keeps this resource in its state. Fix the cause above, then run the same destroy " +
            "again (`cdktf destroy <stack>`): it removes only what is left. See docs/terraform.md, 'When a destroy fails'.\n",
        );
      }
      process.exit(1);
    },
  );
}
