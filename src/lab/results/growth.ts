// How a measured cost grows with the number of records, fitted from a ladder of sizes, and
// what that predicts at a size never measured. Pure functions.
//
// The shapes, simplest first: flat (y = a), logarithmic (y = a + b·ln n), linear
// (y = a + b·n), and a power law (y = a·n^b) where none of those fits. Each is fitted by
// least squares (the power law in log-log space, as trend-prof fits its costs); its error
// is the largest relative miss over the points it was fitted on. The simplest shape whose
// error is within the measurements' own noise is chosen, as Extra-P prefers the simplest
// hypothesis that explains the data; if none is, the shape with the least error.
//
// Every fit is checked the way both tools check theirs: fitted again without its largest
// size, it must predict that size within its band (its error, and at least twice the noise:
// the measurement it is checked against has that noise too). A
// fit that misses its own held-out point by more is marked and never used to predict; nor is
// one whose band is past BAND_MAX, whose predictions would say next to nothing.

export const SHAPES = ["flat", "log", "linear", "power"] as const;
export type Shape = (typeof SHAPES)[number];

export interface Point {
  n: number;
  y: number;
}

export interface HeldOut {
  n: number;
  predicted: number;
  measured: number;
  /** |predicted - measured| / measured. */
  error: number;
}

export interface Fit {
  shape: Shape;
  a: number;
  b: number;
  /**
   * The relative band of a prediction: the fit's largest miss, and at least twice the noise,
   * the band one noisy measurement falls in 95 times in 100: a prediction cannot be checked,
   * nor trusted, more closely than the measurement it is checked against.
   */
  band: number;
  /** The sizes it was fitted on. */
  sizes: number[];
  held_out: HeldOut | null;
  /** False when the held-out point was missed by more than the band, or the band is past BAND_MAX: not used to predict. */
  usable: boolean;
}

/** The least noise (relative scatter) a measured cost is taken to have on these machines. */
export const NOISE_MIN = 0.1;
/** A fit whose band is wider than this is too scattered to predict with, whatever its check. */
export const BAND_MAX = 0.5;

const evaluate = (shape: Shape, a: number, b: number, n: number): number =>
  shape === "flat"
    ? a
    : shape === "log"
      ? a + b * Math.log(n)
      : shape === "linear"
        ? a + b * n
        : a * n ** b;

/**
 * y = a + b·x by least squares, each point weighted by `weights`. The shapes fitted on y
 * itself weigh each point by 1/y², so that the fit minimises relative misses: sizes a decade
 * apart carry costs a decade apart, and plain least squares would fit the largest alone.
 */
function line(
  xs: readonly number[],
  ys: readonly number[],
  weights: readonly number[] = xs.map(() => 1),
): { a: number; b: number } {
  const w = weights.reduce((s, v) => s + v, 0);
  const mx = xs.reduce((s, x, i) => s + (weights[i] as number) * x, 0) / w;
  const my = ys.reduce((s, y, i) => s + (weights[i] as number) * y, 0) / w;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < xs.length; i++) {
    const wi = weights[i] as number;
    sxx += wi * ((xs[i] as number) - mx) ** 2;
    sxy += wi * ((xs[i] as number) - mx) * ((ys[i] as number) - my);
  }
  const b = sxx === 0 ? 0 : sxy / sxx;
  return { a: my - b * mx, b };
}

const relative = (ys: readonly number[]) => ys.map((y) => 1 / Math.max(Math.abs(y), 1e-12) ** 2);

/**
 * A shape's least-squares fit. Every cost here (the time a request takes, memory, start-up,
 * bytes) only grows with the records, so a shape that would fall is not a fit of it: a
 * negative slope is the measurements' noise (one slow cell at a small size), and the shape
 * is not offered; flat stands for it.
 */
function fitShape(shape: Shape, points: readonly Point[]): { a: number; b: number } | undefined {
  const ns = points.map((p) => p.n);
  const ys = points.map((p) => p.y);
  if (shape === "flat")
    return line(
      ns.map(() => 0),
      ys,
      relative(ys),
    );
  if (points.length < 2) return undefined;
  let fit: { a: number; b: number };
  if (shape === "log") fit = line(ns.map(Math.log), ys, relative(ys));
  else if (shape === "linear") fit = line(ns, ys, relative(ys));
  else {
    if (ys.some((y) => y <= 0)) return undefined;
    const { a, b } = line(ns.map(Math.log), ys.map(Math.log));
    fit = { a: Math.exp(a), b };
  }
  return fit.b < 0 ? undefined : fit;
}

/** The largest relative miss of a shape over points. */
function missOf(shape: Shape, ab: { a: number; b: number }, points: readonly Point[]): number {
  return Math.max(
    ...points.map((p) => Math.abs(evaluate(shape, ab.a, ab.b, p.n) - p.y) / Math.abs(p.y || 1)),
  );
}

/** How far a shape, fitted without the largest point, misses it; 0 where it cannot be told. */
function heldOutMiss(shape: Shape, points: readonly Point[]): number {
  const rest = points.slice(0, -1);
  const largest = points.at(-1) as Point;
  const ab = rest.length >= 2 ? fitShape(shape, rest) : undefined;
  if (!ab) return 0;
  return Math.abs(evaluate(shape, ab.a, ab.b, largest.n) - largest.y) / Math.abs(largest.y || 1);
}

/**
 * The shape chosen for `points`. Of the shapes that fit within `noise` (else the least
 * wrong), the one that best predicts the largest size from the smaller ones, as Extra-P
 * chooses by cross-validation; the simpler where two predict it within `noise` of each
 * other. Over a short ladder a logarithm and a line both fit within the noise, and only
 * the held-out size tells them apart: far past it, they differ by orders of magnitude.
 */
function choose(points: readonly Point[], noise: number, shapes: readonly Shape[]) {
  const tried = shapes.flatMap((shape) => {
    const ab = fitShape(shape, points);
    return ab ? [{ shape, ...ab, miss: missOf(shape, ab, points) }] : [];
  });
  const fitting = tried.filter((t) => t.miss <= noise);
  if (!fitting.length) return tried.reduce((x, y) => (y.miss < x.miss ? y : x));
  const held = fitting.map((t) => heldOutMiss(t.shape, points));
  const best = Math.min(...held);
  return fitting.find((_, i) => (held[i] as number) <= best + noise) as (typeof fitting)[number];
}

/**
 * Fits how `points` grow with n (one point per size; at least two sizes). `noise` is the
 * relative scatter the measurements are known to have (NOISE_MIN at least).
 */
export function fitGrowth(
  points: readonly Point[],
  noise = NOISE_MIN,
  shapes: readonly Shape[] = SHAPES,
): Fit | undefined {
  const byN = [...points].filter((p) => Number.isFinite(p.y)).sort((p, q) => p.n - q.n);
  if (byN.length < 2) return undefined;
  const floor = Math.max(noise, NOISE_MIN);
  const chosen = choose(byN, floor, shapes);
  const band = Math.max(chosen.miss, 2 * floor);
  const largest = byN.at(-1) as Point;
  let held: HeldOut | null = null;
  // Two points at least to fit a two-parameter shape again without the largest one.
  const rest = byN.slice(0, -1);
  // Refitted, the shape may fall over the smaller sizes alone; then it is flat there (a
  // power law's flat is n^0 times its level).
  const flatRest = () => {
    const level = fitShape("flat", rest)?.a ?? 0;
    return { a: level, b: 0 };
  };
  const again =
    rest.length >= (chosen.shape === "flat" ? 1 : 2)
      ? (fitShape(chosen.shape, rest) ?? flatRest())
      : undefined;
  if (again) {
    const predicted = evaluate(chosen.shape, again.a, again.b, largest.n);
    const error = Math.abs(predicted - largest.y) / Math.abs(largest.y || 1);
    held = { n: largest.n, predicted, measured: largest.y, error };
  }
  return {
    ...{ shape: chosen.shape, a: chosen.a, b: chosen.b, band },
    sizes: byN.map((p) => p.n),
    held_out: held,
    usable: held !== null && held.error <= band && band <= BAND_MAX,
  };
}

export interface Prediction {
  value: number;
  low: number;
  high: number;
}

/** The fit's value at `n`, with its band. */
export function predict(fit: Fit, n: number): Prediction {
  const value = evaluate(fit.shape, fit.a, fit.b, n);
  return { value, low: value * (1 - fit.band), high: value * (1 + fit.band) };
}

/** The least n (from `from`, by steps of `factor`) where `reached(prediction)` holds, or null. */
export function firstSizeWhere(
  fit: Fit,
  from: number,
  reached: (p: Prediction) => boolean,
  nMax = 1e13,
  factor = 1.05,
): number | null {
  for (let n = Math.max(1, from); n <= nMax; n *= factor) if (reached(predict(fit, n))) return n;
  return null;
}
