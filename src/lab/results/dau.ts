// "Reading the numbers": what a measured capacity means in daily active users. The
// assumptions are printed beside every figure and can be changed on the command line.

export const SECONDS_PER_DAY = 86_400;

export interface DauAssumptions {
  /** API requests one active user makes in a day. */
  requestsPerUserPerDay: number;
  /** The busiest second's load over the day's average load. */
  peakFactor: number;
  /** Share of requests that are writes; the mixed workload is run with this share. */
  writeShare: number;
}

export const DEFAULT_ASSUMPTIONS: DauAssumptions = {
  requestsPerUserPerDay: 50,
  peakFactor: 4,
  writeShare: 0.1,
};

/**
 * The daily active users a server can carry if `capacityRps` is what it sustains at peak:
 * the day may average capacity / peakFactor requests per second, and each user makes
 * requestsPerUserPerDay of them.
 */
export function dauFor(capacityRps: number, a: DauAssumptions): number {
  return Math.floor((capacityRps * SECONDS_PER_DAY) / (a.peakFactor * a.requestsPerUserPerDay));
}

/** The peak requests per second that `dau` users generate: the inverse of dauFor. */
export function peakRpsFor(dau: number, a: DauAssumptions): number {
  return (dau * a.requestsPerUserPerDay * a.peakFactor) / SECONDS_PER_DAY;
}

export function checkAssumptions(a: DauAssumptions): void {
  if (!(a.requestsPerUserPerDay > 0)) throw new Error("--requests-per-user must be above 0");
  if (!(a.peakFactor >= 1)) throw new Error("--peak-factor must be 1 or more");
  if (!(a.writeShare >= 0 && a.writeShare <= 1))
    throw new Error("--write-share must be from 0 to 1");
}
