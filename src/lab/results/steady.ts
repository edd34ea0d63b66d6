// Whether a cell's rate had settled: the warm-up's stopping rule, and the measured window's
// verdict. Pure functions over a series of rates sampled at a fixed interval.
//
// The warm-up rule: sample the server's answers every SAMPLE_MS; after the minimum warm-up,
// stop as soon as both hold, or at the cap:
// 1. the mean rate of the last half-second is within WARMUP_TOLERANCE of the half-second
//    before it. A store that is still warming (V8 compiling its hot paths, the page cache
//    filling, an engine's writer finding its pace) changes its rate from one half-second to
//    the next by more than a steady server's noise; comparing means of two samples each
//    keeps one slow quarter-second (a GC, the load generator descheduled) from deciding. The
//    tolerance sits just above this machine's noise: in a quick bench (134 cells),
//    successive half-seconds of servers that had settled differed by up to about 15%, and
//    10% kept 27 cells warming for more than 2 s where 15% kept 16. A store still warming
//    moves by far more (LMDB's climb doubled between half-seconds).
// 2. the last TRAIL_HALVES half-seconds pass the window's own verdict (below): no trend
//    beyond their noise. Rule 1 alone let a slow climb through: at a million records, `map`
//    and `jsonl-group` writes rise by 5-10% per half-second for their first seconds (V8
//    growing its young generation and optimising the write path under a 600 MB heap), so
//    their windows started on the climb and were judged not steady (+44% to +72%) in one
//    run. Judging the warm-up's tail by the window's test makes a warm-up end only where a
//    window could start steady; where that test cannot tell (too few answers per sample),
//    rule 1 decides alone.
// The cap bounds what a store that never settles costs the run, and such a store is then
// judged by its window.
//
// Neither looks at a phase's samples before its first answer, nor at that first one: they
// hold the load generator's own start (a new process, 50 connections, and for reads its
// script loading ids.txt, which takes most of a second at a million records), not the
// server. A warm-up that has seen no answer yet has not settled.
//
// The window's verdict: fit a straight line to the window's rates. The window still trends
// when the fitted change over it is both significant (the slope's t statistic beyond the
// two-sided 95% critical value for its degrees of freedom) and material (more than
// TREND_MATERIAL of the mean): a change the noise cannot explain, large enough to matter.

export const SAMPLE_MS = 250;
/** Each side of the warm-up's comparison, by default: half a second (--quick: a quarter). */
export const COMPARE_MS = 500;
export const WARMUP_TOLERANCE = 0.15;
/** Rule 2's tail, in comparison lengths: 2 s by default, 1 s for --quick. */
export const TRAIL_HALVES = 4;
export const TREND_MATERIAL = 0.1;
/** Fewer samples than this cannot show a trend beyond noise. */
const WINDOW_SAMPLES_MIN = 4;
/** With fewer answers than this per sample on average, one answer more or less is noise. */
const ANSWERS_PER_SAMPLE_MIN = 5;

/** Two-sided 95% critical values of Student's t, by degrees of freedom. */
const T_CRITICAL: readonly [number, number][] = [
  [1, 12.71],
  [2, 4.3],
  [3, 3.18],
  [4, 2.78],
  [5, 2.57],
  [6, 2.45],
  [7, 2.36],
  [8, 2.31],
  [9, 2.26],
  [10, 2.23],
  [12, 2.18],
  [15, 2.13],
  [20, 2.09],
  [30, 2.04],
  [60, 2.0],
];

export function tCritical(df: number): number {
  if (!(df >= 1)) throw new RangeError(`degrees of freedom must be at least 1, not ${df}`);
  for (const [at, t] of T_CRITICAL) if (df <= at) return t;
  return 1.96;
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** The samples after a phase's first answer: what the server, not the load's start, set. */
export function afterFirstAnswer(rps: readonly number[]): readonly number[] {
  const first = rps.findIndex((r) => r > 0);
  return first === -1 ? [] : rps.slice(first + 1);
}

/**
 * True once the warm-up rule holds (see the file's header). `compareMs` is rule 1's
 * half: half a second by default; --quick compares quarter-seconds, sooner and noisier,
 * for a run meant as an overview.
 */
export function warmedUp(series: readonly number[], compareMs = COMPARE_MS): boolean {
  const half = Math.max(1, Math.round(compareMs / SAMPLE_MS));
  const rps = afterFirstAnswer(series);
  if (rps.length < Math.max(2, TRAIL_HALVES) * half) return false;
  const last = mean(rps.slice(-half));
  const before = mean(rps.slice(-2 * half, -half));
  if (before === 0) return last === 0;
  if (Math.abs(last - before) > WARMUP_TOLERANCE * before) return false;
  return fitTrend(rps.slice(-TRAIL_HALVES * half), SAMPLE_MS).steady !== false;
}

export interface Steadiness {
  /** null when the window cannot tell (too short, or too few answers per sample). */
  steady: boolean | null;
  /** The fitted change across the window, as a share of its mean rate. */
  trend: number;
  /** The rates' scatter about the fitted line, as a share of the mean (their noise). */
  noise: number;
  /** Why `steady` is null: too few samples, or too few answers in each. */
  why?: "few-samples" | "few-answers";
}

/** The window's verdict: see the file's header. */
export function judgeWindow(series: readonly number[], intervalMs: number): Steadiness {
  return fitTrend(afterFirstAnswer(series), intervalMs);
}

/** The verdict on rates that are all the server's own (no load generator start among them). */
function fitTrend(rps: readonly number[], intervalMs: number): Steadiness {
  const n = rps.length;
  if (n < WINDOW_SAMPLES_MIN) return { steady: null, trend: 0, noise: 0, why: "few-samples" };
  const m = mean(rps);
  const perSample = (m * intervalMs) / 1000;
  if (perSample < ANSWERS_PER_SAMPLE_MIN)
    return {
      steady: null,
      trend: 0,
      noise: 0,
      why: "few-answers",
    };
  const xMean = (n - 1) / 2;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (i - xMean) ** 2;
    sxy += (i - xMean) * ((rps[i] as number) - m);
  }
  const slope = sxy / sxx; // per sample
  let sse = 0;
  for (let i = 0; i < n; i++) sse += ((rps[i] as number) - (m + slope * (i - xMean))) ** 2;
  const residualSd = Math.sqrt(sse / (n - 2));
  const trend = (slope * (n - 1)) / m;
  const noise = residualSd / m;
  const standardError = residualSd / Math.sqrt(sxx);
  const significant =
    standardError === 0 ? slope !== 0 : Math.abs(slope / standardError) > tCritical(n - 2);
  return { steady: !(significant && Math.abs(trend) > TREND_MATERIAL), trend, noise };
}
