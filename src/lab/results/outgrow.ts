// How long an approach holds an app whose data grows: every write in the API creates a
// record, so the records grow by the app's writes per day, and each approach's fitted growth
// (growth-rows.ts) says at what size it reaches its first limit: memory, restart time or
// throughput. Pure; a prediction, and said to be one.
import type { Figures } from "./figures.ts";
import { type GrowthRow, predictRow } from "./growth-rows.ts";
import type { Profile } from "./profile.ts";

export interface Outgrow {
  approach: string;
  /** Days until the first limit; null when no limit is reached, or it cannot be told. */
  days: number | null;
  /** Which limit, and at what size; or why it cannot be told. */
  limit: string;
}

export interface Limits {
  memory_mb: number;
  restart_ms: number;
  /** The app's peak, in requests/s, and the throughput figures that must carry it. */
  peak_rps: number;
  rates: readonly string[];
}

/** Sizes past this are not searched: far beyond any machine. */
const RECORDS_SEARCH_MAX = 1e13;
const STEP = 1.05;
const fmt = (n: number) => Math.round(n).toLocaleString("en");

/** Records the app adds a day: each write creates one. */
export const recordsPerDay = (p: Profile) =>
  p.daily_active_users * p.requests_per_user * p.write_share;

/** The least size from `from` at which `row`'s prediction meets `reached`, or null. */
function sizeWhere(row: GrowthRow | undefined, from: number, reached: (v: number) => boolean) {
  if (!row?.fit?.usable) return undefined;
  for (let n = Math.max(1, from); n <= RECORDS_SEARCH_MAX; n *= STEP) {
    const p = predictRow(row, n);
    if (p && reached(p.value)) return n;
  }
  return null;
}

/** "about 9 days", "about 5 months", "about 4 years". */
export function inWords(days: number): string {
  if (days < 60)
    return `about ${Math.max(1, Math.round(days))} day${Math.round(days) === 1 ? "" : "s"}`;
  if (days < 730) return `about ${Math.round(days / 30.4)} months`;
  return `about ${Math.round(days / 365)} years`;
}

/** When `approach` runs out as the app's data grows from the profile's size. */
export function outgrowOf(approach: string, p: Profile, figures: Figures, limits: Limits): Outgrow {
  const candidates = [
    {
      name: "memory",
      row: figures.row(approach, "rss_mb"),
      reached: (v: number) => v > limits.memory_mb,
    },
    {
      name: "restart time",
      row: figures.row(approach, "startup_ms"),
      reached: (v: number) => v > limits.restart_ms,
    },
    ...limits.rates.map((metric) => ({
      name: "throughput",
      row: figures.row(approach, metric as never),
      reached: (v: number) => v < limits.peak_rps,
    })),
  ];
  const found = candidates.map((x) => ({ ...x, at: sizeWhere(x.row, p.records, x.reached) }));
  const untold = [...new Set(found.filter((x) => x.at === undefined).map((x) => x.name))];
  if (untold.length === found.length)
    return {
      approach,
      days: null,
      limit:
        "cannot tell: none of its growth could be predicted (the bench needs 3 sizes or more, and a fit that misses its held-out size is not used)",
    };
  const reached = found.filter((x): x is typeof x & { at: number } => typeof x.at === "number");
  // A limit whose growth could not be predicted may come first: say so, never "no limit".
  const caveat = untold.length
    ? `; its ${untold.join(" and ")} could not be predicted, so a limit may come sooner`
    : "";
  if (!reached.length)
    return {
      approach,
      days: null,
      limit: untold.length
        ? `cannot tell: its ${untold.join(" and ")} could not be predicted, and nothing else reaches a limit`
        : "no limit reached within the sizes searched",
    };
  const first = reached.reduce((a, b) => (b.at < a.at ? b : a));
  const perDay = recordsPerDay(p);
  if (perDay <= 0)
    return {
      approach,
      days: null,
      limit: `${first.name} at ${fmt(first.at)} records, but the app writes nothing`,
    };
  return {
    approach,
    days: (first.at - p.records) / perDay,
    limit: `${first.name}, at about ${fmt(first.at)} records (predicted)${caveat}`,
  };
}
