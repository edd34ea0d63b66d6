// The shape of failover.json (npm run failover): for each replication mode and fault, the
// trials run, what the app saw through them, and their sums. Pure.
export const FAILOVER_FAULTS = ["node", "patroni", "postmaster", "stall-node"] as const;
export type FailoverFault = (typeof FAILOVER_FAULTS)[number];
export const FAILOVER_MODES = ["async", "sync", "sync-apply", "async-lag-limit"] as const;
export type FailoverMode = (typeof FAILOVER_MODES)[number];

/** How each mode sets up replication: Patroni's settings and PostgreSQL's synchronous_commit. */
export interface ReplicationSettings {
  /** Patroni's synchronous_mode: a commit waits for synchronous standbys, and only they may be promoted. */
  synchronous_mode: boolean;
  /** How many standbys are synchronous, under synchronous_mode. */
  synchronous_node_count: number;
  /** What a commit waits for on them: their disk (on) or their replay (remote_apply). */
  synchronous_commit: "on" | "remote_apply";
  /** Bytes a replica may trail by and still be promoted. */
  maximum_lag_on_failover: number;
}

const MIB = 1024 * 1024;
export const REPLICATION: Record<FailoverMode, ReplicationSettings> = {
  async: {
    ...{ synchronous_mode: false, synchronous_node_count: 1, synchronous_commit: "on" },
    maximum_lag_on_failover: MIB,
  },
  sync: {
    ...{ synchronous_mode: true, synchronous_node_count: 1, synchronous_commit: "on" },
    maximum_lag_on_failover: MIB,
  },
  "sync-apply": {
    ...{ synchronous_mode: true, synchronous_node_count: 2, synchronous_commit: "remote_apply" },
    maximum_lag_on_failover: MIB,
  },
  "async-lag-limit": {
    ...{ synchronous_mode: false, synchronous_node_count: 1, synchronous_commit: "on" },
    maximum_lag_on_failover: 16 * 1024,
  },
};

/** One trial: a fault under write load, measured at the app. */
export interface FailoverTrial {
  mode: FailoverMode;
  fault: FailoverFault;
  trial: number;
  /** Writes acknowledged (201), and of them not found once the cluster had recovered. */
  acked: number;
  lost: number;
  /** Writes answered 503 "outcome unknown", or with no answer at all: the app cannot know. */
  unknown: number;
  /** Writes refused (503, nothing stored) while no primary took them. */
  refused: number;
  /** Reads through the other app server right after a 201 that did not find the write. */
  stale_reads: number;
  probes: number;
  /** The longest stretch with no acknowledged write, from the fault on, in ms. */
  stopped_ms: number;
  /** Whether writes were acknowledged again before the trial's wait ran out. */
  recovered: boolean;
  /** Whether another node was leader afterwards. */
  promoted: boolean;
  /** Acknowledged writes a second, before the fault and once recovered. */
  rps_before: number;
  rps_after: number;
}

export interface FailoverRun {
  mode: FailoverMode;
  fault: FailoverFault;
  trials: number;
  acked: number;
  lost: number;
  unknown: number;
  refused: number;
  stale_reads: number;
  probes: number;
  stopped_ms_max: number;
  stopped_ms_min: number;
  /** Trials after which writes were taken again, and after which another node led. */
  recovered: number;
  promoted: number;
  rps_before: number;
  rps_after: number;
}

export interface FailoverResults {
  needadb_failover: 1;
  started_at: string;
  finished_at: string;
  complete: boolean;
  error?: string;
  settings: {
    ttl: number;
    loop_wait: number;
    retry_timeout: number;
    stall_ms: number;
    replication: Record<FailoverMode, ReplicationSettings>;
    trials: number;
    writers: number;
    /** What ran it: Debian's PostgreSQL 15 under Patroni, etcd and HAProxy, and their versions. */
    stack: string;
  };
  runs: FailoverRun[];
  trials: FailoverTrial[];
}

/** The trials of one mode and fault, folded. */
export function foldFailover(trials: readonly FailoverTrial[]): FailoverRun[] {
  const groups = new Map<string, FailoverTrial[]>();
  for (const t of trials)
    groups.set(`${t.mode}|${t.fault}`, [...(groups.get(`${t.mode}|${t.fault}`) ?? []), t]);
  return [...groups.values()].map((g) => {
    const sum = (f: (t: FailoverTrial) => number) => g.reduce((n, t) => n + f(t), 0);
    const first = g[0] as FailoverTrial;
    return {
      ...{ mode: first.mode, fault: first.fault, trials: g.length },
      ...{ acked: sum((t) => t.acked), lost: sum((t) => t.lost), unknown: sum((t) => t.unknown) },
      ...{
        refused: sum((t) => t.refused),
        stale_reads: sum((t) => t.stale_reads),
        probes: sum((t) => t.probes),
      },
      stopped_ms_max: Math.max(...g.map((t) => t.stopped_ms)),
      stopped_ms_min: Math.min(...g.map((t) => t.stopped_ms)),
      recovered: g.filter((t) => t.recovered).length,
      promoted: g.filter((t) => t.promoted).length,
      rps_before: sum((t) => t.rps_before) / g.length,
      rps_after: sum((t) => t.rps_after) / g.length,
    };
  });
}
