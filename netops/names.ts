// Names inside namespaces: /etc/netns/<ns>/hosts and resolv.conf, which `ip netns exec`
// (and so every workload) sees as /etc/hosts and /etc/resolv.conf. Files nslab writes
// start with its mark; a file without it is someone else's and is left alone.
import { sandboxHostOf } from "../model/schema";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { NamesSpec } from "../model/schema";
import { ForeignObjectError, type Ops } from "./resource";
import { FORMER_NAME } from "../model/former-name";
import { NAME } from "../model/name";
import { formerMark, isOwnerMark, ownerMark, type Step } from "./step";

const ETC_NETNS = "/etc/netns";

type File = { readonly path: string; readonly content: string };

/** The first line of every file nslab writes (or wrote under its former name): whose it is, down to the sandbox host. */
const head = (stack: string, host: string | undefined, former = false) =>
  `# ${former ? formerMark(stack) : ownerMark(stack)}: written by ${former ? FORMER_NAME : NAME} for ${
    host ? `sandbox host ${host}` : "this host"
  }, removed on destroy\n`;

/** The files of one namespace: hosts (localhost and the given entries), resolv.conf if nameservers are set. */
function filesOf(
  s: Pick<NamesSpec, "stack" | "host">,
  netns: string,
  entries: readonly (readonly [string, string])[],
  nameservers?: readonly string[],
): File[] {
  const h = head(s.stack, sandboxHostOf(s));
  return [
    {
      path: `${ETC_NETNS}/${netns}/hosts`,
      content: h + ["127.0.0.1\tlocalhost", ...entries.map(([a, n]) => `${a}\t${n}`)].join("\n") + "\n",
    },
    ...(nameservers
      ? [
          {
            path: `${ETC_NETNS}/${netns}/resolv.conf`,
            content: h + nameservers.map((n) => `nameserver ${n}`).join("\n") + "\n",
          },
        ]
      : []),
  ];
}

const read = (path: string): string | null => {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return null;
  }
};

export type NamesObs = ReadonlyMap<string, string | null>;

const ours = (s: NamesSpec, content: string) => isOwnerMark(/^# (.*?): written by /.exec(content)?.[1], s.stack);

/** Every file of the stack: per namespace, the endpoints of the networks it is on. */
function wanted(s: NamesSpec): File[] {
  return s.files.flatMap((f) =>
    filesOf(
      s,
      f.netns,
      s.endpoints.filter(([, , br]) => f.bridges.includes(br)).map(([a, n]) => [a, n] as const),
      f.nameservers,
    ),
  );
}

export const namesOps: Ops<NamesSpec, NamesObs> = {
  describe: (_s, o) => ({
    files: [...o.keys()].sort(),
    state: [...o.values()].every((v) => v !== null) ? "present" : "absent",
  }),
  observe: async (s) => new Map(wanted(s).map((f) => [f.path, read(f.path)])),
  drift(s, o, claimed) {
    const out: string[] = [];
    for (const f of wanted(s)) {
      const now = o.get(f.path) ?? null;
      if (now === null) out.push(`missing: ${f.path}`);
      else if (!ours(s, now) && !claimed)
        throw new ForeignObjectError(
          `${f.path} exists and is not nslab's; remove it or leave this namespace's names to it`,
        );
      else if (now !== f.content) out.push(`different: ${f.path}`);
    }
    return out;
  },
  // written in place (same inode): a repair shows in running workloads too
  converge: (s, o): Step[] =>
    wanted(s)
      .filter((f) => o.get(f.path) !== f.content)
      .map((f) => ({
        what: `write ${f.path}`,
        argv: [],
        file: { path: f.path, content: f.content },
        undo: { what: `delete ${f.path}`, argv: [], file: { path: f.path, content: null } },
      })),
  remove: (s, o, claimed): Step[] =>
    wanted(s)
      .filter((f) => {
        const now = o.get(f.path);
        return now != null && (claimed || ours(s, now));
      })
      .map((f) => ({ what: `delete ${f.path}`, argv: [], file: { path: f.path, content: null } })),
};

/**
 * Files of the stack's (on its host) that no spec names any more: /etc/netns is on disk,
 * and outlives the ledger (tmpfs) across a reboot. The owner's destroy removes these, so
 * destroy means gone whether or not the ledger survived.
 */
export function strayNames(owner: Pick<NamesSpec, "stack" | "host">): Step[] {
  const marks = [head(owner.stack, sandboxHostOf(owner)), head(owner.stack, sandboxHostOf(owner), true)];
  let dirs: string[];
  try {
    dirs = readdirSync(ETC_NETNS);
  } catch {
    return [];
  }
  return dirs
    .flatMap((d) => ["hosts", "resolv.conf"].map((f) => join(ETC_NETNS, d, f)))
    .filter((path) => {
      const text = read(path);
      return marks.some((m) => text?.startsWith(m));
    })
    .map((path) => ({ what: `delete ${path} (left by an earlier run)`, argv: [], file: { path, content: null } }));
}
