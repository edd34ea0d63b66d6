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

const num = (n: number | null, digits = 0) =>
  n === null ? "-" : n.toLocaleString("en", { maximumFractionDigits: digits });

export function formatComparison(changes: readonly CellChange[]): string {
  const rows = changes.map((c) => [
    c.approach,
    c.workload,
    num(c.records),
    num(c.old_rps),
    num(c.new_rps),
    c.rps_change_percent === null
      ? "-"
      : `${c.rps_change_percent > 0 ? "+" : ""}${c.rps_change_percent.toFixed(1)}%`,
    `${num(c.old_p99_ms, 2)} -> ${num(c.new_p99_ms, 2)}`,
    c.verdict,
  ]);
  const header = [
    "approach",
    "workload",
    "records",
    "old req/s",
    "new req/s",
    "change",
    "p99 ms",
    "verdict",
  ];
  const widths = header.map((h, i) =>
    Math.max(h.length, ...rows.map((r) => (r[i] as string).length)),
  );
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] as number)).join("  ");
  const slower = changes.filter((c) => c.verdict === "slower").length;
  return [
    line(header),
    ...rows.map(line),
    "",
    `${slower} cell(s) slower by ${NOISE_PERCENT}% or more. On a shared machine, rerun a slower cell before calling it a regression.`,
    "",
  ].join("\n");
}
