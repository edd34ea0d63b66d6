// npm run bench: every approach × workload × dataset size, each cell in a fresh server on
// a fresh copy of a seeded dataset, with a warm-up and a measured phase, repeated; then
// results.json, report.md and report.html from what was measured.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { defineCommand, runMain } from "citty";
import { APPROACHES, type Approach, isApproach } from "../stores/index.ts";
import { compareRuns, formatComparison } from "./compare.ts";
import type { ContentionResults } from "./contention.ts";
import type { DurabilityResults } from "./crash.ts";
import { ensureDataset, prepareCellDir } from "./datasets.ts";
import { checkAssumptions, type DauAssumptions, DEFAULT_ASSUMPTIONS } from "./dau.ts";
import {
  chooseTool,
  describeLoad,
  insertUsers,
  type LoadSpec,
  runLoad,
  type Tool,
  WORKLOADS,
  type Workload,
} from "./load.ts";
import { describeMachine, measureFsyncUnderLoadUs, measureFsyncUs } from "./machine.ts";
import type { OrdersResults } from "./orders-check.ts";
import { cpuCores, sampleProcess } from "./proc.ts";
import { writeReports } from "./report.ts";
import type { Results, Sample } from "./results.ts";
import { DEFAULT_SEED } from "./seed.ts";
import { type ServerProcess, startServer } from "./server-process.ts";
import { cellKey, summarise } from "./summary.ts";
import type { TopologyResults } from "./topology.ts";
import { PROJECT_ROOT } from "./wrk.ts";

export interface BenchOptions {
  approaches: Approach[];
  workloads: Workload[];
  records: number[];
  repeat: number;
  warmupS: number;
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
  outDir: string;
  assumptions: DauAssumptions;
  /** Target DAU for the recommendation. */
  targetDau: number;
}

interface Cell {
  approach: Approach;
  workload: Workload;
  records: number;
  repeat: number;
}

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
      for (const workload of o.workloads)
        for (const approach of o.approaches) cells.push({ approach, workload, records, repeat });
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

function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s` : `${s}s`;
}

const log = (message: string) => process.stderr.write(`${message}\n`);

export async function runBench(o: BenchOptions, signal: AbortSignal): Promise<Results> {
  const started = new Date();
  mkdirSync(o.workDir, { recursive: true });
  const cells = planCells(o);
  const datasets = new Map<number, string>();
  for (const records of o.records) {
    if (signal.aborted) break;
    datasets.set(records, ensureDataset(o.workDir, records, o.seed).dir);
  }
  const fsync = measureFsyncUs(o.workDir);
  const fsyncCeiling = 1e6 / fsync.fsync_us;
  const fsyncLoadedUs = await measureFsyncUnderLoadUs(o.workDir);
  log(
    `fsync ceiling on ${o.workDir}: ${fsync.fsync_us.toFixed(0)} µs per append+fsync (${fsyncCeiling.toFixed(0)}/s); ` +
      `with a core busy: ${fsyncLoadedUs.toFixed(0)} µs (${(1e6 / fsyncLoadedUs).toFixed(0)}/s)`,
  );

  const loadBase = {
    tool: o.tool,
    connections: o.connections,
    threads: o.threads,
    durationS: o.durationS,
    timeoutS: o.timeoutS,
    rate: o.rate,
    writeShare: o.assumptions.writeShare,
  };
  const samples: Sample[] = [];
  const durability = new Map<string, string>();
  const cellDir = join(o.workDir, "cell");
  const tookS = new Map<string, number[]>();
  let error: string | undefined;
  let done = 0;

  for (const [i, cell] of cells.entries()) {
    if (signal.aborted) break;
    const leftS = estimateLeftS(cells.slice(i), tookS);
    const left = Number.isFinite(leftS) ? ` · about ${formatDuration(leftS)} left` : "";
    const cellStarted = performance.now();
    log(
      `[${done + 1}/${cells.length}] ${cell.approach} ${cell.workload} ${cell.records.toLocaleString("en")} records` +
        `${o.repeat > 1 ? ` (repeat ${cell.repeat}/${o.repeat})` : ""}${left}`,
    );
    const dataset = datasets.get(cell.records) as string;
    let server: ServerProcess | undefined;
    try {
      await prepareCellDir(dataset, cellDir, cell.approach);
      server = await startServer({ approach: cell.approach, dataDir: cellDir });
      const health = (await (await fetch(`${server.url}/health`)).json()) as {
        durability: { survives: string };
      };
      durability.set(cell.approach, health.durability.survives);
      const spec: LoadSpec = {
        ...loadBase,
        url: server.url,
        workload: cell.workload,
        dataset,
        signal,
      };
      if (o.inserts > 0) await insertUsers(server.url, o.inserts, signal);
      if (o.warmupS > 0) await runLoad({ ...spec, durationS: o.warmupS });
      const before = sampleProcess(server.pid);
      const result = await runLoad(spec);
      const after = sampleProcess(server.pid);
      const stats = (await (await fetch(`${server.url}/health`)).json()) as {
        avg_batch?: number;
        max_batch?: number;
      };
      samples.push({
        ...cell,
        rps: result.rps,
        requests: result.requests,
        duration_s: result.duration_s,
        latency_ms: {
          p50: result.latency_ms.p50,
          p90: result.latency_ms.p90,
          p99: result.latency_ms.p99,
          p999: result.latency_ms.p999,
        },
        non2xx: result.non2xx,
        errors: result.errors,
        peak_rss_bytes: after?.peak_rss_bytes ?? 0,
        cpu_cores: before && after ? cpuCores(before, after) : 0,
        write_bytes: before && after ? after.write_bytes - before.write_bytes : 0,
        startup_ms: server.startup_ms,
        inserted: o.inserts,
        ...(stats.avg_batch !== undefined
          ? { avg_batch: stats.avg_batch, max_batch: stats.max_batch }
          : {}),
      });
      done++;
      const key = cellKey(cell);
      tookS.set(key, [...(tookS.get(key) ?? []), (performance.now() - cellStarted) / 1000]);
    } catch (err) {
      // An interrupted cell is simply not counted. Any other failure ends the run, but the
      // cells that finished are still reported, with the error.
      if (!signal.aborted) {
        error = `${cell.approach} ${cell.workload} ${cell.records} records: ${(err as Error).message}\n${server?.stderr() ?? ""}`;
        log(`the run failed: ${error}`);
        break;
      }
    } finally {
      await server?.stop();
      rmSync(cellDir, { recursive: true, force: true });
    }
  }

  return {
    needadb_results: 1,
    started_at: started.toISOString(),
    finished_at: new Date().toISOString(),
    complete: done === cells.length,
    ...(error ? { error } : {}),
    cells_total: cells.length,
    cells_done: done,
    machine: describeMachine(o.workDir),
    fsync_us: fsync.fsync_us,
    fsync_ceiling_rps: fsyncCeiling,
    fsync_loaded_us: fsyncLoadedUs,
    load: {
      tool: o.tool,
      model: o.rate ? "open" : "closed",
      rate: o.rate ?? null,
      connections: o.connections,
      threads: o.tool === "wrk" ? o.threads : 1,
      warmup_s: o.warmupS,
      duration_s: o.durationS,
      timeout_s: o.timeoutS,
      commands: Object.fromEntries(
        WORKLOADS.map((w) => [w, describeLoad({ ...loadBase, workload: w })]),
      ) as Record<Workload, string>,
    },
    settings: {
      approaches: o.approaches,
      workloads: o.workloads,
      records: o.records,
      repeat: o.repeat,
      seed: o.seed,
      inserts: o.inserts,
    },
    assumptions: o.assumptions,
    runs: summarise(samples, o.tool, durability, fsyncCeiling),
    samples,
  };
}

/** The newest <dir>/<time>/<file> (such as crash-results/…/durability.json), if that lab has been run here. */
function newestLabFile(dirName: string, file: string): string | undefined {
  const dir = resolve(dirName);
  if (!existsSync(dir)) return undefined;
  const runs = readdirSync(dir)
    .filter((d) => existsSync(join(dir, d, file)))
    .sort();
  return runs.length ? join(dir, runs.at(-1) as string, file) : undefined;
}

/** The file a --durability/--contention/--topology flag names: given, newest, or 'none'. */
function labFile(arg: string | undefined, dirName: string, file: string): string | undefined {
  return arg === "none" ? undefined : (arg ?? newestLabFile(dirName, file));
}

function list(value: string, flag: string): string[] {
  const items = value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (items.length === 0) throw new Error(`${flag} needs at least one value`);
  return items;
}

function positive(value: string, flag: string, { integer = false, min = 0 } = {}): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || (integer && !Number.isInteger(n))) {
    throw new Error(
      `${flag} must be ${integer ? "a whole number" : "a number"} of at least ${min}, not "${value}"`,
    );
  }
  return n;
}

const command = defineCommand({
  meta: {
    name: "npm run bench --",
    description:
      "Measure every approach's reads and writes on this machine and write results.json, report.md and report.html. Each cell runs a fresh server on a fresh copy of a seeded dataset, warms up, then measures. Ctrl-C stops cleanly and still writes what finished.",
  },
  args: {
    quick: {
      type: "boolean",
      description: "1,000 and 100,000 records, short phases, 1 repeat (about 2 minutes)",
    },
    approaches: {
      type: "string",
      description: `comma-separated; default all: ${APPROACHES.join(",")}`,
      valueHint: "a,b",
    },
    workloads: {
      type: "string",
      description: "comma-separated from read,write,mixed; default all",
      valueHint: "w,w",
    },
    records: {
      type: "string",
      description: "dataset sizes, comma-separated (default 1000,1000000)",
      valueHint: "N,N",
    },
    repeat: {
      type: "string",
      description: "measure each cell this many times and report the median (default 3)",
      valueHint: "N",
    },
    duration: {
      type: "string",
      description: "seconds measured per cell (default 2; --quick 1)",
      valueHint: "S",
    },
    warmup: {
      type: "string",
      description: "seconds of warm-up per cell, not measured (default 1)",
      valueHint: "S",
    },
    connections: {
      type: "string",
      description: "concurrent connections (default 50, as in the course)",
      valueHint: "N",
    },
    threads: {
      type: "string",
      description: "wrk threads (default 1: the server needs the other core)",
      valueHint: "N",
    },
    inserts: {
      type: "string",
      description:
        "POST this many new users to each cell before its warm-up, on top of the seeded records (default 0)",
      valueHint: "N",
    },
    rate: {
      type: "string",
      description:
        "open model: a fixed arrival rate in requests/s, latency corrected for coordinated omission (uses autocannon)",
      valueHint: "N",
    },
    tool: {
      type: "string",
      description: "wrk or autocannon (default: wrk if installed)",
      valueHint: "NAME",
    },
    seed: { type: "string", description: `dataset seed (default ${DEFAULT_SEED})`, valueHint: "N" },
    out: {
      type: "string",
      description: "output directory (default bench-results/<timestamp>)",
      valueHint: "DIR",
    },
    "work-dir": {
      type: "string",
      description:
        "where datasets are cached and cells run; its filesystem is the one measured (default .bench-data)",
      valueHint: "DIR",
    },
    compare: {
      type: "string",
      description: "an earlier results.json: print the change per cell after the run",
      valueHint: "OLD.json",
    },
    against: {
      type: "string",
      description: "with --compare: compare this results.json instead of running",
      valueHint: "NEW.json",
    },
    durability: {
      type: "string",
      description:
        "durability.json from npm run crash, shown as the measured durability column (default: the newest in crash-results/; 'none' for none)",
      valueHint: "FILE",
    },
    contention: {
      type: "string",
      description:
        "contention.json from npm run contention, shown in the report (default: the newest in contention-results/; 'none' for none)",
      valueHint: "FILE",
    },
    orders: {
      type: "string",
      description:
        "orders.json from npm run orders-check, shown in the report (default: the newest in orders-results/; 'none' for none)",
      valueHint: "FILE",
    },
    topology: {
      type: "string",
      description:
        "topology.json from npm run topology, shown in the report (default: the newest in topology-results/; 'none' for none)",
      valueHint: "FILE",
    },
    "requests-per-user": {
      type: "string",
      description: `DAU assumption: requests per user per day (default ${DEFAULT_ASSUMPTIONS.requestsPerUserPerDay})`,
      valueHint: "N",
    },
    "peak-factor": {
      type: "string",
      description: `DAU assumption: peak load over average (default ${DEFAULT_ASSUMPTIONS.peakFactor})`,
      valueHint: "N",
    },
    "write-share": {
      type: "string",
      description: `share of writes in the mixed workload and the DAU maths (default ${DEFAULT_ASSUMPTIONS.writeShare})`,
      valueHint: "F",
    },
    "target-dau": {
      type: "string",
      description: "daily active users the recommendation aims at (default 100000)",
      valueHint: "N",
    },
  },
  async run({ args }) {
    if (args.compare && args.against) {
      const old = JSON.parse(readFileSync(args.compare, "utf8")) as Results;
      const now = JSON.parse(readFileSync(args.against, "utf8")) as Results;
      process.stdout.write(formatComparison(compareRuns(old.runs, now.runs)));
      return;
    }
    const quick = Boolean(args.quick);
    const approaches = args.approaches ? list(args.approaches, "--approaches") : APPROACHES;
    for (const a of approaches) {
      if (!isApproach(a))
        throw new Error(`unknown approach "${a}"; choose from ${APPROACHES.join(", ")}`);
    }
    const workloads = args.workloads ? list(args.workloads, "--workloads") : [...WORKLOADS];
    for (const w of workloads) {
      if (!(WORKLOADS as readonly string[]).includes(w))
        throw new Error(`unknown workload "${w}"; choose from ${WORKLOADS.join(", ")}`);
    }
    const records = (
      args.records
        ? list(args.records, "--records")
        : quick
          ? ["1000", "100000"]
          : ["1000", "1000000"]
    ).map((r) => positive(r, "--records", { integer: true, min: 1 }));
    const rate = args.rate ? positive(args.rate, "--rate", { min: 1 }) : undefined;
    const assumptions: DauAssumptions = {
      requestsPerUserPerDay: args["requests-per-user"]
        ? positive(args["requests-per-user"], "--requests-per-user")
        : DEFAULT_ASSUMPTIONS.requestsPerUserPerDay,
      peakFactor: args["peak-factor"]
        ? positive(args["peak-factor"], "--peak-factor")
        : DEFAULT_ASSUMPTIONS.peakFactor,
      writeShare: args["write-share"]
        ? positive(args["write-share"], "--write-share")
        : DEFAULT_ASSUMPTIONS.writeShare,
    };
    checkAssumptions(assumptions);
    const stamp = new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19);
    const options: BenchOptions = {
      approaches: approaches as Approach[],
      workloads: workloads as Workload[],
      records,
      repeat: args.repeat
        ? positive(args.repeat, "--repeat", { integer: true, min: 1 })
        : quick
          ? 1
          : 3,
      durationS: args.duration
        ? positive(args.duration, "--duration", { integer: true, min: 1 })
        : quick
          ? 1
          : 2,
      warmupS: args.warmup ? positive(args.warmup, "--warmup", { integer: true }) : 1,
      timeoutS: 10,
      connections: args.connections
        ? positive(args.connections, "--connections", { integer: true, min: 1 })
        : 50,
      threads: args.threads ? positive(args.threads, "--threads", { integer: true, min: 1 }) : 1,
      rate,
      inserts: args.inserts ? positive(args.inserts, "--inserts", { integer: true, min: 0 }) : 0,
      tool: chooseTool(args.tool, rate),
      seed: args.seed ? positive(args.seed, "--seed", { integer: true }) : DEFAULT_SEED,
      workDir: resolve(args["work-dir"] ?? join(PROJECT_ROOT, ".bench-data")),
      outDir: resolve(args.out ?? join("bench-results", stamp)),
      assumptions,
      targetDau: args["target-dau"]
        ? positive(args["target-dau"], "--target-dau", { integer: true, min: 1 })
        : 100_000,
    };
    log(
      `needadb bench: ${options.approaches.length} approaches × ${options.workloads.length} workloads × ${options.records.length} sizes × ${options.repeat} repeats, ` +
        `${options.tool}, ${rate ? `open model at ${rate} req/s` : "closed model"}, results in ${options.outDir}`,
    );

    const abort = new AbortController();
    const interrupt = (signal: NodeJS.Signals) => {
      if (abort.signal.aborted) process.exit(130);
      log(
        `\n${signal}: stopping the current cell; the finished cells will still be written (again to quit at once)`,
      );
      abort.abort();
    };
    process.on("SIGINT", interrupt);
    process.on("SIGTERM", interrupt);

    const results = await runBench(options, abort.signal);
    const durabilityFile = labFile(args.durability, "crash-results", "durability.json");
    if (durabilityFile) {
      const d = JSON.parse(readFileSync(durabilityFile, "utf8")) as DurabilityResults;
      results.durability = { file: durabilityFile, runs: d.runs };
      log(`measured durability from ${durabilityFile}`);
    }
    const labResults = <T>(arg: string | undefined, dirName: string, name: string) => {
      const file = labFile(arg, dirName, name);
      if (file) log(`${name} from ${file}`);
      return file ? { file, results: JSON.parse(readFileSync(file, "utf8")) as T } : undefined;
    };
    const contention = labResults<ContentionResults>(
      args.contention,
      "contention-results",
      "contention.json",
    );
    if (contention) results.contention = contention;
    const topology = labResults<TopologyResults>(
      args.topology,
      "topology-results",
      "topology.json",
    );
    if (topology) results.topology = topology;
    const orders = labResults<OrdersResults>(args.orders, "orders-results", "orders.json");
    if (orders) results.orders = orders;
    const files = writeReports(results, options.outDir, options.targetDau);
    log(
      `${results.complete ? "done" : `interrupted after ${results.cells_done} of ${results.cells_total} cells`}: ${files.join(", ")}`,
    );
    if (args.compare) {
      const old = JSON.parse(readFileSync(args.compare, "utf8")) as Results;
      process.stdout.write(formatComparison(compareRuns(old.runs, results.runs)));
    }
    if (results.error) process.exitCode = 1;
    else if (!results.complete) process.exitCode = 130;
  },
});

if (import.meta.main) await runMain(command);
