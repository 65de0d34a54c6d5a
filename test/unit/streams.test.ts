// Pure tier: Terraform's and OpenTofu's -json streams read the same. The *.terraform.jsonl
// fixtures were recorded from Terraform 1.11.4 (`NSLAB_TERRAFORM=<a wrapper that tees
// them>`) on a deploy, a diff that replaces the whole lab, and a destroy of a two-endpoint
// lab; the *.tofu.jsonl ones are the same runs shaped as OpenTofu's source writes them
// (internal/command/views/json_view.go and json/change_summary.go): @module tofu.ui, the
// version in `tofu`, <>& unescaped, `forget` in the change summary. OpenTofu itself is not
// installable on these machines (neither Debian's nor npm's packages have it).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Progress } from "../../cli/progress";
import type { TfMessage } from "../../cli/terraform";
import { terraformBinary } from "../../model/terraform-binary";

const DIR = join(__dirname, "..", "fixtures", "streams");
const RESOURCES = JSON.parse(readFileSync(join(DIR, "resources.json"), "utf8")).resources;

/** A recorded stream through Progress, the way `nslab deploy` reads it line by line. */
function read(run: string, engine: "terraform" | "tofu") {
  const lines: string[] = [];
  const p = new Progress(RESOURCES, false, (l) => lines.push(l.replace(/\d+\.\d\d s$/, "<s>")));
  const text = readFileSync(join(DIR, `${run}.${engine}.jsonl`), "utf8");
  for (const line of text.split("\n")) if (line.startsWith("{")) p.onMessage(JSON.parse(line) as TfMessage);
  const { forget, ...summary } = p.terraformChanges ?? ({} as NonNullable<Progress["terraformChanges"]>);
  return {
    tool: p.tool,
    forget,
    read: {
      lines,
      counts: p.counts(),
      changes: p.changes.map((c) => `${c.action} ${c.label}`),
      converged: p.converged,
      diagnostics: p.diagnostics,
      summary,
    },
  };
}

describe.each(["deploy", "diff", "destroy"])("the %s stream", (run) => {
  it("reads the same from OpenTofu as from Terraform, each named by its version message", () => {
    const terraform = read(run, "terraform");
    const tofu = read(run, "tofu");
    expect(terraform.tool).toBe("terraform");
    expect(tofu.tool).toBe("tofu");
    expect(tofu.forget).toBe(0);
    expect(tofu.read).toEqual(terraform.read);
  });
});

test("what the recorded runs say: 4 objects created, 4 to replace, 4 destroyed, the converge's word", () => {
  const deploy = read("deploy", "tofu").read;
  expect(deploy.counts).toMatchObject({ created: 4, destroyed: 0 });
  expect(deploy.converged).toEqual(["this machine: all 4 objects as declared"]);
  expect(deploy.lines).toContain("  + endpoint u1a                                 <s>");
  expect(read("diff", "tofu").read.changes.sort()).toEqual(
    ["replace bridge nl-net", "replace endpoint u1a", "replace endpoint u1b", "replace names"].sort(),
  );
  expect(read("destroy", "tofu").read.counts).toMatchObject({ created: 0, destroyed: 4 });
});

test("the Terraform run: NSLAB_TERRAFORM, else the cdktf and cdktn CLIs' TERRAFORM_BINARY_NAME, else terraform", () => {
  expect(terraformBinary({})).toBe("terraform");
  expect(terraformBinary({ TERRAFORM_BINARY_NAME: "tofu" })).toBe("tofu");
  expect(terraformBinary({ TERRAFORM_BINARY_NAME: "tofu", NSLAB_TERRAFORM: "/opt/tf/wrap" })).toBe("/opt/tf/wrap");
  expect(terraformBinary({ NSLAB_TERRAFORM: "" })).toBe("terraform");
});
