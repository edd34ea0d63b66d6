// Each approach's costs against the number of records, from a bench run over a ladder of
// sizes, fitted (growth.ts) and ready to predict at a size the ladder never reached.
import type { Results, Run } from "./bench.ts";
import {
  type Fit,
  fitGrowth,
  NOISE_MIN,
  type Point,
  type Prediction,
  predict,
  type Shape,
} from "./growth.ts";
import type { Workload } from "./load.ts";
import { median } from "./stats.ts";

/** A cost, read off the bench's rows at each size. */
export interface MetricDef {
  label: string;
  unit: string;
  /** The value of one row, or undefined where it was not measured. */
  of(run: Run): number | undefined;
  /** Which rows: one workload's, or every workload's (their median) for the store's own facts. */
  workload?: Workload;
  /**
   * The size a row's value belongs to, where it is not the seeded records: memory is
   * measured at the end of a cell, holding every record its writes added as well.
   */
  at?(run: Run): number | undefined;
  /**
   * Throughput is fitted as its inverse, the time one request takes, which is what grows
   * (flat for a Map, logarithmic for a B-tree, linear for a scan); it is shown as req/s.
   */
  inverse?: boolean;
  /** The shapes it may take, where not every one is possible (growth.ts SHAPES by default). */
  shapes?: readonly Shape[];
}

/**
 * What holds records, in memory or on disk, is a fixed part plus a part per record: flat or
 * linear. A logarithm or a power law fitted to it is the garbage collector's noise at small
 * sizes, where the fixed part (the runtime's own heap) is most of it, and it would predict
 * far too little at a size ten times past the ladder.
 */
const HOLDS_RECORDS: readonly Shape[] = ["flat", "linear"];

export const METRICS = {
  read_rps: { label: "reads", unit: "req/s", of: (r) => r.rps, workload: "read", inverse: true },
  write_rps: { label: "writes", unit: "req/s", of: (r) => r.rps, workload: "write", inverse: true },
  mixed_rps: { label: "mixed", unit: "req/s", of: (r) => r.rps, workload: "mixed", inverse: true },
  by_email_rps: {
    ...{ label: "lookups by email", unit: "req/s", of: (r) => r.rps },
    ...{ workload: "by-email", inverse: true },
  },
  user_orders_rps: {
    ...{ label: "the join", unit: "req/s", of: (r) => r.rps },
    ...{ workload: "user-orders", inverse: true },
  },
  read_p99_ms: { label: "read p99", unit: "ms", of: (r) => r.latency_ms.p99, workload: "read" },
  read_cpu_us: {
    ...{ label: "server CPU per read", unit: "µs" },
    ...{ of: (r) => r.cpu_us_per_request ?? undefined, workload: "read" },
  },
  // The store's own memory: RssAnon where measured (an engine's mapped file pages are the
  // kernel's to drop, not memory the store needs), else the peak RSS.
  rss_mb: {
    ...{ label: "memory", unit: "MB", of: (r) => r.anon_mb ?? r.rss_mb },
    at: (r) => r.records_held ?? undefined,
    shapes: HOLDS_RECORDS,
  },
  startup_ms: { label: "start-up", unit: "ms", of: (r) => r.startup_ms },
  disk_mb: {
    ...{ label: "on disk", unit: "MB" },
    of: (r) => (r.disk_bytes == null ? undefined : r.disk_bytes / 2 ** 20),
    shapes: HOLDS_RECORDS,
  },
} satisfies Record<string, MetricDef>;
export type Metric = keyof typeof METRICS;

export interface GrowthRow {
  approach: string;
  metric: Metric;
  /** The measured values, by size (as shown: req/s for throughput). */
  points: Point[];
  /** Fitted on the cost (for throughput, seconds per request). */
  fit: Fit | undefined;
}

/** The rows of `approach` that `def` reads, by size: one value per size (a median). */
function pointsOf(results: Results, approach: string, def: MetricDef): Point[] {
  const bySize = new Map<number, { values: number[]; spreads: number[] }>();
  for (const run of results.runs) {
    if (run.approach !== approach || (def.workload && run.workload !== def.workload)) continue;
    const v = def.of(run);
    if (v === undefined || !Number.isFinite(v)) continue;
    const held = def.at?.(run);
    const n = held !== undefined && held > 0 ? held : run.records;
    const at = bySize.get(n) ?? { values: [], spreads: [] };
    at.values.push(v);
    if (run.spread !== null) at.spreads.push(run.spread);
    bySize.set(n, at);
  }
  return [...bySize].map(([n, at]) => ({ n, y: median(at.values) })).sort((a, b) => a.n - b.n);
}

/** The noise the fit allows: the median spread over repeats of the rows it reads. */
function noiseOf(results: Results, approach: string, def: MetricDef): number {
  const spreads = results.runs
    .filter((r) => r.approach === approach && (!def.workload || r.workload === def.workload))
    .flatMap((r) => (r.spread === null ? [] : [r.spread]));
  return Math.max(NOISE_MIN, spreads.length ? median(spreads) : 0);
}

export function growthRows(results: Results): GrowthRow[] {
  const approaches = results.settings.approaches.filter((a) =>
    results.runs.some((r) => r.approach === a),
  );
  return approaches.flatMap((approach) =>
    (Object.keys(METRICS) as Metric[]).flatMap((metric) => {
      const def: MetricDef = METRICS[metric];
      const points = pointsOf(results, approach, def);
      if (points.length === 0) return [];
      const cost = points.map((p) => ({ n: p.n, y: def.inverse ? 1 / p.y : p.y }));
      const fit = fitGrowth(cost, noiseOf(results, approach, def), (def as MetricDef).shapes);
      return [{ approach, metric, points, fit }];
    }),
  );
}

/** A row's prediction at `n` in its shown unit (req/s for throughput), or undefined if unusable. */
export function predictRow(row: GrowthRow, n: number): Prediction | undefined {
  if (!row.fit?.usable) return undefined;
  const p = predict(row.fit, n);
  if (!(METRICS[row.metric] as MetricDef).inverse) return p;
  // A cost's band inverted: the lowest cost is the highest rate.
  return { value: 1 / p.value, low: 1 / p.high, high: 1 / Math.max(p.low, Number.MIN_VALUE) };
}
