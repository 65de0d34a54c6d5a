// The runner's pure tier through the exec seam: a fake executor installed and a ledger
// folder of the test's own, around each test, and the runner's lines kept off the output.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FakeExec } from "./fake-exec";

export function fakeMachine(): { readonly fake: FakeExec; readonly state: string } {
  const now = { fake: new FakeExec(), state: "" };
  beforeEach(() => {
    now.state = mkdtempSync(join(tmpdir(), "nslab-unit-"));
    process.env.NSLAB_STATE_DIR = now.state;
    process.env.NSLAB_RECORD_DIR = join(now.state, "labs");
    now.fake = new FakeExec();
    now.fake.install();
    jest.spyOn(process.stdout, "write").mockImplementation(() => true);
  });
  afterEach(() => {
    now.fake.uninstall();
    rmSync(now.state, { recursive: true, force: true });
    delete process.env.NSLAB_STATE_DIR;
    delete process.env.NSLAB_RECORD_DIR;
    jest.restoreAllMocks();
  });
  return {
    get fake() {
      return now.fake;
    },
    get state() {
      return now.state;
    },
  };
}
