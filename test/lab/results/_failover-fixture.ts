// Failover lab results, as numbers, for the verdict and the plan: asynchronous replication
// lost writes after a stall; synchronous lost none but served stale reads from a standby;
// sync-apply lost none and served none stale.
import {
  type FailoverMode,
  type FailoverResults,
  type FailoverRun,
  type FailoverTrial,
  foldFailover,
  REPLICATION,
} from "../../../src/lab/results/failover.ts";

type Figures = Pick<FailoverTrial, "acked" | "lost" | "stale_reads" | "stopped_ms" | "rps_before">;

function trial(mode: FailoverMode, fault: FailoverTrial["fault"], f: Figures): FailoverTrial {
  return {
    ...{ mode, fault, trial: 1, unknown: 2, refused: 0, probes: f.acked },
    ...{ recovered: true, promoted: true, rps_after: f.rps_before },
    ...f,
  };
}

const FIGURES: Partial<Record<FailoverMode, Record<"node" | "stall-node", Figures>>> = {
  async: {
    node: { acked: 3_000, lost: 0, stale_reads: 13, stopped_ms: 11_000, rps_before: 900 },
    "stall-node": { acked: 2_700, lost: 885, stale_reads: 9, stopped_ms: 10_200, rps_before: 880 },
  },
  sync: {
    node: { acked: 2_900, lost: 0, stale_reads: 4, stopped_ms: 10_600, rps_before: 700 },
    "stall-node": { acked: 2_600, lost: 0, stale_reads: 2, stopped_ms: 11_700, rps_before: 720 },
  },
  "sync-apply": {
    node: { acked: 2_500, lost: 0, stale_reads: 0, stopped_ms: 11_100, rps_before: 600 },
    "stall-node": { acked: 2_400, lost: 0, stale_reads: 0, stopped_ms: 12_000, rps_before: 620 },
  },
};

/** The results of `pick` (mode and fault) only, as the lab writes them. */
export function failoverResults(
  pick: (mode: FailoverMode, fault: string) => boolean,
): FailoverResults {
  const trials = Object.entries(FIGURES).flatMap(([mode, byFault]) =>
    Object.entries(byFault)
      .filter(([fault]) => pick(mode as FailoverMode, fault))
      .map(([fault, f]) => trial(mode as FailoverMode, fault as FailoverTrial["fault"], f)),
  );
  return {
    ...{ needadb_failover: 1, started_at: "", finished_at: "", complete: true },
    settings: {
      ...{ ttl: 10, loop_wait: 1, retry_timeout: 3, stall_ms: 1_000, replication: REPLICATION },
      ...{ trials: 1, writers: 8, stack: "PostgreSQL 15.18, Patroni 3.0.2" },
    },
    runs: foldFailover(trials) as FailoverRun[],
    trials,
  };
}

export const allFailover = failoverResults(() => true);
