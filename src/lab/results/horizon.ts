// How long an approach holds an app whose data grows: the records at the end of the
// profile's horizon, and for each limit (memory, restart time, throughput) the size at
// which the approach reaches it, three ways: surely not before (estimate.ts's bound, no
// fit), by the fit's central prediction where one is usable, and at the earliest even on
// the best edge. Pure; a prediction is marked as one.
import { type Estimates, edges, sizeWhereFails } from "./estimate.ts";
import type { Metric } from "./growth-rows.ts";
import { type Profile, recordsPerDay, requiredPeakRps } from "./profile.ts";
import { RATE_OF, type RequirementId, workloadsOf } from "./requirements.ts";
import type { Valid } from "./verdict.ts";

/** One limit, and the sizes at which the approach reaches it; null: not within the search. */
export interface Reach {
  requirement: RequirementId;
  metric: Metric;
  need: number;
  /** Up to here the bound shows it holds. */
  sure_records: number | null;
  /** Here the fit's central prediction reaches it; undefined where no fit is usable. */
  predicted_records?: number | null;
  /** Even the best edge reaches it here. */
  best_records: number | null;
}

export interface Lasts {
  /** Over the horizon: pass when the bound holds it, fail when even the best edge does not. */
  valid: Valid;
  /** By the fit's central predictions: holds over the horizon; null where none predicts it. */
  predicted_to_hold: boolean | null;
  /** The first limit reached: by prediction where there is one, else by the bound. */
  first: Reach | null;
  /** Days until `first`: at least (by the bound), and as predicted. */
  days_sure: number | null;
  days_predicted: number | null;
  records_per_day: number;
  /** No records_per_day in the profile: one record per write is assumed. */
  assumed: boolean;
  horizon_days: number;
  horizon_records: number;
}

/**
 * The limits an approach reaches as its data grows, with what the app allows of each. A store
 * whose records live in a database server of its own has no memory or start-up of the app's
 * that they fill (the server's own is not measured here).
 */
function limitsOf(p: Profile, memoryMb: number, withRates: boolean, inProcess: boolean) {
  const peak = requiredPeakRps(p);
  const restart = p.restart_s_max * 1000;
  return [
    ...(inProcess
      ? [
          { requirement: "memory" as const, metric: "rss_mb" as Metric, need: memoryMb },
          { requirement: "restart" as const, metric: "startup_ms" as Metric, need: restart },
        ]
      : []),
    ...(withRates
      ? workloadsOf(p).map((w) => ({
          requirement: "capacity" as const,
          metric: RATE_OF[w],
          need: peak,
        }))
      : []),
  ];
}

function reach(
  est: Estimates,
  approach: string,
  records: number,
  l: Omit<Reach, "sure_records" | "best_records">,
): Reach | undefined {
  if (!est.get(approach, l.metric, records)) return undefined;
  const at = (n: number, side: "sure" | "best" | "central") => {
    const e = est.get(approach, l.metric, n);
    if (!e) return false;
    const x = edges(e);
    return x.meets(x[side], l.need);
  };
  const from = (side: "sure" | "best" | "central") =>
    at(records, side) ? sizeWhereFails(records, (n) => at(n, side)) : records;
  const fitted = est.get(approach, l.metric, records * 1e3)?.basis === "predicted";
  return {
    ...l,
    sure_records: from("sure"),
    ...(fitted ? { predicted_records: from("central") } : {}),
    best_records: from("best"),
  };
}

const past = (n: number | null | undefined, h: number) => n === null || (n !== undefined && n >= h);

/**
 * How long `approach` holds the app. `withRates`: throughput is a limit too (not where read
 * replicas carry the app, since a replica can be added).
 */
export function lastsOf(
  approach: string,
  p: Profile,
  est: Estimates,
  o: { memory_mb: number; withRates: boolean; inProcess: boolean; records_per_day?: number },
): Lasts {
  const perDay = o.records_per_day ?? recordsPerDay(p);
  const horizon = p.records + perDay * p.horizon_days;
  const reaches = limitsOf(p, o.memory_mb, o.withRates, o.inProcess).flatMap(
    (l) => reach(est, approach, p.records, l) ?? [],
  );
  const valid: Valid = reaches.every((r) => past(r.sure_records, horizon))
    ? "pass"
    : reaches.some((r) => !past(r.best_records, horizon))
      ? "fail"
      : "unknown";
  const predicted = reaches.filter((r) => r.predicted_records !== undefined);
  const by = (key: "sure_records" | "predicted_records", rs: Reach[]) =>
    rs.reduce<Reach | null>(
      (a, b) => ((b[key] ?? Infinity) < (a?.[key] ?? Infinity) ? b : a),
      null,
    );
  const first = by("predicted_records", predicted) ?? by("sure_records", reaches);
  const days = (n: number | null | undefined) =>
    n === null || n === undefined || perDay <= 0 ? null : Math.max(0, (n - p.records) / perDay);
  return {
    valid,
    predicted_to_hold:
      valid === "pass"
        ? true
        : predicted.length
          ? predicted.every((r) => past(r.predicted_records, horizon))
          : null,
    first,
    days_sure: days(by("sure_records", reaches)?.sure_records),
    days_predicted: predicted.length
      ? days(by("predicted_records", predicted)?.predicted_records)
      : null,
    records_per_day: perDay,
    assumed: p.records_per_day === undefined && o.records_per_day === undefined,
    horizon_days: p.horizon_days,
    horizon_records: horizon,
  };
}
