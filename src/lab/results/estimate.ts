// A figure at the app's size, and how far it can be trusted: measured at that size, or,
// past the sizes measured, bounded with no fit at all and predicted where its growth fits.
//
// The bound rests on one rule that holds for every store here: no cost grows faster than
// the data. A request at N records costs at most N/L times what it cost at L, so a rate at
// N is at least the rate at L × L/N, and memory and start-up at N are at most their value at
// L × N/L. Nor does any store get faster, or smaller, with more records: the value at L is
// the best the app can see at N. So a requirement that the bound clears passes; one that
// fails even at the best edge (of the fit's band where a fit is usable, else of the value at
// L) fails; and only between the two is it unknown. A fit alone never passes anything.
//
// A measured value is a band, never a point: the repeats' spread, at least NOISE_MIN (the
// least noise these machines show), widened by its trend when its window was not steady.
import type { Results, Run } from "./bench.ts";
import { NOISE_MIN, type Shape } from "./growth.ts";
import { type GrowthRow, growthRows, METRICS, type Metric, predictRow } from "./growth-rows.ts";
import type { Workload } from "./load.ts";
import { bandAround, median } from "./stats.ts";
import type { Valid } from "./verdict.ts";

/** One measurement an estimate rests on: where, how long, and its band. */
export interface Measured {
  lab: "bench";
  records: number;
  /** The measured window of each cell, in seconds, and how many cells (repeats × workloads). */
  duration_s: number;
  cells: number;
  workload?: Workload;
  value: number;
  low: number;
  high: number;
  /** False when a cell's rate still moved while it was measured (results/steady.ts). */
  steady: boolean | null;
  /** A mixed rate derived from read and write cells by the rule, and the rule's error. */
  derived?: { share: number; error: number };
}

/** The fit a prediction came from. */
export interface FitFacts {
  shape: Shape;
  sizes: number[];
  /** How far the fit, made without its largest size, missed it. */
  held_out_error: number | null;
  band: number;
}

export interface Estimate {
  metric: Metric;
  /** The size the estimate is for. */
  records: number;
  /**
   * measured: at `records`. predicted: past the sizes measured, by a usable fit (and bounded).
   * bounded: past them (or below them) with no usable fit: the bound and the best edge only.
   */
  basis: "measured" | "predicted" | "bounded";
  /** The figure shown: measured, predicted, or (bounded) the best the app can see. */
  value: number;
  /** The band it is judged with. */
  low: number;
  high: number;
  /** Where `records` is not measured: the value no fit is needed for (see the header). */
  bound: number | null;
  /** The measurement it rests on: at `records`, else the nearest size measured. */
  from: Measured;
  fit: FitFacts | null;
}

/** Throughput is better higher; memory, start-up and disk are better lower. */
export const higherIsBetter = (metric: Metric) => "inverse" in METRICS[metric];

/** The runs of `approach` that `metric` reads at `records`. */
function rowsAt(bench: Results, approach: string, metric: Metric, records: number): Run[] {
  const workload = (METRICS[metric] as { workload?: Workload }).workload;
  return bench.runs.filter(
    (r) =>
      r.approach === approach &&
      r.records === records &&
      (workload === undefined || r.workload === workload),
  );
}

/**
 * The band of `metric` at one size: a workload's repeats around their median, or a store-wide
 * fact (memory, start-up, disk) over every cell, taking the largest as its figure (the worst
 * the app will see: the write cells hold the most records).
 */
function measuredAt(bench: Results, approach: string, metric: Metric, records: number) {
  const def = METRICS[metric];
  const rows = rowsAt(bench, approach, metric, records);
  const values = rows.flatMap((r) =>
    "workload" in def ? r.rps_samples : (def.of(r) ?? []) === undefined ? [] : [def.of(r) ?? 0],
  );
  const finite = values.filter((v) => Number.isFinite(v));
  if (!rows.length || !finite.length) return undefined;
  const value = "workload" in def ? median(finite) : Math.max(...finite);
  // No request finished in the window: the rate was under one request per window, not 0.
  const floor = "workload" in def ? 1 / Math.max(bench.load.duration_s, 1e-3) : 0;
  const moved = Math.max(
    0,
    ...rows.filter((r) => r.steady === false).map((r) => Math.abs(r.trend)),
  );
  const noise = Math.max(NOISE_MIN, moved);
  const band = bandAround(value, finite, noise);
  const steady = rows.some((r) => r.steady === false)
    ? false
    : rows.some((r) => r.steady === true)
      ? true
      : null;
  return {
    ...{ lab: "bench" as const, records, duration_s: bench.load.duration_s },
    cells: rows.reduce((n, r) => n + r.repeats, 0),
    ...("workload" in def ? { workload: def.workload } : {}),
    ...{ value, low: band.low, high: Math.max(band.high, value > 0 ? 0 : floor), steady },
    ...(rows[0]?.derived ? { derived: rows[0].derived } : {}),
  } satisfies Measured;
}

/** Each approach's figures at any size, from one bench run: its cells and its growth fits. */
export class Estimates {
  readonly bench: Results;
  readonly growth: GrowthRow[];

  constructor(bench: Results) {
    this.bench = bench;
    const sizes = new Set(bench.runs.map((r) => r.records));
    this.growth = sizes.size >= 3 ? growthRows(bench) : [];
  }

  /** The sizes `approach`'s `metric` was measured at, smallest first. */
  sizes(approach: string, metric: Metric): number[] {
    const def = METRICS[metric] as { workload?: Workload };
    const runs = this.bench.runs.filter(
      (r) => r.approach === approach && (!def.workload || r.workload === def.workload),
    );
    return [...new Set(runs.map((r) => r.records))].sort((a, b) => a - b);
  }

  /** The least `null` (the app on no storage) measured of `metric` at `records`, else 0. */
  private baseline(metric: Metric, records: number): number {
    const m = measuredAt(this.bench, "null", metric, records);
    return m ? Math.max(0, m.low) : 0;
  }

  row(approach: string, metric: Metric): GrowthRow | undefined {
    return this.growth.find((g) => g.approach === approach && g.metric === metric);
  }

  /** `metric` of `approach` at `records`; undefined where it was measured at no size. */
  get(approach: string, metric: Metric, records: number): Estimate | undefined {
    const sizes = this.sizes(approach, metric);
    const at = (n: number) => measuredAt(this.bench, approach, metric, n);
    if (sizes.includes(records)) {
      const m = at(records);
      return (
        m && { metric, records, basis: "measured", ...band(m), bound: null, from: m, fit: null }
      );
    }
    const above = sizes.find((n) => n > records);
    if (above !== undefined) {
      const m = at(above);
      return m && fromAbove(metric, records, m);
    }
    const largest = sizes.at(-1);
    const m = largest === undefined ? undefined : at(largest);
    return m && this.past(approach, metric, records, m);
  }

  /** Past the largest size measured: bounded always, predicted where the fit is usable. */
  private past(approach: string, metric: Metric, records: number, m: Measured): Estimate {
    const up = higherIsBetter(metric);
    const scale = m.records / records;
    // Memory and start-up scale only in the store's own part: the runtime's (`null`'s, the
    // app on no storage, at the same size) is there whatever the records.
    const runtime = up ? 0 : Math.min(m.high, this.baseline(metric, m.records));
    const bound = up ? m.low * scale : runtime + (m.high - runtime) / scale;
    const row = this.row(approach, metric);
    const p = row && predictRow(row, records);
    const fit = row?.fit && {
      ...{ shape: row.fit.shape, sizes: row.fit.sizes, band: row.fit.band },
      held_out_error: row.fit.held_out?.error ?? null,
    };
    const base = { metric, records, bound, from: m, fit: fit ?? null };
    if (!p) {
      // No usable fit: the best the app can see is the value at the largest size.
      return up
        ? { ...base, basis: "bounded", value: m.high, low: bound, high: m.high }
        : { ...base, basis: "bounded", value: m.low, low: m.low, high: bound };
    }
    // A prediction is never better than what was measured at a smaller size.
    return up
      ? { ...base, basis: "predicted", ...clamp(p, -Infinity, m.high) }
      : { ...base, basis: "predicted", ...clamp(p, m.low, Infinity) };
  }
}

const band = (m: Measured) => ({ value: m.value, low: m.low, high: m.high });

/** A prediction's value and band, kept within [least, most]. */
function clamp(p: { value: number; low: number; high: number }, least: number, most: number) {
  const c = (v: number) => Math.min(most, Math.max(least, v));
  return { value: c(p.value), low: c(p.low), high: c(p.high) };
}

/** Below the smallest size measured: no store is slower, or bigger, with fewer records. */
function fromAbove(metric: Metric, records: number, m: Measured): Estimate {
  const up = higherIsBetter(metric);
  const base = { metric, records, basis: "bounded" as const, from: m, fit: null };
  return up
    ? { ...base, value: m.low, low: m.low, high: Number.POSITIVE_INFINITY, bound: m.low }
    : { ...base, value: m.high, low: 0, high: m.high, bound: m.high };
}

/**
 * The verdict of `e` against `need` (a least rate, or a most memory or start-up): pass when
 * its sure edge (the band's worse side where measured, else the bound) meets the need; fail
 * when even its best edge does not; else unknown.
 */
export function judge(e: Estimate, need: number): Valid {
  const { sure, best, meets } = edges(e);
  if (meets(sure, need)) return "pass";
  if (!meets(best, need)) return "fail";
  return "unknown";
}

/** Sizes past this are not searched: far beyond any machine. */
export const RECORDS_SEARCH_MAX = 1e13;

/**
 * The least size from `from` at which `holds` stops holding, to within 1%; null when it
 * still holds at RECORDS_SEARCH_MAX. `holds` must hold at `from` and, once it fails, keep
 * failing at every larger size (every edge here only worsens with more records).
 */
export function sizeWhereFails(from: number, holds: (records: number) => boolean): number | null {
  if (holds(RECORDS_SEARCH_MAX)) return null;
  let lo = Math.log(Math.max(1, from));
  let hi = Math.log(RECORDS_SEARCH_MAX);
  while (hi - lo > 0.01) {
    const mid = (lo + hi) / 2;
    if (holds(Math.exp(mid))) lo = mid;
    else hi = mid;
  }
  return Math.exp(hi);
}

/** The sure, best and central values of `e`, for the need's side (see judge). */
export function edges(e: Estimate) {
  const up = higherIsBetter(e.metric);
  const worse = up ? e.low : e.high;
  return {
    sure: e.basis === "measured" ? worse : (e.bound ?? worse),
    best: up ? e.high : e.low,
    central: e.value,
    meets: (v: number, need: number) => (up ? v >= need : v <= need),
  };
}
