// "How each cost grows with the data": every approach's fitted growth for reads, writes,
// memory, start-up and the rest, with its held-out check, and charts of the measured points
// beside the fitted curves, carried past the largest size measured.
import type { Results } from "../results/bench.ts";
import {
  type GrowthRow,
  growthRows,
  METRICS,
  type Metric,
  predictRow,
} from "../results/growth-rows.ts";
import { PALETTE } from "./bench-charts.ts";
import { code, fixed, int, share, yesNo } from "./format.ts";
import { type Chart, charts, type Section, section, table, text } from "./model.ts";

/** The charts go this many times past the largest size measured. */
const CHART_REACH = 100;
const CHARTED: readonly Metric[] = ["read_rps", "write_rps", "rss_mb", "startup_ms"];

const SHAPE_WORDS = {
  flat: "flat",
  log: "logarithmic",
  linear: "linear",
  power: "power law",
} as const;

/** A fit in words, such as "linear, n^1.00" or "power law, n^0.62". */
function shapeOf(row: GrowthRow): string {
  const fit = row.fit;
  if (!fit) return "-";
  return fit.shape === "power"
    ? `${SHAPE_WORDS.power}, n^${fixed(fit.b, 2)}`
    : SHAPE_WORDS[fit.shape];
}

function predictionText(row: GrowthRow, n: number): string {
  const p = predictRow(row, n);
  if (!p) return "not predicted";
  const unit = METRICS[row.metric].unit;
  return `${int(p.value)} ${unit} (${int(p.low)} to ${int(p.high)})`;
}

function chartOf(
  rows: readonly GrowthRow[],
  metric: Metric,
  sizes: number[],
  i: number,
): Chart | undefined {
  const mine = rows.filter((r) => r.metric === metric && r.fit?.usable);
  if (!mine.length) return undefined;
  const largest = sizes.at(-1) as number;
  const labels = [...sizes, largest * 10, largest * CHART_REACH];
  const def = METRICS[metric];
  return {
    id: `chart-growth-${i}`,
    kind: "line",
    title: `${def.label} by records: measured (solid) and fitted (dashed)`,
    description: `${def.label} of each approach by the number of records, measured and fitted`,
    axis: `${def.unit} (log scale)`,
    labels: labels.map((n) => int(n)),
    series: mine.flatMap((row, k) => {
      const color = PALETTE[k % PALETTE.length] as string;
      const measured = labels.map((n) => row.points.find((p) => p.n === n)?.y ?? null);
      const fitted = labels.map((n) => predictRow(row, n)?.value ?? null);
      return [
        { label: row.approach, data: measured, color },
        { label: `${row.approach}, fitted`, data: fitted, color, line: true, dash: [6, 4] },
      ];
    }),
  };
}

export function growthSection(results: Results): Section | undefined {
  const sizes = [...new Set(results.runs.map((r) => r.records))].sort((a, b) => a - b);
  if (sizes.length < 3) return undefined;
  const rows = growthRows(results).filter((r) => r.fit);
  const ahead = (sizes.at(-1) as number) * 10;
  return section("How each cost grows with the data", [
    text(
      `Each cost is fitted against the number of records over the ${sizes.length} sizes measured (${sizes.map(int).join(", ")}): flat, logarithmic, linear, or a power law where none of those fits within the measurements' noise. Throughput is fitted as the time one request takes. Each fit is then made again without the largest size and must predict it within its band; one that misses by more is marked and not used to predict. Predictions are predictions: the last column carries each usable fit to ${int(ahead)} records, ten times the largest size measured.`,
    ),
    ...charts(CHARTED.flatMap((m, i) => chartOf(rows, m, sizes, i) ?? [])),
    table(
      [
        "approach",
        "cost",
        "shape",
        "band",
        "held-out error",
        "usable",
        `predicted at ${int(ahead)}`,
      ],
      rows.map((r) => [
        code(r.approach),
        METRICS[r.metric].label,
        shapeOf(r),
        `±${share(r.fit?.band ?? 0)}`,
        r.fit?.held_out ? `${share(r.fit.held_out.error)} at ${int(r.fit.held_out.n)}` : "-",
        yesNo(Boolean(r.fit?.usable)),
        predictionText(r, ahead),
      ]),
    ),
  ]);
}
