// The benchmark: every approach × workload × dataset size, each cell in a fresh server on a
// fresh copy of a seeded dataset, with a warm-up and a measured phase, repeated (YCSB's
// workload × binding × measurement). It returns results.json's data; reports are elsewhere.
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type Approach, codeOf, loadStore } from "../../stores/index.ts";
import { withCell } from "../harness/cell.ts";
import { get, health } from "../harness/client.ts";
import { ensureDataset } from "../harness/datasets.ts";
import { measureFloor } from "../harness/floor.ts";
import {
  describeMachine,
  measureFsyncUnderLoadUs,
  measureFsyncUs,
  treeBytes,
} from "../harness/machine.ts";
import { cpuCores, sampleProcess } from "../harness/proc.ts";
import { formatDuration } from "../harness/progress.ts";
import { ORDERED_IDS_FILE } from "../harness/seed.ts";
import {
  BARE_ENTRY,
  BARE_NAME,
  type ServerProcess,
  startServer,
} from "../harness/server-process.ts";
import { insertUsers } from "../load/autocannon.ts";
import { describeLoad, type LoadSpec } from "../load/load.ts";
import type {
  Declared,
  FailedCell,
  Floor,
  Results,
  Sample,
  SkippedCell,
} from "../results/bench.ts";
import type { DauAssumptions } from "../results/dau.ts";
import { type Tool, WORKLOADS, type Workload } from "../results/load.ts";
import { COMPARE_MS, SAMPLE_MS } from "../results/steady.ts";
import { cellKey, summarise } from "../results/summary.ts";
import { measureWindow, warmUp } from "./steady-load.ts";

export interface BenchOptions {
  approaches: Approach[];
  workloads: Workload[];
  records: number[];
  repeat: number;
  /** The warm-up's minimum and its cap (experiments/steady-load.ts); a cap of 0 skips it. */
  warmupS: number;
  warmupMaxS: number;
  /** The span each side of the warm-up rule compares, in ms. */
  warmupCompareMs: number;
  durationS: number;
  timeoutS: number;
  connections: number;
  threads: number;
  rate?: number;
  /** Users POSTed to every cell before its warm-up, on top of the seeded records. */
  inserts: number;
  tool: Tool;
  seed: number;
  workDir: string;
  assumptions: DauAssumptions;
  log: (m: string) => void;
  /** The cells to measure, in order, instead of the whole matrix (planCells). */
  cells?: Cell[];
  /** Cells measured before (a machine's calibration): kept, not measured again; new ones put. */
  cache?: CellCache;
  /** Also measure each store's in-process floor at the largest size (harness/floor.ts). */
  floor?: boolean;
  /** New users' ids in every cell: v4 (random, the default) or v7 (time-ordered). */
  userIds?: "v4" | "v7";
}

/** Where finished cells are kept between runs (harness/calibration-store.ts). */
export interface CellCache {
  get(cell: Cell, o: BenchOptions): CellOutcome | undefined;
  put(cell: Cell, o: BenchOptions, outcome: CellOutcome, took_s: number): void;
}

/**
 * Each cell's phases, full or quick: repeats, the measured window, and the warm-up's minimum
 * and cap. The cap bounds what a store that never settles costs; such a cell is then
 * judged by its window, and flagged if that still trends.
 */
export function phaseDefaults(quick: boolean) {
  return quick
    ? { repeat: 1, durationS: 1, warmupS: 1, warmupMaxS: 10, warmupCompareMs: COMPARE_MS / 2 }
    : { repeat: 3, durationS: 2, warmupS: 1, warmupMaxS: 30, warmupCompareMs: COMPARE_MS };
}

export interface Cell {
  /** An approach, or BARE_NAME: the bare node:http ceiling, measured for reads and writes. */
  approach: Approach | typeof BARE_NAME;
  workload: Workload;
  records: number;
  repeat: number;
}

/** The bare node:http server answers reads and writes only: what `null` is compared with. */
const CEILING_WORKLOADS: readonly Workload[] = ["read", "write"];

/**
 * Repeats are the outer loop and approaches the inner one, so each repeat measures every
 * approach close together in time: a slow minute on a shared machine then hits all of them,
 * not one approach's every repeat, and ratios to `null` stay fair.
 */
export function planCells(
  o: Pick<BenchOptions, "approaches" | "workloads" | "records" | "repeat">,
): Cell[] {
  const cells: Cell[] = [];
  for (let repeat = 1; repeat <= o.repeat; repeat++)
    for (const records of o.records)
      for (const workload of o.workloads) {
        for (const approach of o.approaches) cells.push({ approach, workload, records, repeat });
        // Beside the last approach (`null`, the app's own ceiling, comes last), so both
        // ceilings meet the machine in the same state.
        if (CEILING_WORKLOADS.includes(workload))
          cells.push({ approach: BARE_NAME, workload, records, repeat });
      }
  return cells;
}

/**
 * Seconds the remaining cells should take: each at the time its own cell took in an earlier
 * repeat, else at the average for its dataset size (start-up and copies grow with it), else
 * at the average so far.
 */
export function estimateLeftS(
  remaining: readonly Cell[],
  tookS: ReadonlyMap<string, number[]>,
): number {
  const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const all = [...tookS.values()].flat();
  if (all.length === 0) return Number.NaN;
  const bySize = new Map<number, number[]>();
  for (const [key, xs] of tookS) {
    const size = Number(key.split("|")[2]);
    bySize.set(size, [...(bySize.get(size) ?? []), ...xs]);
  }
  return remaining.reduce((sum, c) => {
    const own = tookS.get(cellKey(c));
    const size = bySize.get(c.records);
    return sum + (own ? avg(own) : size ? avg(size) : avg(all));
  }, 0);
}

type LoadBase = Omit<LoadSpec, "url" | "workload" | "dataset" | "signal">;

function loadBase(o: BenchOptions): LoadBase {
  return {
    ...{ tool: o.tool, connections: o.connections, threads: o.threads, durationS: o.durationS },
    ...{ timeoutS: o.timeoutS, rate: o.rate, writeShare: o.assumptions.writeShare },
  };
}

/** What one cell gave: its sample, or why the store cannot run its workload; and its facts. */
export interface CellOutcome {
  sample?: Sample;
  skipped?: string;
  claim: string;
  emailLookup?: string;
}

/** Why the server cannot run this workload (it answers 501, as for orders), or undefined. */
async function unsupported(url: string, workload: Workload, dataset: string) {
  if (workload !== "user-orders") return undefined;
  const [id] = readFileSync(join(dataset, ORDERED_IDS_FILE), "utf8").split("\n", 1);
  const answer = await get(url, `/users/${id}/orders`);
  return answer.status === 501 ? (JSON.parse(answer.text) as { error: string }).error : undefined;
}

/**
 * The warm-up until the rate is steady, then the measured phase, with the server's CPU,
 * memory and writes around it and its rate sampled through both.
 */
async function measureLoad(
  server: ServerProcess,
  cell: Cell,
  spec: LoadSpec,
  o: BenchOptions,
  dataDir?: string,
): Promise<Sample> {
  if (o.inserts > 0) await insertUsers(server.url, o.inserts, spec.signal);
  const warm =
    o.warmupMaxS > 0
      ? await warmUp(server, spec, {
          ...{ min_s: o.warmupS, max_s: o.warmupMaxS, compare_ms: o.warmupCompareMs },
        })
      : { s: 0, settled: false, rps: [] };
  const before = sampleProcess(server.pid);
  const { result, rps, steadiness } = await measureWindow(server, spec);
  const after = sampleProcess(server.pid);
  const stats = await health(server.url);
  const { p50, p90, p99, p999 } = result.latency_ms;
  return {
    ...cell,
    ...(cell.workload === "mixed" ? { write_share: o.assumptions.writeShare } : {}),
    ...{ rps: result.rps, requests: result.requests, duration_s: result.duration_s },
    latency_ms: { p50, p90, p99, p999 },
    ...{ non2xx: result.non2xx, errors: result.errors },
    peak_rss_bytes: after?.peak_rss_bytes ?? 0,
    ...(after ? { anon_bytes: after.anon_bytes } : {}),
    cpu_cores: before && after ? cpuCores(before, after) : 0,
    write_bytes: before && after ? after.write_bytes - before.write_bytes : 0,
    ...{ startup_ms: server.startup_ms, inserted: o.inserts, records_held: stats.records },
    ...(result.generator_cpu_cores !== undefined
      ? { generator_cpu_cores: result.generator_cpu_cores }
      : {}),
    ...(stats.avg_batch !== undefined
      ? { avg_batch: stats.avg_batch, max_batch: stats.max_batch }
      : {}),
    ...{ warmup_s: warm.s, warmup_settled: warm.settled },
    series: { interval_ms: SAMPLE_MS, warmup_rps: warm.rps, window_rps: rps },
    ...(dataDir ? { disk_bytes: treeBytes(dataDir) } : {}),
    ...{ steady: steadiness.steady, trend: steadiness.trend, noise: steadiness.noise },
  };
}

/** The spec of a cell's load, against `url`. */
function cellSpec(o: BenchOptions, cell: Cell, url: string, dataset: string, signal: AbortSignal) {
  return { ...loadBase(o), url, workload: cell.workload, dataset, signal };
}

/**
 * The bare node:http ceiling's cell: the same warm-up and window as any cell, against a
 * server that keeps nothing (so it needs no copy of the dataset, only its ids for reads).
 */
async function measureCeiling(cell: Cell, dataset: string, o: BenchOptions, signal: AbortSignal) {
  const server = await startServer({ approach: BARE_NAME, entry: BARE_ENTRY, dataDir: o.workDir });
  try {
    const spec = cellSpec(o, cell, server.url, dataset, signal);
    return { sample: await measureLoad(server, cell, spec, o), claim: "nothing" };
  } finally {
    await server.stop();
  }
}

/** One cell: a fresh server on a fresh copy, warm-up, then the measured phase. */
async function measureCell(
  cell: Cell & { approach: Approach },
  dataset: string,
  o: BenchOptions,
  signal: AbortSignal,
): Promise<CellOutcome> {
  const where = { approach: cell.approach, dataset, dir: join(o.workDir, "cell"), log: o.log };
  return withCell(where, async ({ dir, env }) => {
    const ids: Record<string, string> = o.userIds ? { USER_IDS: o.userIds } : {};
    const server = await startServer({
      approach: cell.approach,
      dataDir: dir,
      env: { ...env, ...ids },
    });
    try {
      const h = await health(server.url);
      const facts = {
        claim: h.durability.survives,
        emailLookup: h.email_lookup as string | undefined,
      };
      const skipped = await unsupported(server.url, cell.workload, dataset);
      if (skipped) return { skipped, ...facts };
      const spec = cellSpec(o, cell, server.url, dataset, signal);
      const sample = await measureLoad(server, cell, spec, o, dir);
      if (!signal.aborted) assertAsked(sample, o.tool);
      return { sample, ...facts };
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${server.stderr()}`);
    } finally {
      await server.stop();
    }
  });
}

/** Below this share of a core, a server under load was not being asked anything. */
const IDLE_CORES = 0.05;

/**
 * A cell whose load generator got no answer while the server sat idle measured the harness,
 * not the store: the requests never reached it. It fails, so that it is never read as the
 * store's rate (a store too slow to answer within the window is busy, and stays a result).
 */
export function assertAsked(sample: Sample, tool: Tool): void {
  if (sample.requests > 0 || sample.non2xx > 0 || sample.cpu_cores >= IDLE_CORES) return;
  throw new Error(
    `harness failure: ${tool} got no answer in the measured window while the server used ${sample.cpu_cores.toFixed(2)} cores, so the store was never asked (${sample.errors} connection errors); run the cell again, and with --tool ${tool === "wrk" ? "autocannon" : "wrk"} to tell which side failed`,
  );
}

/** Cells that fail one after another before the run stops: the harness itself is broken. */
const FAILED_IN_A_ROW_MAX = 3;

export interface Progress {
  samples: Sample[];
  /** The bare node:http server's cells. */
  ceilings: Sample[];
  skipped: Map<string, SkippedCell>;
  claims: Map<string, string>;
  emailLookups: Map<string, string>;
  done: number;
  error?: string;
  failed: FailedCell[];
}

export function newProgress(): Progress {
  return {
    ...{ samples: [], ceilings: [], skipped: new Map(), claims: new Map() },
    ...{ emailLookups: new Map(), done: 0, failed: [] },
  };
}

/** Takes what a cell gave into the run's progress. */
export function record(p: Progress, cell: Cell, outcome: CellOutcome): void {
  p.done++;
  if (cell.approach === BARE_NAME) {
    if (outcome.sample) p.ceilings.push(outcome.sample);
    return;
  }
  if (outcome.sample) p.samples.push(outcome.sample);
  if (outcome.skipped) {
    const { approach, workload, records } = cell;
    p.skipped.set(cellKey(cell), { approach, workload, records, reason: outcome.skipped });
  }
  p.claims.set(cell.approach, outcome.claim);
  if (outcome.emailLookup) p.emailLookups.set(cell.approach, outcome.emailLookup);
}

/** Every cell in turn, until finished, failed or interrupted. */
async function measureCells(
  cells: Cell[],
  datasets: Map<number, string>,
  o: BenchOptions,
  signal: AbortSignal,
): Promise<Progress> {
  const p = newProgress();
  let inARow = 0;
  const tookS = new Map<string, number[]>();
  for (const [i, cell] of cells.entries()) {
    if (signal.aborted) break;
    const kept = o.cache?.get(cell, o);
    if (kept) {
      record(p, cell, kept);
      continue;
    }
    const leftS = estimateLeftS(cells.slice(i), tookS);
    const left = Number.isFinite(leftS) ? ` · about ${formatDuration(leftS)} left` : "";
    const repeat = o.repeat > 1 ? ` (repeat ${cell.repeat}/${o.repeat})` : "";
    o.log(
      `[${p.done + 1}/${cells.length}] ${cell.approach} ${cell.workload} ${cell.records.toLocaleString("en")} records${repeat}${left}`,
    );
    const started = performance.now();
    try {
      const dataset = datasets.get(cell.records) as string;
      const outcome =
        cell.approach === BARE_NAME
          ? await measureCeiling(cell, dataset, o, signal)
          : await measureCell({ ...cell, approach: cell.approach }, dataset, o, signal);
      record(p, cell, outcome);
      inARow = 0;
      const key = cellKey(cell);
      const took = (performance.now() - started) / 1000;
      tookS.set(key, [...(tookS.get(key) ?? []), took]);
      if (!signal.aborted) o.cache?.put(cell, o, outcome, took);
    } catch (err) {
      // An interrupted cell is simply not counted. A failed one is recorded and the run goes
      // on, unless cells keep failing: then the harness, not a store, is what is broken.
      if (signal.aborted) break;
      const error = `${cell.approach} ${cell.workload} ${cell.records} records: ${(err as Error).message}`;
      p.error ??= error;
      p.failed.push({ ...cell, error });
      o.log(`a cell failed: ${error}`);
      if (++inARow >= FAILED_IN_A_ROW_MAX) {
        o.log(`${inARow} cells failed in a row: stopping the run`);
        break;
      }
    }
  }
  return p;
}

/** What each approach's store module declares, for the decision. */
export async function declarations(
  approaches: readonly Approach[],
): Promise<Record<string, Declared>> {
  const entries = await Promise.all(
    approaches.map(async (a) => {
      const store = await loadStore(a);
      const declared: Declared = {
        ...{ service: Boolean(store.service), many: store.processes.many },
        ...{ simplicity: store.simplicity, files: [...store.files], code: codeOf(a) },
        ...(store.ceiling ? { ceiling: true } : {}),
        ...(store.settings ? { settings: { ...store.settings } } : {}),
      };
      if (store.engine) declared.engine = store.engine;
      return [a, declared] as const;
    }),
  );
  return Object.fromEntries(entries);
}

/** The fsync ceiling of the work dir's filesystem: idle, and with a core kept busy. */
export interface FsyncCeiling {
  fsync_us: number;
  fsync_ceiling_rps: number;
  fsync_loaded_us: number;
}

export async function measureFsync(
  o: Pick<BenchOptions, "workDir" | "log">,
): Promise<FsyncCeiling> {
  const idle = measureFsyncUs(o.workDir).fsync_us;
  const loaded = await measureFsyncUnderLoadUs(o.workDir);
  o.log(
    `fsync ceiling on ${o.workDir}: ${idle.toFixed(0)} µs per append+fsync (${(1e6 / idle).toFixed(0)}/s); ` +
      `with a core busy: ${loaded.toFixed(0)} µs (${(1e6 / loaded).toFixed(0)}/s)`,
  );
  return { fsync_us: idle, fsync_ceiling_rps: 1e6 / idle, fsync_loaded_us: loaded };
}

/** Measures `o.cells` (or the whole matrix), each on its seeded dataset; results.json's data. */
export async function runBench(
  o: BenchOptions,
  signal: AbortSignal,
  fsync?: FsyncCeiling,
): Promise<Results> {
  const started = new Date();
  mkdirSync(o.workDir, { recursive: true });
  const cells = o.cells ?? planCells(o);
  const datasets = new Map<number, string>();
  for (const records of new Set(cells.map((c) => c.records))) {
    if (signal.aborted) break;
    datasets.set(records, ensureDataset(o.workDir, records, o.seed).dir);
  }
  const ceiling = fsync ?? (await measureFsync(o));
  const p = await measureCells(cells, datasets, o, signal);
  const results = await assemble(o, p, ceiling, started, cells.length);
  const floors = o.floor ? await measureFloors(o, datasets, signal) : [];
  return floors.length ? { ...results, floors } : results;
}

/** Each store's in-process floor at the largest size; one that fails is logged and left out. */
async function measureFloors(o: BenchOptions, datasets: Map<number, string>, signal: AbortSignal) {
  const records = Math.max(...o.records);
  const dataset = datasets.get(records);
  const stores = o.approaches.filter((a) => a !== "null");
  const floors: Floor[] = [];
  for (const [i, approach] of stores.entries()) {
    if (signal.aborted || !dataset) break;
    o.log(
      `[floor ${i + 1}/${stores.length}] ${approach} in process, ${records.toLocaleString("en")} records`,
    );
    const dir = join(o.workDir, "cell");
    try {
      const floor = { approach, dataset, dir, records, durationS: o.durationS, log: o.log };
      floors.push(await measureFloor(floor, signal));
    } catch (err) {
      if (!signal.aborted) o.log(`  ${(err as Error).message}`);
    }
  }
  return floors;
}

/** results.json's data from what the cells gave. */
export async function assemble(
  o: BenchOptions,
  p: Progress,
  fsync: FsyncCeiling,
  started: Date,
  total: number,
): Promise<Results> {
  const threads = o.tool === "wrk" ? o.threads : 1;
  const ceilings = summarise(p.ceilings, o.tool, p.claims, fsync.fsync_ceiling_rps, threads);
  const runs = summarise(p.samples, o.tool, p.claims, fsync.fsync_ceiling_rps, threads, ceilings);
  const approaches = o.cells ? [...new Set(o.cells.map((c) => c.approach))] : o.approaches;
  const stores = approaches.filter((a): a is Approach => a !== BARE_NAME);
  return {
    needadb_results: 1,
    started_at: started.toISOString(),
    finished_at: new Date().toISOString(),
    complete: p.failed.length === 0 && p.done === total,
    ...(p.error ? { error: p.error, failed_cells: p.failed } : {}),
    ...{ cells_total: total, cells_done: p.done, machine: describeMachine(o.workDir) },
    ...fsync,
    load: {
      ...{ tool: o.tool, model: o.rate ? "open" : "closed", rate: o.rate ?? null },
      ...{ connections: o.connections, threads },
      ...{ warmup_s: o.warmupS, warmup_max_s: o.warmupMaxS, warmup_compare_ms: o.warmupCompareMs },
      ...{ duration_s: o.durationS, timeout_s: o.timeoutS },
      commands: Object.fromEntries(
        WORKLOADS.map((w) => [w, describeLoad({ ...loadBase(o), workload: w })]),
      ) as Record<Workload, string>,
    },
    settings: {
      ...{ approaches: stores, workloads: o.workloads, records: o.records },
      ...{ repeat: o.repeat, seed: o.seed, inserts: o.inserts, user_ids: o.userIds ?? "v4" },
    },
    assumptions: o.assumptions,
    runs,
    samples: p.samples,
    ...(ceilings.length ? { ceilings, ceiling_samples: p.ceilings } : {}),
    ...(p.skipped.size ? { skipped: [...p.skipped.values()] } : {}),
    email_lookup: Object.fromEntries(p.emailLookups),
    declared: await declarations(stores),
  };
}
