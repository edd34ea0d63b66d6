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

export interface TopologyResults extends TwoServerResults {
  needadb_topology: 1;
  /** How the app servers reach each other and the database. */
  network: string;
  runs: TopologyRun[];
  postgres_vs_null: VsNull[];
}
