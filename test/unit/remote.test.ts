// Unit: what the runner sends over ssh for an object on another machine (netops/remote.ts).
import { decodeLines, forwardCommand, forwardQuietly, sshArgv } from "../../netops/remote";
import { checkOn, machinesOf } from "../../netops/machines";
import { specKey } from "../../model/kinds";
import type { LabFile } from "../../model/lab-file";
import { parseSpec, type ObjectSpec } from "../../model/schema";
import { FakeExec } from "../helpers/fake-exec";

const host = { name: "b", address: "10.0.0.2", user: "root", port: 2222, identityFile: "/keys/lab" };

test("the remote command is fixed words and base64: a workload's shell text never reaches a shell as text", () => {
  const line = `workload-w {"v":1,"kind":"workload","command":["sh","-c","echo $(id); rm -rf / # '\\""]}`;
  const argv = forwardCommand("/var/lib/nslab/netops-0123456789ab.cjs", "create", [line]);
  expect(argv.slice(0, 4)).toEqual(["node", "/var/lib/nslab/netops-0123456789ab.cjs", "create", "--b64"]);
  expect(argv[4]).toMatch(/^[A-Za-z0-9+/=]+$/);
  expect(decodeLines(argv.slice(4))).toEqual([line]);
});

test("ssh never asks: batch mode, the given key only, a first-met host key remembered, a changed one refused", () => {
  const argv = sshArgv(host, ["true"]);
  expect(argv[0]).toBe("ssh");
  expect(argv).toEqual(
    expect.arrayContaining([
      "BatchMode=yes",
      "StrictHostKeyChecking=accept-new",
      "IdentitiesOnly=yes",
      "ServerAliveInterval=5",
    ]),
  );
  expect(argv.slice(-7)).toEqual(["-p", "2222", "-l", "root", "10.0.0.2", "--", "true"]);
  expect(argv).toContain("/keys/lab");
});

describe("forwarding (fake ssh)", () => {
  let fake: FakeExec;
  beforeEach(() => {
    fake = new FakeExec();
    fake.on(/^mkdir -p -m 0700 \/run\/nslab-ssh\//, {});
    fake.install();
  });
  afterEach(() => fake.uninstall());

  test("a connection sshd refused before login (MaxStartups) is made again; the answer is passed back", async () => {
    let refusals = 2;
    fake.on(/^ssh /, () =>
      refusals-- > 0
        ? { ok: false, code: 255, stderr: "kex_exchange_identification: read: Connection reset by peer\n" }
        : { ok: true, code: 0, stdout: "[]" },
    );
    const res = await forwardQuietly(host, "inspect", ["sandbox-x {}"]);
    expect(res).toMatchObject({ ok: true, stdout: "[]", why: "" });
    expect(fake.ran(/^ssh /)).toHaveLength(3);
  });

  test("connections are shared when their folder can be made, and not when it cannot (a user who may not write /run)", async () => {
    fake.on(/^mkdir /, { ok: false, code: 1, stderr: "mkdir: Permission denied" });
    fake.on(/^ssh /, { ok: true, code: 0, stdout: "[]" });
    expect((await forwardQuietly({ ...host, knownHosts: "/elsewhere" }, "inspect", ["x {}"])).ok).toBe(true);
    expect(fake.ran(/^ssh /)[0]).not.toContain("ControlMaster");
    expect(sshArgv(host, ["true"], "/run/nslab-ssh/abc")).toEqual(
      expect.arrayContaining(["ControlMaster=auto", "ControlPath=/run/nslab-ssh/abc/%C"]),
    );
  });

  test("a host that cannot be reached is named, and is tried once (nothing says it will answer later)", async () => {
    fake.on(/^ssh /, { ok: false, code: 255, stderr: "ssh: connect to host 10.0.0.2 port 2222: No route to host\n" });
    const res = await forwardQuietly(host, "verify", ["sandbox-x {}"]);
    expect(res.why).toBe("host b (root@10.0.0.2:2222): cannot be reached");
    expect(fake.ran(/^ssh /)).toHaveLength(1);
  });
});

test("expectations from another machine: sent to it without `remote`, answered in order; an unreachable one fails them with its name", async () => {
  type Answer = Awaited<ReturnType<typeof forwardQuietly>>;
  const answer = (ok: boolean, stdout: string, why: string) =>
    ({ ok, code: ok ? 0 : 255, stdout, stderr: "", why }) as Answer;
  const e = (netns: string, address: string) => ({
    name: `X-${netns}`,
    from: { kind: "netns" as const, netns, remote: host },
    to: { kind: "address" as const, address },
    label: address,
    check: "ping" as const,
    reachable: true,
  });
  const sent: (readonly string[])[] = [];
  const answered = await checkOn("s", host, [e("a", "10.0.0.9"), e("b", "10.0.0.8")], async (_r, verb, lines) => {
    expect(verb).toBe("check");
    sent.push(lines);
    const batch = JSON.parse(lines[0]) as { expect: { name: string; label: string; from: object }[] };
    const stdout = JSON.stringify(
      batch.expect.map((x) => ({
        name: x.name,
        from: "ns",
        to: x.label,
        check: "ping",
        want: true,
        got: true,
        detail: "2/2",
      })),
    );
    return answer(true, stdout, "");
  });
  expect(JSON.parse(sent[0][0]).expect[0].from).toEqual({ kind: "netns", netns: "a" });
  expect(answered.map((o) => [o.name, o.from, o.got])).toEqual([
    ["X-a", "a on b", true],
    ["X-b", "b on b", true],
  ]);
  const unreachable = await checkOn("s", host, [e("a", "10.0.0.9")], async () =>
    answer(false, "", "host b (root@10.0.0.2:2222): cannot be reached"),
  );
  expect(unreachable).toEqual([
    {
      name: "X-a",
      from: "a on b",
      to: "10.0.0.9",
      check: "ping",
      want: true,
      got: false,
      detail: "host b (root@10.0.0.2:2222): cannot be reached",
    },
  ]);
});

test("verify and inspect ask each Host what the stack has there and no longer declares, with the keys declared there", async () => {
  const a = { ...host, name: "a", address: "10.0.0.1" };
  const lab = { v: 1, stack: "s", kind: "lab", specs: [], hosts: [a, host] } as LabFile;
  const onA = parseSpec({ v: 1, stack: "s", remote: a, kind: "sandbox", netns: "x" }) as ObjectSpec;
  const fake = new FakeExec();
  fake.on(/^mkdir -p -m 0700 \/run\/nslab-ssh\//, {});
  fake.on(/ 10\.0\.0\.1 -- node \S+ recorded --b64 /, {
    stdout: JSON.stringify([{ kind: "workload", key: "workload-w", name: "workload w" }]),
  });
  fake.on(/ 10\.0\.0\.1 -- node \S+ inspect --b64 /, { stdout: "[]" });
  fake.on(/ 10\.0\.0\.2 -- /, {
    ok: false,
    code: 255,
    stderr: "ssh: connect to host 10.0.0.2 port 2222: No route to host",
  });
  fake.install();
  try {
    const [, onHostA, onHostB] = machinesOf(lab, [onA]);
    const [fromA, fromB] = [await onHostA.inspect(), await onHostB.inspect()];
    // b has nothing declared and is asked all the same (a Host whose objects were all deleted)
    const asked = fake.ran(/ recorded --b64 /).map((c) => JSON.parse(decodeLines([c.split(" ").at(-1)!])[0]));
    expect(asked).toEqual([
      { stack: "s", keys: [specKey(onA)] },
      { stack: "s", keys: [] },
    ]);
    // one that does not answer adds nothing: its objects' own checks say it cannot be reached
    expect(fromA.extra).toEqual([{ kind: "workload", key: "workload-w", name: "workload w", machine: "a" }]);
    expect(fromB).toEqual({ objects: [], extra: [] });
  } finally {
    fake.uninstall();
  }
});
