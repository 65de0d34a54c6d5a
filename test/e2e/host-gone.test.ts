// End to end, issue 10 item 1: the sandbox host namespace is deleted before the destroy
// (what docs/terraform.md says to do after a destroy, done first). Its links and rules went with
// it; what lives outside it (the endpoint namespaces, /etc/netns files, the web server
// process, the ledger) must still go with `cdktf destroy`.
import { existsSync, readFileSync } from "node:fs";
import { must, ok, requireRoot } from "../helpers/cmd";
import { e2eSandbox } from "../helpers/e2e";
import { startTime } from "../../netops/proc";
import { ping } from "../helpers/traffic";

requireRoot("e2e");
jest.setTimeout(300_000);

const { host, project } = e2eSandbox(["ns01", "ns02"]);

test("destroy after the sandbox host is gone removes the namespaces, names files, processes and ledger entries", () => {
  must(project.cdktf(["deploy", "lab-stack", "--auto-approve"], host), "cdktf deploy");
  expect(ping("ns01", "192.168.88.12")).toBe(true);
  const pid = Number(readFileSync(`/run/nslab/${host}/lab-stack/workload-ns01-web.pid`, "utf8").split(" ")[0]);
  expect(startTime(pid)).not.toBeNull();

  ok(["ip", "netns", "del", host]);
  const out = must(project.cdktf(["destroy", "lab-stack", "--auto-approve"], host), "cdktf destroy");
  expect(out).toMatch(/Destroy complete!/);
  for (const ns of ["ns01", "ns02"]) expect(existsSync(`/run/netns/${ns}`)).toBe(false);
  expect(existsSync("/etc/netns/ns01")).toBe(false);
  expect(existsSync("/etc/netns/ns02")).toBe(false);
  expect(startTime(pid)).toBeNull(); // the web server is stopped
  expect(existsSync(`/run/nslab/${host}`)).toBe(false);
  expect(existsSync(`/run/netns/${host}`)).toBe(false); // and destroy did not bring the host back
});
