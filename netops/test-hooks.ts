// Test hooks, for the crash and rollback tests: fail (with rollback) or die (SIGKILL, no
// rollback) after the runner's k-th kernel step (NSLAB_FAIL_AFTER_STEP,
// NSLAB_KILL_AFTER_STEP). With NSLAB_HOOK_KEY they hit only the runner working on the
// object of that key (one resource of a deploy). Unset, nothing is installed.
import { onStepDone, StepError } from "./exec";

function envInt(name: string): number | undefined {
  const v = process.env[name];
  return v === undefined || v === "" ? undefined : Number(v);
}

/** Install the hooks the environment asks for, if this runner works on the hooked object. */
export function armTestHooks(keys: readonly string[]): void {
  const failAfter = envInt("NSLAB_FAIL_AFTER_STEP");
  const killAfter = envInt("NSLAB_KILL_AFTER_STEP");
  const only = process.env.NSLAB_HOOK_KEY;
  if ((failAfter === undefined && killAfter === undefined) || (only && !keys.includes(only))) return;
  let done = 0;
  onStepDone((step) => {
    done++;
    if (killAfter !== undefined && done >= killAfter) process.kill(process.pid, "SIGKILL");
    if (failAfter !== undefined && done >= failAfter)
      throw new StepError(step, `injected failure after step ${done} (NSLAB_FAIL_AFTER_STEP)`);
  });
}
