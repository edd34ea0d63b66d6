// The figures a decision reads for one approach at the app's size: measured where the bench
// ran that size, predicted from the bench's ladder of sizes where it did not (growth.ts),
// and marked as a prediction, with its band and held-out error, wherever it is one.
import type { Results, Run } from "./bench.ts";
import {
  type GrowthRow,
  growthRows,
  METRICS,
  type Metric,
  type MetricDef,
  predictRow,
} from "./growth-rows.ts";

/** A figure, and what it rests on: a measurement, or a prediction said in full. */
export interface Figure {
  value: number;
  /** "measured at 100,000 records", or "predicted 31,000 ± 4,000 req/s at 40,000,000 records from 4 sizes, held-out error 6%". */
  source: string;
  predicted: boolean;
}

const fmt = (n: number) => Math.round(n).toLocaleString("en");

export class Figures {
  private readonly bench: Results;
  /** The size the figures are for. */
  readonly records: number;
  /** True when the bench did not run `records`, so figures are predicted. */
  readonly predicted: boolean;
  /** The largest size the bench measured. */
  readonly largest: number;
  readonly growth: GrowthRow[];

  constructor(bench: Results, records: number) {
    this.bench = bench;
    this.records = records;
    const sizes = new Set(bench.runs.map((r) => r.records));
    this.predicted = !sizes.has(records);
    this.largest = Math.max(0, ...sizes);
    this.growth = sizes.size >= 3 ? growthRows(bench) : [];
  }

  /** The measured rows at `records` (the profile's size by default) of `approach` that `metric` reads. */
  private rows(approach: string, metric: Metric, records = this.records): Run[] {
    const workload = (METRICS[metric] as { workload?: string }).workload;
    return this.bench.runs.filter(
      (r) =>
        r.approach === approach &&
        r.records === records &&
        (workload === undefined || r.workload === workload),
    );
  }

  row(approach: string, metric: Metric): GrowthRow | undefined {
    return this.growth.find((g) => g.approach === approach && g.metric === metric);
  }

  /** `metric` as measured at the largest size, where it was: a bound past it (no store gets faster with more records). */
  atLargest(approach: string, metric: Metric): number | undefined {
    const def: MetricDef = METRICS[metric];
    const values = this.rows(approach, metric, this.largest).flatMap((r) => def.of(r) ?? []);
    return values.length ? Math.min(...values) : undefined;
  }

  /**
   * The figure, or why there is none. Store-wide facts (memory, start-up, disk) take the
   * largest value over the workloads measured, as the worst the app will see.
   */
  get(approach: string, metric: Metric): Figure | { missing: string } {
    const def = METRICS[metric];
    if (!this.predicted) {
      const values = this.rows(approach, metric).flatMap((r) => {
        const v = def.of(r);
        return v === undefined ? [] : [v];
      });
      if (!values.length)
        return { missing: `${def.label} not measured at ${fmt(this.records)} records` };
      const value = "workload" in def ? (values[0] as number) : Math.max(...values);
      return { value, source: `measured at ${fmt(this.records)} records`, predicted: false };
    }
    return this.predict(approach, metric);
  }

  private predict(approach: string, metric: Metric): Figure | { missing: string } {
    const def: MetricDef = METRICS[metric];
    const row = this.row(approach, metric);
    const largest = this.largest;
    // No request finished in the window at the largest size: a store does not get faster
    // with more records, so it is no faster at the profile's size either.
    if (def.inverse && this.atLargest(approach, metric) === 0)
      return {
        value: 0,
        source: `no request finished in its measured window at ${fmt(largest)} records, so none faster at ${fmt(this.records)}`,
        predicted: true,
      };
    if (!row?.fit)
      return {
        missing: `${def.label} not measured past ${fmt(largest)} records, and no growth to predict from`,
      };
    const held = row.fit.held_out;
    const heldText = held
      ? `held-out error ${Math.round(held.error * 100)}% at ${fmt(held.n)}`
      : "no held-out check";
    const p = predictRow(row, this.records);
    if (!p)
      return {
        missing: `${def.label} could not be predicted at ${fmt(this.records)} records: its fit missed its own held-out point (${heldText}, band ±${Math.round(row.fit.band * 100)}%)`,
      };
    const plusMinus = (p.high - p.low) / 2;
    return {
      value: p.value,
      source: `predicted ${fmt(p.value)} ± ${fmt(plusMinus)} ${def.unit} at ${fmt(this.records)} records from ${row.fit.sizes.length} sizes, ${heldText}`,
      predicted: true,
    };
  }
}
