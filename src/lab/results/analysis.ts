// "Reading the numbers": a run's measurements as the rows the report's tables are made of,
// and the data behind the course's "when you need a database". Every figure here comes from
// `results`; the course's own numbers are kept beside them, labelled as the course's.

import type { Results, Run } from "./bench.ts";
import { type DauAssumptions, dauFor, peakRpsFor } from "./dau.ts";
import type { DurabilityRun } from "./durability.ts";
import {
  FAILOVER_S_MAX_DEFAULT,
  HORIZON_DAYS_DEFAULT,
  type Profile,
  RESTART_S_MAX_DEFAULT,
  STALE_READ_MS_DEFAULT,
} from "./profile.ts";
import type { TopologyRun } from "./topology.ts";

/** The course's write table (Append Throughput lesson), its estimates on its own machine. */
export const COURSE_WRITE_PATHS = [
  {
    approach: "map",
    name: "JSONL append, no fsync",
    course_rps: "~90,000",
    course_latency: "<1 ms",
    course_durability: "Survives process crash, not power loss",
  },
  {
    approach: "jsonl-fsync",
    name: "JSONL append, fsync per write",
    course_rps: "~1,000-2,000",
    course_latency: "~30-40 ms",
    course_durability: "Survives power loss",
  },
  {
    approach: "sqlite",
    name: "SQLite insert, one per request",
    course_rps: "~5,000-10,000",
    course_latency: "~5-10 ms",
    course_durability: "Survives power loss",
  },
  {
    approach: "sqlite-batched",
    name: "SQLite insert, batched",
    course_rps: "~70,000+",
    course_latency: "<1 ms",
    course_durability: "Loses up to one flush interval of writes on crash",
  },
] as const;

/** Where the course leads: group commit, durable like fsync-per-write, batched like the liar. */
export const GROUP_COMMIT_PATHS = [
  {
    approach: "jsonl-group",
    name: "JSONL append, group commit",
    course_rps: "(not in the course)",
    course_latency: "",
    course_durability: "",
  },
  {
    approach: "sqlite-group",
    name: "SQLite insert, group commit",
    course_rps: "(not in the course)",
    course_latency: "",
    course_durability: "",
  },
] as const;

/** The only read figure the course gives: the in-memory map, on its mac mini. */
export const COURSE_READ_RPS: Record<string, string> = { map: "~72,000 (all sizes)" };

/** At the largest size, an approach keeping this share of its smallest-size reads is "flat". */
const FLAT_SHARE = 0.7;
/** Below this share it "falls off a cliff". */
const CLIFF_SHARE = 0.1;

export interface ReadRow {
  approach: string;
  rps_by_size: (number | null)[];
  ratio_to_null_by_size: (number | null)[];
  /** rps at the largest size / rps at the smallest. */
  kept: number | null;
  shape: "flat" | "slows" | "cliff" | "one-size";
  course: string;
  /** At the largest size: the server's CPU per read in µs, what it adds over null's, and × node:http. */
  cpu_us: number | null;
  cpu_us_over_null: number | null;
  ratio_to_node: number | null;
}

export interface WritePathRow {
  approach: string;
  name: string;
  run: Run | undefined;
  /** From the durability lab, when its results were given: its runs, per fault. */
  measured: DurabilityRun[];
  course_rps: string;
  course_latency: string;
  course_durability: string;
}

/** A store's lookups by email and its join, at each size; `skipped` when it has no orders. */
export interface LookupRow {
  approach: string;
  /** How it finds users by email, from its /health. */
  method: string;
  by_email_rps: (number | null)[];
  by_email_to_null: number | null;
  user_orders_rps: (number | null)[];
  user_orders_to_null: number | null;
  /** Why it answers the join with 501, when it does. */
  no_join?: string;
}

export interface DauRow {
  approach: string;
  durability: string;
  capacity_rps: number;
  dau: number;
}

export interface Analysis {
  sizes: number[];
  largest: number;
  reads: ReadRow[];
  writePaths: WritePathRow[];
  lookups: LookupRow[];
  dau: DauRow[];
  assumptions: DauAssumptions;
  targetDau: number;
  targetPeakRps: number;
  criteria: Criteria;
}

function find(
  runs: readonly Run[],
  approach: string,
  workload: string,
  records: number,
): Run | undefined {
  return runs.find(
    (r) => r.approach === approach && r.workload === workload && r.records === records,
  );
}

/** Each approach's reads at every size, and its shape as the data grows. */
function readRows(
  runs: readonly Run[],
  approaches: readonly string[],
  sizes: readonly number[],
  largest: number,
): ReadRow[] {
  const nullReadUs = find(runs, "null", "read", largest)?.cpu_us_per_request ?? null;
  return approaches.map((approach) => {
    const rps = sizes.map((s) => find(runs, approach, "read", s)?.rps ?? null);
    const atLargest = find(runs, approach, "read", largest);
    const cpuUs = atLargest?.cpu_us_per_request ?? null;
    const first = rps[0];
    const last = rps.at(-1);
    const kept = sizes.length > 1 && first && last != null ? last / first : null;
    const shape =
      kept === null
        ? "one-size"
        : kept >= FLAT_SHARE
          ? "flat"
          : kept < CLIFF_SHARE
            ? "cliff"
            : "slows";
    return {
      approach,
      rps_by_size: rps,
      ratio_to_null_by_size: sizes.map(
        (s) => find(runs, approach, "read", s)?.ratio_to_null ?? null,
      ),
      kept,
      shape,
      course: COURSE_READ_RPS[approach] ?? "",
      cpu_us: cpuUs,
      cpu_us_over_null: cpuUs !== null && nullReadUs !== null ? cpuUs - nullReadUs : null,
      ratio_to_node: atLargest?.ratio_to_node ?? null,
    };
  });
}

export function analyse(results: Results, targetDau: number): Analysis {
  const runs = results.runs;
  const sizes = [...new Set(runs.map((r) => r.records))].sort((a, b) => a - b);
  const largest = sizes.at(-1) ?? 0;
  const approaches = results.settings.approaches.filter((a) => runs.some((r) => r.approach === a));

  const reads = readRows(runs, approaches, sizes, largest);

  const writePaths: WritePathRow[] = [...COURSE_WRITE_PATHS, ...GROUP_COMMIT_PATHS]
    .map((p) => ({
      ...p,
      run: find(runs, p.approach, "write", largest),
      measured: results.durability?.runs.filter((r) => r.approach === p.approach) ?? [],
    }))
    .filter((p) => p.run || COURSE_WRITE_PATHS.some((c) => c.approach === p.approach));

  const lookups = lookupRows(results, approaches, sizes, largest);
  const a = results.assumptions;
  const dau: DauRow[] = approaches
    .filter((x) => !results.declared?.[x]?.ceiling)
    .flatMap((approach) => {
      const mixed = find(runs, approach, "mixed", largest);
      return mixed
        ? [
            {
              approach,
              durability: mixed.durability,
              capacity_rps: mixed.rps,
              dau: dauFor(mixed.rps, a),
            },
          ]
        : [];
    });

  const targetPeakRps = peakRpsFor(targetDau, a);
  const criteria = databaseCriteria(results, largest);
  return {
    sizes,
    largest,
    reads,
    writePaths,
    lookups,
    dau,
    assumptions: a,
    targetDau,
    targetPeakRps,
    criteria,
  };
}

function lookupRows(
  results: Results,
  approaches: readonly string[],
  sizes: readonly number[],
  largest: number,
): LookupRow[] {
  const rps = (approach: string, workload: string) =>
    sizes.map((s) => find(results.runs, approach, workload, s)?.rps ?? null);
  const ratio = (approach: string, workload: string) =>
    find(results.runs, approach, workload, largest)?.ratio_to_null ?? null;
  return approaches.flatMap((approach) => {
    const noJoin = results.skipped?.find(
      (c) => c.approach === approach && c.workload === "user-orders",
    )?.reason;
    const row: LookupRow = {
      approach,
      method: results.email_lookup?.[approach] ?? "",
      by_email_rps: rps(approach, "by-email"),
      by_email_to_null: ratio(approach, "by-email"),
      user_orders_rps: rps(approach, "user-orders"),
      user_orders_to_null: ratio(approach, "user-orders"),
      ...(noJoin ? { no_join: noJoin } : {}),
    };
    const measured = [...row.by_email_rps, ...row.user_orders_rps].some((x) => x !== null);
    return measured || noJoin ? [row] : [];
  });
}

/** The course's "when you actually need a database", as far as this run measured each. */
export interface Criteria {
  /** `map`'s memory at the largest size, per record beyond the server's own, and what half the machine holds. */
  ram: {
    rss_mb: number;
    records: number;
    per_record_bytes: number | null;
    fits_records: number | null;
  } | null;
  /** Lookups by email at the largest size: stores that scan, and stores with a second index. */
  by_email: { scans: Cell[]; indexed: Cell[] } | null;
  /** The join at the largest size, and the stores that answer it with 501. */
  join: { cells: (Cell & { ratio_to_null: number | null })[]; without: string[] } | null;
  /** From npm run orders-check: who kept orders whole, who held the race, who oversold. */
  atomic: {
    crash_safe: string[];
    race_safe: string[];
    oversold: { approach: string; units: number }[];
    without: string[];
  } | null;
  /** From npm run contention: who served stale reads or diverged, who stayed coherent, who waited out SQLITE_BUSY. */
  processes: {
    stale: string[];
    coherent: string[];
    busy: { approach: string; busy: number }[];
  } | null;
  /** From npm run topology: each two-server setup. */
  servers: TopologyRun[];
}

interface Cell {
  approach: string;
  rps: number;
}

/** Below this size the records' memory is lost in the process's own noise. */
const MIN_RECORDS_FOR_ESTIMATE = 100_000;

function ramCriterion(results: Results, largest: number): Criteria["ram"] {
  const map = find(results.runs, "map", "read", largest);
  if (!map || largest <= 0) return null;
  // What the records cost, without the server's own fixed memory: `null`'s RSS at the same
  // size is that baseline; failing that, the growth from the smallest size to the largest.
  const base = find(results.runs, "null", "read", largest);
  const smallest = results.runs
    .filter((r) => r.approach === "map" && r.workload === "read" && r.records < largest)
    .sort((p, q) => p.records - q.records)[0];
  const perRecord = base
    ? ((map.rss_mb - base.rss_mb) * 2 ** 20) / largest
    : smallest
      ? ((map.rss_mb - smallest.rss_mb) * 2 ** 20) / (largest - smallest.records)
      : null;
  const known = perRecord !== null && perRecord > 0 && largest >= MIN_RECORDS_FOR_ESTIMATE;
  return {
    ...{ rss_mb: map.rss_mb, records: largest },
    per_record_bytes: known ? perRecord : null,
    fits_records: known ? (results.machine.mem * 0.5) / (perRecord as number) : null,
  };
}

function lookupCriteria(results: Results, largest: number) {
  const at = (w: string) =>
    results.runs.filter((r) => r.workload === w && r.records === largest && r.approach !== "null");
  const cell = (r: Run) => ({ approach: r.approach, rps: r.rps });
  const how = (a: string) => results.email_lookup?.[a] ?? "";
  const emails = at("by-email");
  const joins = at("user-orders");
  const without = [
    ...new Set(
      (results.skipped ?? []).filter((c) => c.workload === "user-orders").map((c) => c.approach),
    ),
  ];
  return {
    by_email: emails.length
      ? {
          scans: emails.filter((r) => /scan/.test(how(r.approach))).map(cell),
          indexed: emails.filter((r) => !/scan/.test(how(r.approach))).map(cell),
        }
      : null,
    join:
      joins.length || without.length
        ? { cells: joins.map((r) => ({ ...cell(r), ratio_to_null: r.ratio_to_null })), without }
        : null,
  };
}

function atomicCriterion(results: Results): Criteria["atomic"] {
  const runs = results.orders?.results.runs;
  if (!runs?.length) return null;
  const taking = runs.filter((r) => r.takes_orders);
  return {
    crash_safe: taking
      .filter((r) => r.crash.length && r.crash.every((c) => c.invariant_broken === 0))
      .map((r) => r.approach),
    race_safe: taking.filter((r) => r.race?.holds).map((r) => r.approach),
    oversold: taking
      .filter((r) => r.race && !r.race.holds)
      .map((r) => ({ approach: r.approach, units: r.race?.oversold_units ?? 0 })),
    without: runs.filter((r) => !r.takes_orders).map((r) => r.approach),
  };
}

function processesCriterion(results: Results): Criteria["processes"] {
  const c = results.contention?.results.runs ?? [];
  if (!c.length) return null;
  return {
    stale: c.filter((r) => r.stale_reads > 0 || r.diverged).map((r) => r.approach),
    coherent: c
      .filter((r) => r.stale_reads === 0 && !r.diverged && r.errors_5xx === 0)
      .map((r) => r.approach),
    busy: c.filter((r) => r.busy > 0).map((r) => ({ approach: r.approach, busy: r.busy })),
  };
}

function databaseCriteria(results: Results, largest: number): Criteria {
  return {
    ram: ramCriterion(results, largest),
    ...lookupCriteria(results, largest),
    atomic: atomicCriterion(results),
    processes: processesCriterion(results),
    servers: results.topology?.results.runs ?? [],
  };
}

/**
 * The app the bench's own recommendation is for: the bench's assumptions, one process, one
 * server, reads and writes by id, acknowledged writes that must survive a power loss.
 */
export function benchProfile(results: Results, targetDau: number, records: number): Profile {
  const a = results.assumptions;
  return {
    ...{ name: `${targetDau} daily active users`, daily_active_users: targetDau },
    ...{ requests_per_user: a.requestsPerUserPerDay, peak_factor: a.peakFactor },
    ...{ write_share: a.writeShare, records, processes: 1, servers: 1 },
    ...{ needs: [], survive: "power-loss", restart_s_max: RESTART_S_MAX_DEFAULT },
    ...{ stale_read_ms: STALE_READ_MS_DEFAULT, horizon_days: HORIZON_DAYS_DEFAULT },
    failover_s_max: FAILOVER_S_MAX_DEFAULT,
  };
}
