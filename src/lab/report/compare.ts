// `npm run bench -- --compare`: the change per cell between two runs, as a plain table.
import { type CellChange, NOISE_PERCENT } from "../results/compare.ts";
import { fixed, int, ms } from "./format.ts";

export function formatComparison(changes: readonly CellChange[]): string {
  const rows = changes.map((c) => [
    c.approach,
    c.workload,
    int(c.records),
    int(c.old_rps),
    int(c.new_rps),
    c.rps_change_percent === null
      ? "-"
      : `${c.rps_change_percent > 0 ? "+" : ""}${fixed(c.rps_change_percent)}%`,
    `${ms(c.old_p99_ms)} -> ${ms(c.new_p99_ms)}`,
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
