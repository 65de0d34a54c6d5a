// Pure tier: each kind's runner code reads every field of its spec. A field added to a
// kind's schema and forgotten by its converge and drift would be written at synth, kept
// in Terraform's state, and never reach the kernel. Each kind's fixture spec (the one
// test/fixtures/specs pins) is watched while the runner looks at a machine that has
// nothing, says what differs, and plans the converge from there.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { KINDS } from "../../model/kinds";
import { isObjectSpec, parseSpec, Spec, type ObjectSpec } from "../../model/schema";
import { OPS } from "../../netops/engine";
import { HostView } from "../../netops/observe";
import type { Ops } from "../../netops/resource";
import { fakeMachine } from "../helpers/fake-machine";

// a machine with nothing on it, whatever this one has: no namespace is there (a deployed
// lab-stack's ns01 made this test fail for a user who ran it beside their lab)
jest.mock("node:fs", () => {
  const fs = jest.requireActual<typeof import("node:fs")>("node:fs");
  const absent = () => {
    throw Object.assign(new Error("ENOENT: no such file or directory"), { code: "ENOENT" });
  };
  return {
    ...fs,
    statSync: (p: string, ...rest: []) => (String(p).startsWith("/run/netns/") ? absent() : fs.statSync(p, ...rest)),
  };
});

const m = fakeMachine();
/** What every spec carries, which the engine reads for all kinds (its stack, its machine). */
const COMMON = new Set(["v", "stack", "host", "remote", "kind"]);

/** `spec`, with every property read (present or not) noted by its dotted path. */
function watched<T extends object>(spec: T, read: Set<string>, at = ""): T {
  return new Proxy(spec, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver) as unknown;
      if (typeof key !== "string" || Array.isArray(target)) return value;
      const path = at ? `${at}.${key}` : key;
      read.add(path);
      return value && typeof value === "object" && !Array.isArray(value) ? watched(value, read, path) : value;
    },
  });
}

/** The fields `kind`'s schema has (present in the fixture or not), and the fields of its nested objects the fixture has. */
function fieldsOf(spec: Record<string, unknown>): string[] {
  const schema = Spec.optionsMap.get(spec.kind as string) as z.AnyZodObject;
  const nested = (v: unknown, at: string): string[] =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.entries(v).flatMap(([k, w]) => [`${at}.${k}`, ...nested(w, `${at}.${k}`)])
      : [];
  return Object.keys(schema.shape)
    .filter((k) => !COMMON.has(k))
    .flatMap((k) => [k, ...nested(spec[k], k)]);
}

const kinds = Object.keys(KINDS) as ObjectSpec["kind"][];

type Of<K extends ObjectSpec["kind"]> = Extract<ObjectSpec, { kind: K }>;
/**
 * Besides each fixture, the optional fields it leaves out, so that each is read where it
 * applies (an IPv6 gateway only on a network with an IPv6 subnet): typed over the kinds,
 * so a new kind says its own.
 */
const MORE: { readonly [K in ObjectSpec["kind"]]: readonly Partial<Of<K>>[] } = {
  network: [
    {
      subnet6: "fd00:88::",
      prefix6: 64,
      gateway6: "fd00:88::1",
      masquerade6: false,
      icc: false,
      internal: true,
      connect: ["br02"],
    },
  ],
  sandbox: [],
  endpoint: [
    {
      address6: "fd00:88::11",
      prefix6: 64,
      gateway6: "fd00:88::1",
      isolated: true,
      defaultRoute: false,
      impair: { lossPercent: 5, rateKbit: 800 },
      port: "nlp00d3e93",
    },
    { shared: true },
  ],
  delayline: [{ ownsBridge: true, isolated: true }],
  vxlan: [{ isolated: true }],
  link: [
    {
      impair: { lossPercent: 5 },
      line: {
        a: { bridge: "nlpa", peer: "nlpa-p" },
        b: { bridge: "nlpb", peer: "nlpb-p" },
      },
    } as Partial<Of<"link">>,
  ],
  route: [{ via: "192.168.20.1" }],
  portmap: [{ hostPortEnd: 5360, address6: "fd00:88::11", firewall: "nftables" } as Partial<Of<"portmap">>],
  names: [],
  nftables: [],
  workload: [{ netns: "ns01" }],
};

test.each(kinds)("GIVEN a %s spec THEN its observe, drift and converge read every field of it", async (kind) => {
  const fixture = JSON.parse(readFileSync(join(__dirname, "..", "fixtures", "specs", "v1", `${kind}.json`), "utf8"));
  // a machine with nothing on it: every list empty, no table, every setting 0
  m.fake.on(/./, { stdout: "" });
  m.fake.on(/ -j /, { stdout: "[]" });
  m.fake.on(/sysctl -n/, { stdout: "0\n" });
  m.fake.on(/nft (-j )?list table/, { ok: false, stderr: "Error: No such file or directory\n" });
  const read = new Set<string>();
  const variants = [fixture, ...MORE[kind].map((more) => ({ ...fixture, ...more }))];
  for (const variant of variants) {
    const spec = parseSpec(variant);
    if (!isObjectSpec(spec)) throw new Error(`${kind}: not an object spec`);
    const s = watched(spec, read);
    const ops = OPS[kind] as unknown as Ops<ObjectSpec, unknown>;
    const obs = await ops.observe(s, new HostView(s, true));
    ops.drift(s, obs, false);
    ops.converge(s, obs);
  }
  const fields = [...new Set(variants.flatMap(fieldsOf))];
  expect(fields.filter((f) => !read.has(f))).toEqual([]);
});
