// What two servers under write load showed, as contention.json and topology.json both
// record it, and the header both files share.

export interface TwoServerRun {
  approach: string;
  servers: 2;
  /** Combined write req/s of the two servers. */
  rps: number;
  /** One server with the same total connections. */
  rps_single: number;
  /** The worse of the two servers' p99. */
  p99_ms: number;
  /** Non-2xx answers to the load and failed probe creates. */
  errors_5xx: number;
  /** Probe reads through server B that answered 404 right after A's 201. */
  stale_reads: number;
  probes: number;
  /** Records each server counts once the load has stopped. */
  records_a: number;
  records_b: number;
  /** The two servers answer differently: different counts, or a probe user one cannot find. */
  diverged: boolean;
}

/** How a two-server run was made. */
export interface TwoServerResults {
  started_at: string;
  finished_at: string;
  complete: boolean;
  error?: string;
  records: number;
  duration_s: number;
  connections: number;
  /** The load at each server. */
  load: string;
}
