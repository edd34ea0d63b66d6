// The benchmark report's charts: reads by dataset size, writes against the ceilings, and
// the latency percentiles of both, at the largest dataset.
import type { Analysis } from "../results/analysis.ts";
import type { Results, Run } from "../results/bench.ts";
import { int } from "./format.ts";
import type { Chart, Series } from "./model.ts";

/** The series colours every report chart takes in turn. */
export const PALETTE = [
  "#2563eb",
  "#dc2626",
  "#16a34a",
  "#9333ea",
  "#ea580c",
  "#0891b2",
  "#64748b",
  "#ca8a04",
  "#db2777",
  "#4d7c0f",
];
const INK = "#111827";
const GREY = "#9ca3af";
const LOG_RPS = "requests/s (log scale)";

function latencyChart(id: string, what: string, series: Series[]): Chart | undefined {
  return series.length
    ? {
        id,
        kind: "line",
        title: `Latency percentiles, ${what}, largest dataset`,
        description: `${what} latency percentiles`,
        axis: "latency, ms (log scale)",
        labels: ["p50", "p90", "p99", "p99.9"],
        series,
      }
    : undefined;
}

/** The run's cells at the largest size, and each approach's colour. */
function lookup(results: Results, a: Analysis) {
  const color = (approach: string) =>
    PALETTE[results.settings.approaches.indexOf(approach) % PALETTE.length] as string;
  const at = (approach: string, workload: string): Run | undefined =>
    results.runs.find(
      (r) => r.approach === approach && r.workload === workload && r.records === a.largest,
    );
  return { color, at };
}

function readsChart(a: Analysis): Chart | undefined {
  if (!a.reads.length) return undefined;
  return {
    id: "chart-reads",
    kind: "bar",
    title: "GET /users/:id throughput by dataset size",
    description: "Read throughput by approach and dataset size",
    axis: LOG_RPS,
    labels: a.reads.map((r) => r.approach),
    series: a.sizes.map((size, i) => ({
      label: `${int(size)} records`,
      color: PALETTE[i % PALETTE.length] as string,
      data: a.reads.map((r) => r.rps_by_size[i] ?? null),
    })),
  };
}

function writesChart(results: Results, a: Analysis): Chart | undefined {
  const { at } = lookup(results, a);
  const writers = a.reads.map((r) => r.approach).filter((approach) => at(approach, "write"));
  if (!writers.length) return undefined;
  const flat = (v: number) => writers.map(() => v);
  const nullWrites = at("null", "write")?.rps;
  return {
    id: "chart-writes",
    kind: "bar",
    title: "Write paths against the fsync ceiling",
    description: "Write throughput against the fsync ceiling",
    axis: LOG_RPS,
    labels: writers,
    series: [
      {
        label: "POST /users req/s",
        data: writers.map((w) => at(w, "write")?.rps ?? null),
        color: PALETTE[0] as string,
      },
      {
        label: "fsync ceiling",
        data: flat(results.fsync_ceiling_rps),
        color: INK,
        line: true,
        dash: [6, 4],
      },
      ...(nullWrites
        ? [
            {
              label: "HTTP ceiling (null)",
              data: flat(nullWrites),
              color: GREY,
              line: true,
              dash: [2, 3],
            },
          ]
        : []),
    ],
  };
}

function lookupsChart(a: Analysis): Chart | undefined {
  const rows = a.lookups.filter(
    (l) => l.by_email_rps.at(-1) != null || l.user_orders_rps.at(-1) != null,
  );
  if (!rows.length) return undefined;
  return {
    id: "chart-lookups",
    kind: "bar",
    title: "Lookups by email and the join, largest dataset",
    description: "Requests per second of lookups by email and of a user's orders, by approach",
    axis: LOG_RPS,
    labels: rows.map((l) => l.approach),
    series: [
      {
        label: "GET /users?email=",
        data: rows.map((l) => l.by_email_rps.at(-1) ?? null),
        color: PALETTE[0] as string,
      },
      {
        label: "GET /users/:id/orders",
        data: rows.map((l) => l.user_orders_rps.at(-1) ?? null),
        color: PALETTE[1] as string,
      },
    ],
  };
}

export function benchCharts(results: Results, a: Analysis) {
  const { color, at } = lookup(results, a);
  const percentiles = (workload: string): Series[] =>
    a.reads.flatMap(({ approach }) => {
      const l = at(approach, workload)?.latency_ms;
      return l
        ? [{ label: approach, color: color(approach), data: [l.p50, l.p90, l.p99, l.p999] }]
        : [];
    });
  return {
    reads: readsChart(a),
    readLatency: latencyChart("chart-read-latency", "reads", percentiles("read")),
    writes: writesChart(results, a),
    writeLatency: latencyChart("chart-write-latency", "writes", percentiles("write")),
    lookups: lookupsChart(a),
  };
}
