// The shape of topology.json (npm run topology): two app servers on one PostgreSQL, and on
// one SQLite file each, with PostgreSQL against the `null` ceiling.
import type { Workload } from "./load.ts";

export interface TopologyRun {
  setup: "postgres-shared" | "sqlite-per-server";
  approach: string;
  /** What the servers share: one PostgreSQL, or nothing. */
  shares: string;
  servers: 2;
  rps: number;
  rps_single: number;
  p99_ms: number;
  errors_5xx: number;
  stale_reads: number;
  probes: number;
  records_a: number;
  records_b: number;
  diverged: boolean;
}

export interface VsNull {
  workload: Workload;
  postgres_rps: number;
  null_rps: number;
  ratio: number;
}

export interface TopologyResults {
  needadb_topology: 1;
  started_at: string;
  finished_at: string;
  complete: boolean;
  error?: string;
  records: number;
  duration_s: number;
  connections: number;
  load: string;
  /** How the app servers reach each other and the database. */
  network: string;
  runs: TopologyRun[];
  postgres_vs_null: VsNull[];
}
