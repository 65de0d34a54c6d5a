// Processes as /proc shows them: what tells a process we started from one that was given
// its pid since.
import { readFileSync } from "node:fs";

/** Start time of a live process in clock ticks since boot (field 22 of /proc/<pid>/stat), or null (gone, or a zombie). */
export function startTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return fields[0] === "Z" || fields[0] === "X" ? null : (fields[19] ?? null);
  } catch {
    return null;
  }
}
