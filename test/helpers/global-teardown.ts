// Removes the test run's temporary folder (global-setup.ts), and only that.
import { rmSync } from "node:fs";

export default function teardown(): void {
  const dir = process.env.TMPDIR;
  if (dir && /\/nslab-jest-[^/]+$/.test(dir)) rmSync(dir, { recursive: true, force: true });
}
