// --compare: the change per cell between two runs, for catching regressions. On a shared
// machine a few percent either way is noise; the report says so rather than hiding it.
import type { Run } from "./bench.ts";
import { cellKey } from "./summary.ts";

/** Changes smaller than this are reported as within noise. */
export const NOISE_PERCENT = 10;

export interface CellChange {
  key: string;
  approach: string;
  workload: string;
  records: number;
  old_rps: number | null;
  new_rps: number | null;
  rps_change_percent: number | null;
  old_p99_ms: number | null;
  new_p99_ms: number | null;
  verdict: "faster" | "slower" | "same" | "new" | "gone";
}

export function compareRuns(old: readonly Run[], now: readonly Run[]): CellChange[] {
  const before = new Map(old.map((r) => [cellKey(r), r]));
  const after = new Map(now.map((r) => [cellKey(r), r]));
  const keys = [...new Set([...after.keys(), ...before.keys()])];
  return keys.map((key) => {
    const a = before.get(key);
    const b = after.get(key);
    const ref = (b ?? a) as Run;
    const change = a && b && a.rps > 0 ? ((b.rps - a.rps) / a.rps) * 100 : null;
    const verdict = !a
      ? "new"
      : !b
        ? "gone"
        : change === null || Math.abs(change) < NOISE_PERCENT
          ? "same"
          : change > 0
            ? "faster"
            : "slower";
    return {
      key,
      approach: ref.approach,
      workload: ref.workload,
      records: ref.records,
      old_rps: a?.rps ?? null,
      new_rps: b?.rps ?? null,
      rps_change_percent: change,
      old_p99_ms: a?.latency_ms.p99 ?? null,
      new_p99_ms: b?.latency_ms.p99 ?? null,
      verdict,
    };
  });
}
