// A profile of the app a team is building: how many use it, how hard, how much data, how
// it is deployed, what it does beyond reads and writes by id, and what it must survive.
// `npm run advise` turns one into a decision measured on this machine.

export const NEEDS = ["by-email", "user-orders", "orders"] as const;
export type Need = (typeof NEEDS)[number];
export const SURVIVE = ["power-loss", "process-crash", "nothing"] as const;
export type Survive = (typeof SURVIVE)[number];

export interface Profile {
  name: string;
  daily_active_users: number;
  /** API requests one active user makes in a day. */
  requests_per_user: number;
  /** The busiest second's load over the day's average. */
  peak_factor: number;
  /** Share of requests that are writes. */
  write_share: number;
  /** Users the store holds. */
  records: number;
  /** Server processes on one machine (WORKERS), sharing one DATA_DIR. */
  processes: number;
  /** Machines running the app. */
  servers: number;
  needs: Need[];
  survive: Survive;
}

export const SECONDS_PER_DAY = 86_400;

/** The requests per second the app must sustain in its busiest second. */
export function requiredPeakRps(p: Profile): number {
  return (p.daily_active_users * p.requests_per_user * p.peak_factor) / SECONDS_PER_DAY;
}

/** The daily active users that `capacityRps` carries at the profile's habits. */
export function dauAt(capacityRps: number, p: Profile): number {
  return Math.floor((capacityRps * SECONDS_PER_DAY) / (p.requests_per_user * p.peak_factor));
}
