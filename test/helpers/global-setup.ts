// One temporary folder per test run (removed by global-teardown.ts): cdktf's Testing.app()
// and fullSynth() make a folder under os.tmpdir() per call and never remove it, thousands
// per run. Set before the workers start, so they (and what they spawn) inherit TMPDIR.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export default function setup(): void {
  process.env.TMPDIR = mkdtempSync(join(tmpdir(), "nslab-jest-"));
}
