// End to end: the real `cdktf deploy lab-stack` / `cdktf destroy lab-stack` inside a
// sandbox host namespace, checked with real traffic from an "external" namespace.
import { existsSync, readFileSync } from "node:fs";
import { cmd, must, ok, requireRoot } from "../helpers/cmd";
import { e2eSandbox } from "../helpers/e2e";
import { EXT_ADDR, HOST_ADDR, hostState, inNs } from "../helpers/sandbox";
import { http, ping, processesWith, request, serve } from "../helpers/traffic";

requireRoot("e2e");
jest.setTimeout(300_000);

const WEB_MARK = "hello from ns01"; // in the command line of lab-stack's web server
const { host, ext, project, servers } = e2eSandbox(["ns01", "ns02"]);

test("cdktf deploy builds seed 004's lab; traffic flows; cdktf destroy leaves nothing", async () => {
  const before = hostState(host);
  const t0 = Date.now();
  const deploy = must(project.cdktf(["deploy", "lab-stack", "--auto-approve"], host), "cdktf deploy");
  const deployMs = Date.now() - t0;
  expect(deploy).toMatch(/ns01_address = "?192.168.88.11/);

  expect(ping("ns01", "192.168.88.12")).toBe(true);
  expect(ping("ns02", "192.168.88.11")).toBe(true);
  expect(ping("ns01", "192.168.88.1")).toBe(true);
  // names: each namespace's /etc/hosts (seen through ip netns exec) lists the network's endpoints
  expect(ok(["ip", "netns", "exec", "ns01", "getent", "hosts", "ns02"]).trim()).toBe("192.168.88.12   ns02");
  expect(cmd(["ip", "netns", "exec", "ns02", "ping", "-c1", "-W1", "ns01"]).code).toBe(0);

  servers.push(await serve(ext, "tcp", 9000, "ext"));
  // published port: external client -> sandbox host address:8080 -> ns01:80, where the
  // stack's own workload answers (started by the deploy, nothing started by the test)
  expect(http(ext, `http://${HOST_ADDR}:8080/`)).toBe(`hello from ns01, you are ${EXT_ADDR}\n`);
  // this lab's web server, by its pid file (a quick-start lab may run its own twin)
  const pidFile = `/run/nslab/${host}/lab-stack/workload-ns01-web.pid`;
  const webPid = Number(readFileSync(pidFile, "utf8").split(" ")[0]);
  expect(processesWith(WEB_MARK)).toContain(webPid);
  // an unpublished port is not forwarded, though something listens on it
  servers.push(await serve("ns01", "tcp", 8081, "hidden"));
  expect(request(host, "tcp", "192.168.88.11", 8081)).toBe("hidden peer=192.168.88.1");
  expect(request(ext, "tcp", HOST_ADDR, 8081)).toBeNull();
  // outbound: the external server sees the sandbox host's address (MASQUERADE)
  expect(request("ns01", "tcp", EXT_ADDR, 9000)).toBe(`ext peer=${HOST_ADDR}`);

  // inspect: what the kernel shows, read from it (the MACs and addresses of the interfaces)
  const inspect = () => JSON.parse(must(project.nslab(["inspect", "lab-stack", "--json"], host), "nslab inspect"));
  const endpoints = (r: any) => r.objects.filter((o: any) => o.kind === "endpoint");
  const real = (ns: string) => JSON.parse(ok(["ip", "-n", ns, "-j", "addr", "show", "dev", "eth0"]))[0];
  const seen = inspect();
  expect(seen).toMatchObject({ v: 1, stack: "lab-stack", hostNetns: host, extra: [] });
  expect(endpoints(seen).map((o: any) => [o.status, o.observed.netns, o.observed.addresses, o.observed.mac])).toEqual(
    ["ns01", "ns02"].map((ns) => [
      "ok",
      ns,
      [`${real(ns).addr_info.find((a: any) => a.family === "inet").local}/24`],
      real(ns).address,
    ]),
  );
  expect(seen.objects.find((o: any) => o.kind === "workload").observed).toMatchObject({
    pid: webPid,
    state: "running",
  });
  expect(must(project.nslab(["inspect", "lab-stack"], host), "nslab inspect")).toMatch(
    /ENDPOINTS\n +NETNS +INTERFACE.*\n +ns01 +eth0 +br01 +192\.168\.88\.11\/24 +02:42:c0:a8:58:0b +up +veth-ns01 +up/,
  );

  // drift: delete a veth, a route and the DNAT rule out of band; verify lists each; repair fixes
  expect(must(project.nslab(["verify", "lab-stack"], host), "nslab verify")).toMatch(/6 objects match the kernel/);
  ok(inNs(host, ["ip", "link", "del", "veth-ns02"]));
  // inspect marks the endpoint whose veth is gone, and only it
  const marked = endpoints(inspect());
  expect(marked.map((o: any) => [o.observed.netns, o.status, o.observed.hostState])).toEqual([
    ["ns01", "ok", "up"],
    ["ns02", "drift", "absent"],
  ]);
  expect(must(project.nslab(["inspect", "lab-stack"], host), "nslab inspect")).toMatch(/\n! +ns02 +eth0 .*absent/);
  ok(["ip", "-n", "ns01", "route", "del", "default"]);
  ok(inNs(host, ["iptables", "-w", "-t", "nat", "-F", "NSLAB-DNAT-br01"]));
  const drift = project.nslab(["verify", "lab-stack"], host);
  expect(drift.code).toBe(1);
  expect(drift.stdout).toMatch(/endpoint ns02: missing: veth veth-ns02/);
  expect(drift.stdout).toMatch(/endpoint ns01: missing: default route via 192.168.88.1/);
  expect(drift.stdout).toMatch(/port \*:8080\/tcp -> 192.168.88.11:80: missing: iptables -t nat -A NSLAB-DNAT-br01/);
  must(project.nslab(["repair", "lab-stack"], host), "nslab repair");
  must(project.nslab(["verify", "lab-stack"], host), "nslab verify after repair");
  expect(http(ext, `http://${HOST_ADDR}:8080/`)).toBe(`hello from ns01, you are ${EXT_ADDR}\n`);
  expect(ping("ns02", "192.168.88.11")).toBe(true);

  const t1 = Date.now();
  must(project.cdktf(["destroy", "lab-stack", "--auto-approve"], host), "cdktf destroy");
  const destroyMs = Date.now() - t1;
  for (const ns of ["ns01", "ns02"]) expect(existsSync(`/run/netns/${ns}`)).toBe(false);
  expect(hostState(host)).toEqual(before);
  expect(processesWith(WEB_MARK)).not.toContain(webPid); // the workload is stopped, no orphan
  expect(existsSync("/etc/netns/ns01")).toBe(false); // and the names files are gone
  process.stdout.write(`lab-stack wall time: deploy ${deployMs} ms, destroy ${destroyMs} ms\n`);
});

test("the synthesized cdk.tf.json applies and destroys with plain terraform", () => {
  const before = hostState(host);
  must(project.cdktf(["synth"], host), "cdktf synth");
  must(project.terraform(["init", "-input=false"], host), "terraform init");
  must(project.terraform(["apply", "-auto-approve", "-input=false"], host), "terraform apply");
  expect(ping("ns01", "192.168.88.12")).toBe(true);
  expect(must(project.terraform(["output", "-raw", "ns02_address"], host), "terraform output")).toBe("192.168.88.12");
  must(project.terraform(["destroy", "-auto-approve", "-input=false"], host), "terraform destroy");
  expect(hostState(host)).toEqual(before);
});
