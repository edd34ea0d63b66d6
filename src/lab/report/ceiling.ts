// Two views of what the harness itself sets: the runtime's own ceiling (our app on no
// storage beside a bare node:http server), and the per-second series of every cell whose
// rate had not settled, drawn so a reader can see what its figure is a point on.
import type { Results, Sample } from "../results/bench.ts";
import { ceilingRows, unsteadySamples } from "../results/ceiling.ts";
import { TREND_MATERIAL, WARMUP_TOLERANCE } from "../results/steady.ts";
import { code, fixed, int, share, times, us } from "./format.ts";
import { type Chart, charts, type Section, section, table, text } from "./model.ts";

export function ceilingSection(results: Results): Section | undefined {
  const rows = ceilingRows(results);
  if (!rows.length) return undefined;
  return section("The runtime's own ceiling: Node, srvx and the app", [
    text(
      "`node:http` is a bare Node server that answers the same bytes as `null` (one fixed user for a read; the new user, 201, for a write) with nothing else: no srvx, no routes, no validation. `null` is our whole app on no storage. Measured in the same run, beside each other. The CPU columns are the server's CPU per answer, whatever share of the 2 cores the load generator took.",
    ),
    table(
      [
        ...["workload", "records", "node:http req/s", "null req/s", "null × node:http"],
        ...["node:http µs/req", "null µs/req", "added by srvx and the app, µs/req"],
      ],
      rows.map((r) => [
        r.workload,
        int(r.records),
        int(r.node_rps),
        int(r.null_rps),
        times(r.ratio),
        us(r.node_us),
        us(r.null_us),
        us(r.added_us),
      ]),
    ),
  ]);
}

/** One cell's rate through its warm-up and its window, one point per sample. */
function seriesChart(s: Sample, i: number): Chart {
  const { interval_ms, warmup_rps, window_rps } = s.series;
  const n = warmup_rps.length + window_rps.length;
  const labels = Array.from(
    { length: n },
    (_, k) => `${fixed(((k + 1) * interval_ms) / 1000, 2)} s`,
  );
  const name = `${s.approach} ${s.workload} at ${int(s.records)} records, repeat ${s.repeat}`;
  return {
    id: `chart-unsteady-${i}`,
    kind: "line",
    title: `Not steady: ${name}`,
    description: `${name}: answers per second through the warm-up and the measured window`,
    axis: "answers/s (log scale)",
    labels,
    series: [
      {
        label: `warm-up (${fixed(s.warmup_s)} s${s.warmup_settled ? "" : ", hit its cap"})`,
        color: "#9ca3af",
        data: [...warmup_rps, ...window_rps.map(() => null)],
      },
      {
        label: `measured window (trend ${share(s.trend)})`,
        color: "#dc2626",
        data: [...warmup_rps.map(() => null), ...window_rps],
      },
    ],
  };
}

export function unsteadySection(results: Results): Section | undefined {
  const unsteady = unsteadySamples(results);
  if (!unsteady.length) return undefined;
  return section("Cells that had not settled", [
    text(
      `In these cells the measured window's rate still moved beyond its noise: a straight line through its samples changed by more than ${share(TREND_MATERIAL)} across the window, more than their scatter explains (a t-test on the slope, 95%). Their req/s is a point on a moving curve, not the store's steady rate. The warm-up ran until the rate of the last ${results.load.warmup_compare_ms ?? 500} ms was within ${share(WARMUP_TOLERANCE)} of the ${results.load.warmup_compare_ms ?? 500} ms before it, at least ${results.load.warmup_s} s and at most ${results.load.warmup_max_s} s.`,
    ),
    table(
      ["approach", "workload", "records", "repeat", "warm-up s", "window trend", "noise"],
      unsteady.map((s) => [
        code(s.approach),
        s.workload,
        int(s.records),
        String(s.repeat),
        fixed(s.warmup_s),
        share(s.trend),
        share(s.noise),
      ]),
    ),
    ...charts(unsteady.map(seriesChart)),
  ]);
}
