import { projectCopy } from "../test/helpers/project";
import { addHost, delNs } from "../test/helpers/sandbox";
import { join } from "node:path";
const n = Number(process.argv[2] ?? 200);
const p = projectCopy();
const host = "nlexp";
delNs(host); addHost(host);
p.useLab([{ id: "Net", props: { subnet: "10.90.0.0/21", bridgeName: "bnbr" }, endpoints: Array.from({ length: n }, (_, i) => ({ id: `E${i + 1}`, props: { netns: `bn-e${i + 1}` }, ports: [{ id: "P", props: { hostPort: 20000 + i, containerPort: 80 } }] })) }] as any);
const T = (what: string, f: () => any) => { const t = Date.now(); const r = f(); console.log(what.padEnd(30), Date.now() - t, "ms", r.code); if (r.code) console.log(r.stdout.slice(-2000), r.stderr.slice(-2000)); return r; };
const env = { CDKTF_LOG_LEVEL: "debug" };
T("cdktf synth", () => p.cdktf(["synth"], host));

const d = T("cdktf deploy --skip-synth", () => p.cdktf(["deploy", "lab-stack", "--auto-approve", "--skip-synth"], host, env));
require("fs").writeFileSync("/tmp/deploy-debug.log", d.stdout + d.stderr);
T("cdktf destroy --skip-synth", () => p.cdktf(["destroy", "lab-stack", "--auto-approve", "--skip-synth"], host));


delNs(host); p.remove();
