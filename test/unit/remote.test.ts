// Unit: what the runner sends over ssh for an object on another machine (netops/remote.ts).
import { decodeLines, forwardCommand, sshArgv } from "../../netops/remote";

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
