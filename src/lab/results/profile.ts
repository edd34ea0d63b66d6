// A profile of the app a team is building: how many use it, how hard, how much data, how
// it is deployed, what it does beyond reads and writes by id, and what it must survive.
// `npm run advise` turns one into a decision measured on this machine.
import { type DauAssumptions, dauFor, peakRpsFor } from "./dau.ts";
import type { Fault } from "./durability.ts";

export const NEEDS = ["by-email", "user-orders", "orders"] as const;
export type Need = (typeof NEEDS)[number];
/** Strongest first: losing the database's machine, then a power loss, then a process crash. */
export const SURVIVE = ["machine-loss", "power-loss", "process-crash", "nothing"] as const;
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
  /**
   * The longest a restart may take, in seconds: a deploy or a crash, until the server
   * answers again. The map stores replay their whole file at start, so it grows with the data.
   */
  restart_s_max: number;
  /**
   * How old a read may be, in ms, when the app runs on several servers: a read from a
   * replica may trail the latest write by the replica's lag. 0: never stale.
   */
  stale_read_ms: number;
  /**
   * With survive "machine-loss": the longest writes may stop, in seconds, while another
   * machine takes over from the lost database server.
   */
  failover_s_max: number;
  /**
   * Records the app adds a day. Left out, the growth line assumes that every write adds one
   * (an upper estimate: an edit adds none), and the decision says so.
   */
  records_per_day?: number;
  /** How far ahead the answer must hold, in days. */
  horizon_days: number;
  /** Servers the app will run on later, when more than now: the decision answers for both. */
  servers_later?: number;
}

/** The default horizon: an answer should hold for a year of the app's growth. */
export const HORIZON_DAYS_DEFAULT = 365;

/** The default: a read may trail a write by a second, about a page load (see cli/profile.ts). */
export const STALE_READ_MS_DEFAULT = 1_000;

/** The default longest restart, in seconds: see DEFAULTS in cli/profile.ts for why. */
export const RESTART_S_MAX_DEFAULT = 30;

/** The default longest failover, in seconds: as long as a restart may take. */
export const FAILOVER_S_MAX_DEFAULT = RESTART_S_MAX_DEFAULT;

/** The faults that test a survival level, weakest first: the last one is the level's test. */
export const SURVIVE_FAULTS: Record<Survive, Fault[]> = {
  // Each database server must keep its writes through a power loss too; losing a machine is
  // the failover lab's to measure (requirement "machine-loss").
  "machine-loss": ["sigkill", "powercut"],
  "power-loss": ["sigkill", "powercut"],
  "process-crash": ["sigkill"],
  nothing: [],
};

/**
 * The disk faults a survival level must also come through, where they were measured: a
 * store that keeps writes through a power loss must keep them through a failed fsync and
 * torn writes too, and any store must come through a full disk.
 */
export const SURVIVE_DISK_FAULTS: Record<Survive, Fault[]> = {
  "machine-loss": ["enospc", "eio", "torn"],
  "power-loss": ["enospc", "eio", "torn"],
  "process-crash": ["enospc"],
  nothing: [],
};

/** Writes a day at the profile's habits. */
export const writesPerDay = (p: Profile) =>
  p.daily_active_users * p.requests_per_user * p.write_share;

/** Records the app adds a day: as the profile says, else one per write (assumed). */
export const recordsPerDay = (p: Profile) => p.records_per_day ?? writesPerDay(p);

/** The profile's habits, as the bench's DAU arithmetic takes them. */
const habits = (p: Profile): DauAssumptions => ({
  requestsPerUserPerDay: p.requests_per_user,
  peakFactor: p.peak_factor,
  writeShare: p.write_share,
});

/** The requests per second the app must sustain in its busiest second. */
export function requiredPeakRps(p: Profile): number {
  return peakRpsFor(p.daily_active_users, habits(p));
}

/** The daily active users that `capacityRps` carries at the profile's habits. */
export function dauAt(capacityRps: number, p: Profile): number {
  return dauFor(capacityRps, habits(p));
}
