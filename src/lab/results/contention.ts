// The shape of contention.json (npm run contention): two servers on one DATA_DIR, and two
// worker threads of one process, against one server, per approach.
import type { TwoServerResults, TwoServerRun } from "./pair.ts";

export interface ContentionRun extends TwoServerRun {
  /** Whether the store says it is correct across processes (WORKERS accepts it). */
  claims_many: boolean;
  p50_ms: number;
  p99_single_ms: number;
  errors_5xx_single: number;
  /** SQLITE_BUSY answers absorbed (waited out and retried) by the two servers. */
  busy: number;
  probe_failures: number;
  /** Probe users that one of the servers still cannot find after the load. */
  missing: number;
  /**
   * Two processes only: the writes they acknowledged, and how many of them a server started
   * afresh on the directory afterwards could not count (records seeded + acknowledged −
   * records found: a floor, since writes never acknowledged may have landed too).
   */
  acked?: number;
  lost_acked?: number;
  /** A setting of the store's own run beside it (its contention variant), such as PGlite without its lock. */
  variant_of?: string;
}

/** A store whose second server would not start on the same DATA_DIR, and what it said. */
export interface Refused {
  approach: string;
  why: string;
}

export interface ContentionResults extends TwoServerResults {
  needadb_contention: 1;
  runs: ContentionRun[];
  /** Stores that kept a second process out (LevelDB's LOCK file). */
  refused?: Refused[];
  /** The same load and probe on two worker threads of one process (lab/harness/thread-host.ts). */
  thread_runs?: ContentionRun[];
  /** Stores whose second thread would not open the same DATA_DIR. */
  thread_refused?: Refused[];
}
