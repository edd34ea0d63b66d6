// The shape of results.json: everything the reports are built from, and what --compare reads.
import type { ContentionResults } from "./contention.ts";
import type { DauAssumptions } from "./dau.ts";
import type { DurabilityRun } from "./durability.ts";
import type { Latency, Tool, Workload } from "./load.ts";
import type { Machine } from "./machine.ts";
import type { OrdersResults } from "./orders.ts";
import type { TopologyResults } from "./topology.ts";

/** One measured phase of one cell. */
export interface Sample {
  approach: string;
  workload: Workload;
  records: number;
  repeat: number;
  /** The mixed workload's share of writes. */
  write_share?: number;
  rps: number;
  requests: number;
  duration_s: number;
  latency_ms: Latency;
  non2xx: number;
  errors: number;
  /** The server's peak resident set size (VmHWM) at the end of the measured phase. */
  peak_rss_bytes: number;
  /** Its own memory at the end of the measured phase (RssAnon: without mapped file pages). */
  anon_bytes?: number;
  /** CPU the server used during the measured phase, in cores. */
  cpu_cores: number;
  /** Bytes the server wrote to files during the measured phase. */
  write_bytes: number;
  /** From spawning the server to its "listening" line. */
  startup_ms: number;
  /** Bytes of the store's files in its DATA_DIR at the end of the cell. */
  disk_bytes?: number;
  /** Users POSTed before the warm-up (--inserts), on top of the seeded records. */
  inserted: number;
  /**
   * Records the store held at the end of the measured phase (its /health count): the seeded
   * ones and every write of the cell, which the memory measured then was holding.
   */
  records_held?: number;
  /** Group commit: records per flush over the whole cell (warm-up included), and the largest. */
  avg_batch?: number;
  max_batch?: number;
  /** CPU the load generator used during the measured phase, in cores. */
  generator_cpu_cores?: number;
  /** How long the warm-up ran, and whether its rate settled before the cap (results/steady.ts). */
  warmup_s: number;
  warmup_settled: boolean;
  /** The server's answers per second, sampled every `interval_ms`, through the warm-up and the measured window. */
  series: { interval_ms: number; warmup_rps: number[]; window_rps: number[] };
  /** The measured window's verdict: false when its rate still trended beyond its noise; null when it cannot tell. */
  steady: boolean | null;
  /** The window's fitted change, and its scatter, as shares of its mean rate. */
  trend: number;
  noise: number;
}

/** Which side set the pace of a cell, from the CPU each used. */
export type Bottleneck = "server" | "load-generator" | "unknown";

/** A cell that failed: its server did not start, the harness failed, or the store broke. */
export interface FailedCell {
  approach: string;
  workload: Workload;
  records: number;
  repeat: number;
  error: string;
}

/** A cell the store could not run: it answers the workload's route with 501. */
export interface SkippedCell {
  approach: string;
  workload: Workload;
  records: number;
  reason: string;
}

/** A cell's repeats, summarised by their medians. */
export interface Run {
  approach: string;
  workload: Workload;
  records: number;
  /** The mixed workload's share of writes. */
  write_share?: number;
  /**
   * Not measured but derived: a mixed row at the profile's share, from the read and write
   * rows by the rule of results/calibration.ts, whose checked error widens its band.
   */
  derived?: { share: number; error: number };
  tool: Tool;
  /** What the store claims an acknowledged write survives. */
  durability: string;
  repeats: number;
  rps: number;
  rps_samples: number[];
  /** The median across repeats of each percentile. */
  latency_ms: Latency;
  non2xx: number;
  errors: number;
  rss_mb: number;
  /** The largest RssAnon over repeats, in MB: memory the store needs, not file pages it maps. */
  anon_mb: number | null;
  /** The most records a repeat held at the end of its measured phase; null where not known. */
  records_held?: number | null;
  cpu_cores: number;
  bytes_written_per_request: number;
  /** Median start-up time of the server, spawn to listening. */
  startup_ms: number;
  /** Median bytes of the store's files at the end of its cells; null where not measured. */
  disk_bytes: number | null;
  inserted: number;
  /** Group-commit stores: the median over repeats of records per flush, and the largest batch. */
  avg_batch: number | null;
  max_batch: number | null;
  /** rps / null's rps for the same workload and size. */
  ratio_to_null: number | null;
  /** (max - min) / median of the repeats' req/s; null with one repeat. */
  spread: number | null;
  /** The load generator's CPU, in cores (median over repeats); null if it was not read. */
  generator_cpu_cores: number | null;
  bottleneck: Bottleneck;
  /** Write rows only: rps / the fsync ceiling. */
  ratio_to_fsync: number | null;
  /** The server's CPU per answer, in µs: cpu_cores / rps, whatever share of the machine the load generator took. */
  cpu_us_per_request: number | null;
  /** Each repeat's server CPU per answer, in µs (absent from results written before it was kept). */
  cpu_us_samples?: number[];
  /** rps / the bare node:http server's, for reads and writes; null elsewhere. */
  ratio_to_node: number | null;
  /** The median warm-up, in seconds, and whether every repeat settled within its cap. */
  warmup_s: number;
  warmup_settled: boolean;
  /** False when a repeat's window still trended beyond its noise; null when none could tell. */
  steady: boolean | null;
  /** The median over repeats of the window's fitted change, as a share of its mean rate. */
  trend: number;
}

export interface Results {
  needadb_results: 1;
  started_at: string;
  finished_at: string;
  /** False when the run was interrupted; `runs` then holds the cells that finished. */
  complete: boolean;
  /** The first cell that failed, when one did; every failed cell is in failed_cells. */
  error?: string;
  failed_cells?: FailedCell[];
  cells_total: number;
  cells_done: number;
  machine: Machine;
  /** Median time of one 120-byte append + fsync on the data directory's filesystem. */
  fsync_us: number;
  fsync_ceiling_rps: number;
  /** The same probe with one other core kept busy, as during a write cell. */
  fsync_loaded_us: number;
  load: {
    tool: Tool;
    model: "closed" | "open";
    rate: number | null;
    connections: number;
    threads: number;
    /** The warm-up's minimum and cap; each cell's own is in its samples. */
    warmup_s: number;
    warmup_max_s: number;
    /** Each side of the warm-up rule's comparison, in ms. */
    warmup_compare_ms?: number;
    duration_s: number;
    timeout_s: number;
    /** The exact command or settings for each workload. */
    commands: Record<Workload, string>;
  };
  settings: {
    approaches: string[];
    workloads: Workload[];
    records: number[];
    repeat: number;
    seed: number;
    inserts?: number;
    /** New users' ids: v4 (random) or v7 (time-ordered), the servers' USER_IDS. */
    user_ids?: "v4" | "v7";
  };
  assumptions: DauAssumptions;
  runs: Run[];
  samples: Sample[];
  /**
   * The runtime's own ceiling: a bare node:http server answering the same bytes as `null`,
   * measured for reads and writes beside every size (lab/harness/bare-http.ts). Not an approach.
   */
  ceilings?: Run[];
  ceiling_samples?: Sample[];
  /** Cells whose store answers the workload's route with 501, such as user-orders without orders. */
  skipped?: SkippedCell[];
  /** What each store declares that no lab measures: a service of its own, its process rule. */
  declared?: Record<string, Declared>;
  /** How each store looks users up by email, from its /health. */
  email_lookup?: Record<string, string>;
  /** Each store's in-process floor at the largest size (harness/floor-run.ts). */
  floors?: Floor[];
  /** The durability lab's results this report shows beside the claims, if any. */
  durability?: { file: string; runs: DurabilityRun[] };
  /** `npm run contention`'s newest results, shown in the report, if any. */
  contention?: { file: string; results: ContentionResults };
  /** `npm run orders-check`'s newest results, shown in the report, if any. */
  orders?: { file: string; results: OrdersResults };
  /** `npm run topology`'s newest results, shown in the report, if any. */
  topology?: { file: string; results: TopologyResults };
}

/**
 * A store's own cost with no HTTP in between (lab/harness/floor-run.ts): µs of CPU per lookup
 * and per committed write, and their rates, with 50 in flight as under the bench's load: the
 * medians of its rounds, and each round's µs (absent from results written before rounds).
 */
export interface Floor {
  approach: string;
  records: number;
  read: FloorWorkload;
  write: FloorWorkload;
}

export interface FloorWorkload {
  cpu_us: number;
  rps: number;
  cpu_us_samples?: number[];
}

/** What the stores declare, for what no lab measures (a store's service, its process rule). */
export interface Declared {
  /** Its data lives in a service of its own (a database server), reachable from any server. */
  service: boolean;
  /** It says it is correct with several processes on one DATA_DIR. */
  many: boolean;
  /** The real engine it runs on, from npm, when it is not one of ours, and our store like it. */
  engine?: { name: string; like?: string };
  /** How much it asks of the team that runs it (stores/_types.ts SIMPLICITY); the decision ranks by it. */
  simplicity?: string;
  /** A ceiling measured only to compare with (`null`), not a store to choose. */
  ceiling?: boolean;
  /** The settings it runs with for its claim, such as SQLITE_SYNCHRONOUS=FULL. */
  settings?: Record<string, string>;
  /** The files it keeps in DATA_DIR, and where its code is. */
  files?: string[];
  code?: string;
}
