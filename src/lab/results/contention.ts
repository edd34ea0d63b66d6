// The shape of contention.json (npm run contention): two servers on one DATA_DIR against
// one, per approach.

export interface ContentionRun {
  approach: string;
  /** Whether the store says it is correct across processes (WORKERS accepts it). */
  claims_many: boolean;
  servers: 2;
  /** Combined write req/s of the two servers. */
  rps: number;
  /** One server with the same total connections. */
  rps_single: number;
  p50_ms: number;
  p99_ms: number;
  p99_single_ms: number;
  errors_5xx: number;
  errors_5xx_single: number;
  /** SQLITE_BUSY answers absorbed (waited out and retried) by the two servers. */
  busy: number;
  stale_reads: number;
  probes: number;
  probe_failures: number;
  records_a: number;
  records_b: number;
  /** Probe users that one of the servers still cannot find after the load. */
  missing: number;
  diverged: boolean;
}

export interface ContentionResults {
  needadb_contention: 1;
  started_at: string;
  finished_at: string;
  complete: boolean;
  error?: string;
  records: number;
  duration_s: number;
  connections: number;
  load: string;
  runs: ContentionRun[];
}
