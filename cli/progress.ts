// What `nslab deploy`, `destroy` and `diff` make of Terraform's -json messages for one
// stack: each resource's result, named as the lab names it (the manifest synth wrote), a
// line per lab object as it finishes, the runner's own lines of a failure, a progress
// line on a terminal, and what the deploy's converge said.
import { convergedCounts } from "../model/lab-change";
import type { StackManifest } from "../model/manifest";
import type { TfMessage } from "./terraform";

type Resources = NonNullable<StackManifest["resources"]>;

export interface ObjectResult {
  readonly address: string;
  readonly label: string;
  /** The construct that declared it. */
  readonly path: string;
  readonly role: string;
  /** Terraform's action: create, delete, update, replace (a plan's), ... */
  action: string;
  ok?: boolean;
  seconds?: number;
  /** The runner's lines (its provisioners' output). */
  readonly output: string[];
}

export interface Diagnostic {
  readonly severity: "error" | "warning";
  readonly summary: string;
  readonly detail?: string;
  readonly address?: string;
}

/** A plan's actions as a line shows them; `remove` is a forget (OpenTofu's word for it in -json). */
export const SIGN: Record<string, string> = { create: "+", delete: "-", update: "~", replace: "-/+", remove: "forget" };
/** How the runner starts a line about the whole stack (netops/machines.ts convergeHere). */
const STACK_WORD = /^netops stack [^:]+: /;
/** A converge's closing line for one machine (model/lab-change.ts convergedLine). */
const CLOSING = /^netops stack [^:]+: (this machine|host [^:]+): /;
/** Terraform's echo of a quiet local-exec: nothing of the runner's. */
const ECHO = /^local-exec: Executing:/;

export class Progress {
  readonly results = new Map<string, ObjectResult>();
  readonly diagnostics: Diagnostic[] = [];
  /** The converge's lines (`this machine: all 6 objects as declared`, `put right ...`). */
  readonly converged: string[] = [];
  terraformChanges?: TfMessage["changes"];
  /** Which Terraform wrote the stream (its version message): how its lines are named. */
  tool: "terraform" | "tofu" = "terraform";
  private readonly planned = new Map<string, string>();
  private readonly started = new Map<string, number>();
  private finished = 0;
  /** What a batched stack's apply did, from its closing lines. */
  private readonly applied = { created: 0, replaced: 0, updated: 0, destroyed: 0 };
  private shown = false;
  /** Ctrl-C was passed on: Terraform kills the provisioners that run, each said in one line. */
  private interrupted = false;

  constructor(
    private readonly resources: Resources,
    /** A batched stack: its objects are counted from the runner's closing lines, having no resources. */
    private readonly batched: boolean,
    /** Text lines (undefined with --json, which prints one document at the end). */
    private readonly print: ((line: string) => void) | undefined,
    /** A terminal to keep a progress line on. */
    private readonly tty?: NodeJS.WriteStream,
  ) {}

  private result(address: string): ObjectResult {
    let r = this.results.get(address);
    if (!r) {
      const known = this.resources[address];
      r = {
        address,
        label: known?.label ?? address,
        path: known?.path ?? "",
        // a batched stack has no resource per object: one it does not know is a tracking
        // resource an older nslab made, which Terraform drops (nothing on the kernel)
        role: known?.role ?? (this.batched ? "tracking" : "object"),
        action: this.planned.get(address) ?? "",
        output: [],
      };
      this.results.set(address, r);
    }
    return r;
  }

  /** The lab objects (and Hosts) a plan changes: what `nslab diff` lists. */
  get changes(): ObjectResult[] {
    return [...this.results.values()].filter((r) => r.action && r.action !== "noop" && shownRole(r));
  }

  onMessage(m: TfMessage): void {
    const addr = m.hook?.resource?.addr ?? m.change?.resource.addr;
    if (m.type === "version") this.tool = m.tofu !== undefined ? "tofu" : "terraform";
    else if (m.type === "planned_change" && addr && m.change) {
      this.planned.set(addr, m.change.action);
      this.result(addr).action = m.change.action;
    } else if (m.type === "apply_start" && addr) {
      this.started.set(addr, Date.now());
      this.result(addr).action = m.hook?.action ?? "";
    } else if (m.type === "provision_progress" && addr && m.hook?.output !== undefined) {
      const line = m.hook.output;
      if (ECHO.test(line)) return;
      const r = this.result(addr);
      r.output.push(line);
      if (r.role === "converge") this.converged.push(line.replace(STACK_WORD, ""));
      else if ((r.role === "gate" || r.role === "owner") && CLOSING.test(line)) {
        // what a batched stack's apply did, or an owner's destroy removed, on one machine (a
        // Host's runner calls its machine "this machine": named here by the owner's label)
        const said = line.replace(STACK_WORD, "");
        this.converged.push(r.role === "owner" && r.label !== "owner" ? said.replace(/^this machine/, r.label) : said);
        // a default stack's objects are Terraform's to count (an owner removes only what a failed create left)
        if (this.batched) {
          const c = convergedCounts(line);
          this.applied.created += c.made;
          this.applied.replaced += c.rebuilt;
          this.applied.destroyed += c.removed;
        }
      }
      // what the sweep, an owner or the test say is about the whole lab: shown as it comes
      else if (r.role !== "object" && !(r.role === "owner" && r.label !== "owner")) this.line(`  ${line}`);
    } else if ((m.type === "apply_complete" || m.type === "apply_errored") && addr) {
      const r = this.result(addr);
      r.ok = m.type === "apply_complete";
      r.seconds = (Date.now() - (this.started.get(addr) ?? Date.now())) / 1000;
      this.started.delete(addr);
      this.finished++;
      if (!r.ok) this.failed(r);
      else if (shownRole(r))
        this.line(`  ${SIGN[m.hook?.action ?? ""] ?? " "} ${r.label.padEnd(44)} ${r.seconds.toFixed(2)} s`);
    } else if (m.type === "diagnostic" && m.diagnostic) {
      const d = m.diagnostic;
      this.diagnostics.push({ severity: d.severity, summary: d.summary, detail: d.detail, address: d.address });
      // a failed object's own error is its runner's lines, already shown
      const shownAlready = d.address !== undefined && this.results.get(d.address)?.ok === false;
      if (d.summary === STATE_LOCKED) this.line(`  ${lockedLine(d.detail ?? "")}`);
      // what Terraform says of each provisioner it killed, and that it halted: said per object
      else if (this.interrupted && (d.summary === HALTED || KILLED.test(`${d.summary}: ${d.detail ?? ""}`))) return;
      else if (!shownAlready || !this.results.get(d.address!)!.output.length)
        this.line(`  ${this.tool} ${d.severity}: ${d.summary}${d.detail ? `: ${d.detail.trim()}` : ""}`);
    } else if (m.type === "change_summary") this.terraformChanges = m.changes;
    this.progress();
  }

  private failed(r: ObjectResult): void {
    if (this.interrupted) return this.line(`  ✗ ${r.label} interrupted${r.path ? ` (${r.path})` : ""}`);
    this.line(`  ✗ ${r.label} failed${r.path ? ` (${r.path})` : ""}:`);
    for (const o of r.output) this.line(`      ${o}`);
  }

  /** Ctrl-C (or SIGINT, SIGTERM) passed on to Terraform. */
  interrupt(): void {
    this.interrupted = true;
  }

  /** Lab objects by what was done to them (a replace counted once). */
  counts(): Record<string, number> {
    const out: Record<string, number> = { ...this.applied };
    const word: Record<string, string> = {
      create: "created",
      replace: "replaced",
      update: "updated",
      delete: "destroyed",
      remove: "forgotten",
    };
    for (const r of this.results.values())
      if (r.ok && r.role === "object" && word[this.planned.get(r.address) ?? r.action])
        out[word[this.planned.get(r.address) ?? r.action]]++;
    return out;
  }

  /** A line above the progress line, which is drawn again under it. */
  line(text: string): void {
    if (!this.print) return;
    this.clear();
    this.print(text);
  }

  private progress(): void {
    if (!this.tty || !this.print) return;
    // a replace is two operations: a delete, then a create
    const total = [...this.planned.values()].reduce(
      (n, a) => n + (a === "replace" ? 2 : a === "noop" || a === "read" ? 0 : 1),
      0,
    );
    if (!total) return;
    const running = [...this.started.keys()].map((a) => this.result(a).label);
    const text = `  [${this.finished}/${total}]${running.length ? ` running: ${running.join(", ")}` : ""}`;
    this.tty.write(`\r\x1b[K${text.slice(0, (this.tty.columns || 80) - 1)}`);
    this.shown = true;
  }

  /** Take the progress line away (before a line, and at the end). */
  clear(): void {
    if (this.shown && this.tty) this.tty.write("\r\x1b[K");
    this.shown = false;
  }
}

/** What a person follows: the lab's objects and its Hosts, not the stack's bookkeeping. */
const shownRole = (r: ObjectResult) => r.role === "object" || (r.role === "owner" && r.label !== "owner");

/** Terraform's word when it stopped on an interrupt, and its error for a provisioner it killed. */
const HALTED = "execution halted";
const KILLED = /^local-exec provisioner error: .*(signal: (killed|interrupt|terminated)|context canceled)/s;

/** Terraform's diagnostic when another run holds the stack's state. */
const STATE_LOCKED = "Error acquiring the state lock";

/**
 * The lock's holder in one line, from the lock info Terraform gives (its advice to
 * `-lock=false` is not for a lab: two runs at once would both change it).
 */
export function lockedLine(detail: string): string {
  const field = (name: string) => new RegExp(`^\\s*${name}:[ \\t]*(.*)$`, "m").exec(detail)?.[1]?.trim() || undefined;
  const op = field("Operation")
    ?.replace(/^OperationType/, "")
    .toLowerCase();
  const who = field("Who");
  const since = field("Created");
  const by = [op, who && `by ${who}`, since && `since ${since}`].filter(Boolean).join(" ");
  return `another Terraform run holds this stack's state${by ? ` (${by})` : ""}: wait for it to finish; nothing was changed`;
}
