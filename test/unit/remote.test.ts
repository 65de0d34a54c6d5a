// Unit: what the runner sends over ssh for an object on another machine (netops/remote.ts).
import { decodeLines, forwardCommand, forwardQuietly, sshArgv } from "../../netops/remote";
import { FakeExec } from "../helpers/fake-exec";

const host = { name: "b", address: "10.0.0.2", user: "root", port: 2222, identityFile: "/keys/lab" };

test("the remote command is fixed words and base64: a workload's shell text never reaches a shell as text", () => {
  const line = `workload-w {"v":1,"kind":"workload","command":["sh","-c","echo $(id); rm -rf / # '\\""]}`;
  const argv = forwardCommand("/var/lib/netlab/netops-0123456789ab.cjs", "create", [line]);
  expect(argv.slice(0, 4)).toEqual(["node", "/var/lib/netlab/netops-0123456789ab.cjs", "create", "--b64"]);
  expect(argv[4]).toMatch(/^[A-Za-z0-9+/=]+$/);
  expect(decodeLines(argv.slice(4))).toEqual([line]);
});

test("ssh never asks: batch mode, the given key only, a first-met host key remembered, a changed one refused", () => {
  const argv = sshArgv(host, ["true"]);
  expect(argv[0]).toBe("ssh");
  expect(argv).toEqual(
    expect.arrayContaining(["BatchMode=yes", "StrictHostKeyChecking=accept-new", "IdentitiesOnly=yes"]),
  );
  expect(argv.slice(-7)).toEqual(["-p", "2222", "-l", "root", "10.0.0.2", "--", "true"]);
  expect(argv).toContain("/keys/lab");
});

describe("forwarding (fake ssh)", () => {
  let fake: FakeExec;
  beforeEach(() => {
    fake = new FakeExec();
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

  test("a host that cannot be reached is named, and is tried once (nothing says it will answer later)", async () => {
    fake.on(/^ssh /, { ok: false, code: 255, stderr: "ssh: connect to host 10.0.0.2 port 2222: No route to host\n" });
    const res = await forwardQuietly(host, "verify", ["sandbox-x {}"]);
    expect(res.why).toBe("host b (root@10.0.0.2:2222): cannot be reached");
    expect(fake.ran(/^ssh /)).toHaveLength(1);
  });
});
