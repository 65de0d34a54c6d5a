// Unit: run-time changes (`nslab link`, `nslab impair`) act on the machine the target is
// on: this one directly, a Host through its runner there (fake exec: the argv only).
import type { EndpointSpec } from "../../model/schema";
import { decodeLines } from "../../netops/remote";
import { linkNow } from "../../netops/runtime";
import { FakeExec } from "../helpers/fake-exec";
import { endpointSpec } from "../helpers/specs";

const remote = { name: "b", address: "10.0.0.2", user: "root", port: 22 };
const endpoint = (netns: string, over: Partial<EndpointSpec> = {}) =>
  endpointSpec(netns, { gateway: undefined, ...over });

let fake: FakeExec;
beforeEach(() => {
  fake = new FakeExec();
  fake.on(/^mkdir -p -m 0700 \/run\/nslab-ssh\//, {});
  fake.on(/^ssh /, { ok: true, code: 0 });
  fake.on(/^nsenter /, {});
  fake.install();
});
afterEach(() => fake.uninstall());

test("link down on a Host's endpoint runs there, not here", async () => {
  await linkNow([endpoint("ns01", { host: "sbx" }), endpoint("nb", { remote })], "nb", false);
  expect(fake.ran(/^nsenter /)).toEqual([]);
  const [ssh] = fake.ran(/^ssh /);
  expect(ssh).toMatch(/ root 10\.0\.0\.2 -- node \/var\/lib\/nslab\/netops-\w+\.cjs link --b64 /);
  const words = ssh.split(" ");
  const [message, line] = decodeLines(words.slice(words.indexOf("--b64") + 1));
  expect(JSON.parse(message)).toEqual({ target: "nb", what: "down" });
  expect(line).toMatch(/^endpoint-nb:eth0 \{/); // the spec as that machine reads it: there, it is local
  expect(line).not.toContain("remote");
});

test("link down on this machine's endpoint runs here, in its namespace and the sandbox host", async () => {
  await linkNow([endpoint("ns01", { host: "sbx" }), endpoint("nb", { remote })], "ns01", false);
  expect(fake.ran(/^ssh /)).toEqual([]);
  expect(fake.ran(/^nsenter /)).toEqual([
    "nsenter --net=/run/netns/ns01 -- ip link set dev eth0 down",
    "nsenter --net=/run/netns/sbx -- ip link set dev veth-ns01 down",
  ]);
});

test("link up puts back what the kernel dropped with the link: the endpoint's default route", async () => {
  fake.on(/^ip -n ns01 -batch -$/, {});
  await linkNow([endpoint("ns01", { host: "sbx", gateway: "192.168.88.1" })], "ns01", true);
  expect(fake.ran(/^nsenter |^ip /)).toEqual([
    "nsenter --net=/run/netns/ns01 -- ip link set dev eth0 up",
    "nsenter --net=/run/netns/sbx -- ip link set dev veth-ns01 up",
    "ip -n ns01 -batch -",
  ]);
  expect(fake.calls.at(-1)?.input).toBe("route replace default via 192.168.88.1 dev eth0\n");
});
