// Our stores beside the real engines (LMDB, LevelDB), and the speed goals the project holds
// itself to: every goal is a ratio between two cells of one run at its largest size, so a
// noisy machine moves both sides alike. Pure functions over results.json.
import type { Results, Run } from "./bench.ts";
import { NOISE_MIN } from "./growth.ts";
import type { Workload } from "./load.ts";
import { bandAround, median } from "./stats.ts";
import { afterFirstAnswer } from "./steady.ts";
import type { Valid } from "./verdict.ts";

/** What a goal compares `approach` with: `null` (HTTP only), an engine, or our fastest durable store. */
export interface SpeedGoal {
  /** An approach, or OUR_FASTEST_DURABLE. */
  approach: string;
  workload: Workload;
  versus: string;
  min: number;
  /** The same goal as CPU: the store's server µs per request over `versus`'s, at most. */
  max_added_us?: number;
}

/** Stands for whichever of our own stores that claims to survive a power loss read fastest. */
export const OUR_FASTEST_DURABLE = "fastest-durable";

export const SPEED_GOALS: readonly SpeedGoal[] = [
  {
    approach: "map",
    workload: "read",
    versus: "null",
    min: 0.9,
    max_added_us: 1.5,
  },
  {
    approach: "sqlite",
    workload: "read",
    versus: "null",
    min: 0.7,
    max_added_us: 4,
  },
  {
    approach: "binary",
    workload: "read",
    versus: "null",
    min: 0.7,
    max_added_us: 4,
  },
  {
    approach: "lsm",
    workload: "read",
    versus: "null",
    min: 0.7,
    max_added_us: 4,
  },
  { approach: "lsm", workload: "read", versus: "leveldb", min: 1 },
  {
    approach: OUR_FASTEST_DURABLE,
    workload: "read",
    versus: "lmdb",
    min: 0.9,
  },
  {
    approach: "sqlite-group",
    workload: "write",
    versus: "null",
    min: 0.8,
  },
  {
    approach: "jsonl-group",
    workload: "write",
    versus: "null",
    min: 0.8,
  },
];

export interface GoalRow extends SpeedGoal {
  /** The approach measured, when `approach` stands for a choice. */
  measured: string | null;
  ratio: number | null;
  /** Server µs per request of the store and of `versus`, and the difference. */
  us: number | null;
  versus_us: number | null;
  added_us: number | null;
  met: boolean | null;
}

export interface EngineRow {
  approach: string;
  engine: string;
  like: string | null;
  /** × null at the largest size, per workload; null where the cell was not run. */
  ratios: Partial<Record<Workload, number | null>>;
  durability: string;
  /**
   * Writes at the largest size: the rate over the first second of load (after the first
   * answer), and the measured window's, each the median over repeats. Far apart, the engine
   * starts slow, as LMDB did on a file its build had left full of free pages.
   */
  first_second_write_rps: number | null;
  write_rps: number | null;
}

/** Samples in one second of a cell's series. */
const SECOND_MS = 1000;

/** The median over repeats of the first second's rate of `approach`'s write warm-ups at the largest size. */
function firstSecondWriteRps(results: Results, approach: string): number | null {
  const size = largestOf(results.runs);
  const firsts = results.samples
    .filter((s) => s.approach === approach && s.workload === "write" && s.records === size)
    .flatMap((s) => {
      const perSecond = Math.round(SECOND_MS / s.series.interval_ms);
      const rps = afterFirstAnswer([...s.series.warmup_rps, ...s.series.window_rps]);
      return rps.length >= perSecond
        ? [rps.slice(0, perSecond).reduce((a, b) => a + b, 0) / perSecond]
        : [];
    });
  return firsts.length ? median(firsts) : null;
}

const largestOf = (runs: readonly Run[]) => Math.max(0, ...runs.map((r) => r.records));

function runOf(results: Results, approach: string, workload: Workload): Run | undefined {
  const size = largestOf(results.runs);
  return results.runs.find(
    (r) => r.approach === approach && r.workload === workload && r.records === size,
  );
}

function rpsOf(results: Results, approach: string, workload: Workload): number | null {
  return runOf(results, approach, workload)?.rps ?? null;
}

/** Of our own stores (not an engine, no service) that claim to survive a power loss, the fastest at `workload`. */
export function fastestDurable(results: Results, workload: Workload): string | null {
  const size = largestOf(results.runs);
  const declared = results.declared ?? {};
  const ours = results.runs.filter(
    (r) =>
      r.workload === workload &&
      r.records === size &&
      r.durability === "power-loss" &&
      !declared[r.approach]?.engine &&
      !declared[r.approach]?.service,
  );
  return ours.sort((a, b) => b.rps - a.rps)[0]?.approach ?? null;
}

export function goalRows(results: Results): GoalRow[] {
  return SPEED_GOALS.map((g) => {
    const measured =
      g.approach === OUR_FASTEST_DURABLE ? fastestDurable(results, g.workload) : g.approach;
    const mine = measured === null ? undefined : runOf(results, measured, g.workload);
    const theirs = runOf(results, g.versus, g.workload);
    const ratio = mine && theirs?.rps ? mine.rps / theirs.rps : null;
    const us = mine?.cpu_us_per_request ?? null;
    const versus_us = theirs?.cpu_us_per_request ?? null;
    const added_us = us !== null && versus_us !== null ? us - versus_us : null;
    const cpuMet =
      g.max_added_us === undefined || (added_us !== null && added_us <= g.max_added_us);
    const met = ratio === null ? null : ratio >= g.min && cpuMet;
    return { ...g, measured, ratio, us, versus_us, added_us, met };
  });
}

export function engineRows(results: Results): EngineRow[] {
  const declared = results.declared ?? {};
  return results.settings.approaches.flatMap((approach) => {
    const engine = declared[approach]?.engine;
    if (!engine || !results.runs.some((r) => r.approach === approach)) return [];
    const nullOf = (w: Workload) => rpsOf(results, "null", w);
    const ratios: EngineRow["ratios"] = {};
    for (const w of results.settings.workloads) {
      const rps = rpsOf(results, approach, w);
      const base = nullOf(w);
      ratios[w] = rps !== null && base ? rps / base : null;
    }
    const durability = results.runs.find((r) => r.approach === approach)?.durability ?? "";
    return [
      {
        ...{ approach, engine: engine.name, like: engine.like ?? null, ratios, durability },
        first_second_write_rps: firstSecondWriteRps(results, approach),
        write_rps: rpsOf(results, approach, "write"),
      },
    ];
  });
}

/** The goal for what HTTP and the app add to a store beyond `null`, in µs per request. */
export const OVERHEAD_US_MAX = 2;

/** A figure with the band its samples allow, at least ±NOISE_MIN of it (as estimates take it). */
const bandOf = (value: number, samples: readonly number[] | undefined) =>
  bandAround(value, samples ?? [], NOISE_MIN);

/** A store's in-process floor beside its server's CPU per request, and what HTTP adds. */
export interface FloorRow {
  approach: string;
  workload: "read" | "write";
  in_process_us: number;
  in_process_rps: number;
  server_us: number | null;
  null_us: number | null;
  /** server µs − in-process µs − null's µs: what HTTP and the app cost this store beyond null. */
  overhead_us: number | null;
  /** The overhead's band, from each of its three figures' bands. */
  overhead_low_us: number | null;
  overhead_high_us: number | null;
  /** Whether the band is within OVERHEAD_US_MAX: pass, fail, or unknown where it straddles it. */
  goal: Valid;
}

export function floorRows(results: Results): FloorRow[] {
  const largest = (approach: string, workload: Workload) =>
    results.runs
      .filter((r) => r.approach === approach && r.workload === workload)
      .sort((a, b) => b.records - a.records)[0];
  const bandOfRun = (r: Run | undefined) =>
    r?.cpu_us_per_request == null ? null : bandOf(r.cpu_us_per_request, r.cpu_us_samples);
  return (results.floors ?? []).flatMap((f) =>
    (["read", "write"] as const).map((workload) => {
      const server = bandOfRun(largest(f.approach, workload));
      const base = bandOfRun(largest("null", workload));
      const own = f[workload];
      const floor = bandOf(own.cpu_us, own.cpu_us_samples);
      const low = server && base ? server.low - floor.high - base.high : null;
      const high = server && base ? server.high - floor.low - base.low : null;
      return {
        ...{ approach: f.approach, workload, in_process_us: own.cpu_us, in_process_rps: own.rps },
        ...{ server_us: server?.value ?? null, null_us: base?.value ?? null },
        overhead_us: server && base ? server.value - floor.value - base.value : null,
        ...{ overhead_low_us: low, overhead_high_us: high },
        goal: goalOf(low, high),
      };
    }),
  );
}

function goalOf(low: number | null, high: number | null): Valid {
  if (low === null || high === null) return "unknown";
  if (high <= OVERHEAD_US_MAX) return "pass";
  return low > OVERHEAD_US_MAX ? "fail" : "unknown";
}
