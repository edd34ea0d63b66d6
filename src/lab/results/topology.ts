// The shape of topology.json (npm run topology): two app servers on one PostgreSQL, and on
// one SQLite file each, with PostgreSQL against the `null` ceiling.
import type { Workload } from "./load.ts";
import type { TwoServerResults, TwoServerRun } from "./pair.ts";

export interface TopologyRun extends TwoServerRun {
  setup: "postgres-shared" | "sqlite-per-server";
  /** What the servers share: one PostgreSQL, or nothing. */
  shares: string;
}

export interface VsNull {
  workload: Workload;
  postgres_rps: number;
  null_rps: number;
  ratio: number;
}

/** Two app servers' write load and probe on PostgreSQL with read replicas. */
export interface ReplicaWrites {
  rps: number;
  p50_ms: number;
  p99_ms: number;
  errors_5xx: number;
  /** Creates through server A, each read through server B straight after its 201. */
  probes: number;
  /** Of those, reads through B that did not find the user. */
  stale_reads: number;
  /** How long the longest stale read lasted: ms from A's 201 until B found the user. */
  stale_ms_max: number | null;
  /** Of those, creates whose 201 said Preference-Applied: read-your-writes. */
  applied: number;
  /** The most any replica lagged, per /health sample during the load: median and worst. */
  lag_ms_p50: number | null;
  lag_ms_max: number | null;
  lag_bytes_max: number | null;
  /** Samples in which a replica served no reads (it lagged past the bound, or failed). */
  replicas_out: number;
  lag_samples: number;
}

/** One PostgreSQL with `replicas` hot standbys (POSTGRES_REPLICAS) and two app servers on it. */
export interface ReplicaRun {
  /** The store measured: the one whose service can start replicas (postgres). */
  approach: string;
  replicas: number;
  /** Reads at both app servers at once, which send them to the replicas when there are any. */
  read_rps: number;
  read_p99_ms: number;
  write: ReplicaWrites;
  /** Every write, and every probe create, with Prefer: read-your-writes (remote_apply). */
  write_read_your_writes: ReplicaWrites;
}

export interface TopologyResults extends TwoServerResults {
  needadb_topology: 1;
  /** How the app servers reach each other and the database. */
  network: string;
  runs: TopologyRun[];
  postgres_vs_null: VsNull[];
  /** PostgreSQL with 0, 1 and 2 read replicas; absent from runs made before they existed. */
  replica_runs?: ReplicaRun[];
}
