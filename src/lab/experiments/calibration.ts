// A machine's calibration, measured task by task and kept (harness/calibration-store.ts):
// bench cells, crash trials, two-server runs and topology, each run by its own lab as that
// lab's command would, and read back, for any profile, as one body of evidence.
import { APPROACHES, type Approach } from "../../stores/index.ts";
import type { CalibrationStore, Kept } from "../harness/calibration-store.ts";
import { describeMachine } from "../harness/machine.ts";
import { DEFAULT_SEED } from "../harness/seed.ts";
import type { BARE_NAME } from "../harness/server-process.ts";
import { CHECK_SHARE } from "../results/calibration.ts";
import type { ContentionResults } from "../results/contention.ts";
import { DEFAULT_ASSUMPTIONS } from "../results/dau.ts";
import type { Evidence } from "../results/decision.ts";
import { type Fault, summariseTrials, type Trial } from "../results/durability.ts";
import {
  type FailoverFault,
  type FailoverResults,
  type FailoverTrial,
  foldFailover,
} from "../results/failover.ts";
import type { Tool } from "../results/load.ts";
import type { OrdersResults } from "../results/orders.ts";
import { cellKeyOf, type Inventory, pairKeyOf, type Task, trialKeyOf } from "../results/plan.ts";
import type { TopologyResults } from "../results/topology.ts";
import {
  assemble,
  type BenchOptions,
  type Cell,
  type CellOutcome,
  declarations,
  type FsyncCeiling,
  measureFsync,
  newProgress,
  phaseDefaults,
  record,
  runBench,
} from "./bench.ts";
import { runContention } from "./contention.ts";
import { crashTargets, runDurability } from "./durability.ts";
import { FAILOVER_STALL_MS, FAILOVER_WRITERS, runFailover } from "./failover.ts";
import { runOrdersCheck } from "./orders.ts";
import { runTopology } from "./topology.ts";

export interface CalibrationOptions {
  quick: boolean;
  tool: Tool;
  workDir: string;
  log: (m: string) => void;
  /** The crashes this machine can inject: orders-check's trials run them all. */
  crashFaults: Fault[];
}

/**
 * The size topology runs at: one for every profile, so that it is measured once. Past it,
 * the decision scales replicas' rates down by the records (results/fleet.ts).
 */
export const TOPOLOGY_RECORDS = 100_000;

/** What every measurement depends on: the machine, the commit, the load tool, the phases. */
export function calibrationFacts(o: CalibrationOptions): Record<string, unknown> {
  const m = describeMachine(o.workDir);
  return {
    ...{ commit: m.commit, cpus: m.cpus, cpu: m.cpu_model, mem: m.mem, fs: m.fs },
    ...{ tool: o.tool, quick: o.quick, seed: DEFAULT_SEED },
  };
}

/** The bench's settings for every cell of the calibration: mixed cells at the rule's check share. */
function benchOptions(o: CalibrationOptions, cal: CalibrationStore, cells: Cell[]): BenchOptions {
  return {
    ...{ approaches: APPROACHES, workloads: [...new Set(cells.map((c) => c.workload))] },
    ...{ records: [...new Set(cells.map((c) => c.records))], ...phaseDefaults(o.quick) },
    ...{ timeoutS: 10, connections: 50, threads: 1, inserts: 0, tool: o.tool },
    ...{ seed: DEFAULT_SEED, workDir: o.workDir, log: o.log, cells },
    assumptions: { ...DEFAULT_ASSUMPTIONS, writeShare: CHECK_SHARE },
    cache: {
      get: (c) => cal.get<KeptCell>("cells", cellKey(c))?.value.outcome,
      put: (c, _, outcome, took) =>
        cal.put<KeptCell>("cells", cellKey(c), { cell: c, outcome }, took),
    },
  };
}

/** A kept cell: which it was, and what it gave (a sample, or the 501 that skipped it). */
interface KeptCell {
  cell: Cell;
  outcome: CellOutcome;
}

const cellKey = (c: Cell) => `${c.approach}|${c.workload}|${c.records}|${c.repeat}`;
const trialKey = (approach: string, fault: Fault, n: number) => `${approach}|${fault}|${n}`;
const repeats = (o: CalibrationOptions) => phaseDefaults(o.quick).repeat;
const trialsPer = (o: CalibrationOptions) => (o.quick ? 2 : 5);

/** The fsync ceiling, measured once per calibration. */
async function fsyncOf(o: CalibrationOptions, cal: CalibrationStore): Promise<FsyncCeiling> {
  const kept = cal.get<FsyncCeiling>("labs", "fsync")?.value;
  if (kept) return kept;
  const f = await measureFsync(o);
  cal.put("labs", "fsync", f, 0);
  return f;
}

/** Runs one task of the plan, keeping what finishes. Resolves to a failure, if any. */
export async function runTask(
  t: Task,
  o: CalibrationOptions,
  cal: CalibrationStore,
  signal: AbortSignal,
): Promise<string | undefined> {
  if (t.kind === "cells") {
    const cells: Cell[] = t.workloads.flatMap((workload) =>
      Array.from({ length: repeats(o) }, (_, i) => ({
        ...{ approach: t.approach as Approach | typeof BARE_NAME, workload, records: t.records },
        repeat: i + 1,
      })),
    );
    const r = await runBench(benchOptions(o, cal, cells), signal, await fsyncOf(o, cal));
    return r.error;
  }
  if (t.kind === "trials") return runTrials(t.approach, t.faults, o, cal, signal);
  if (t.kind === "pair") return runPair(t.lab, t.approach as Approach, o, cal, signal);
  if (t.kind === "failover") return runFailoverTask(t, o, cal, signal);
  const r = await runTopology(
    {
      ...{ records: TOPOLOGY_RECORDS, durationS: o.quick ? 2 : 5, connections: 32 },
      ...{ tool: o.tool, workDir: o.workDir, log: o.log },
    },
    signal,
  );
  if (r.complete && !r.error) cal.put("labs", "topology", r, 0);
  return r.error;
}

async function runTrials(
  approach: string,
  faults: Fault[],
  o: CalibrationOptions,
  cal: CalibrationStore,
  signal: AbortSignal,
) {
  const targets = (await crashTargets()).filter((t) => t.name === approach);
  const cache = {
    get: (t: { name: string }, f: Fault, n: number) =>
      cal.get<Trial>("trials", trialKey(t.name, f, n))?.value,
    put: (t: { name: string }, f: Fault, n: number, trial: Trial, took: number) =>
      cal.put("trials", trialKey(t.name, f, n), trial, took),
  };
  const r = await runDurability(
    {
      targets,
      faults,
      trials: trialsPer(o),
      records: 1_000,
      workDir: o.workDir,
      log: o.log,
      cache,
    },
    signal,
  );
  return r.results.error;
}

const failoverKey = (mode: string, fault: string, n: number) => `${mode}|${fault}|${n}`;
const failoverTrials = (o: CalibrationOptions) => (o.quick ? 1 : 2);

/** One replication mode's failover trials, each kept as it finishes. */
async function runFailoverTask(
  t: Extract<Task, { kind: "failover" }>,
  o: CalibrationOptions,
  cal: CalibrationStore,
  signal: AbortSignal,
) {
  const r = await runFailover(
    {
      ...{ modes: [t.mode], faults: t.faults as FailoverFault[], trials: failoverTrials(o) },
      ...{ stallMs: FAILOVER_STALL_MS, writers: FAILOVER_WRITERS, workDir: o.workDir, log: o.log },
      cache: {
        get: (mode, fault, n) =>
          cal.get<FailoverTrial>("failover", failoverKey(mode, fault, n))?.value,
        put: (x, took) => cal.put("failover", failoverKey(x.mode, x.fault, x.trial), x, took),
      },
    },
    signal,
  );
  if (r.complete) cal.put("labs", "failover-settings", r, 0);
  return r.error;
}

/** The failover trials kept, folded as the failover lab folds its own. */
function failoverOf(cal: CalibrationStore): FailoverResults | undefined {
  const trials = cal.all<FailoverTrial>("failover").map((k) => k.value);
  const last = cal.get<FailoverResults>("labs", "failover-settings")?.value;
  if (!trials.length || !last) return undefined;
  return { ...last, runs: foldFailover(trials), trials };
}

async function runPair(
  lab: "contention" | "orders",
  approach: Approach,
  o: CalibrationOptions,
  cal: CalibrationStore,
  signal: AbortSignal,
) {
  const common = { tool: o.tool, workDir: o.workDir, log: o.log, approaches: [approach] };
  const pair = { records: o.quick ? 1_000 : 10_000, durationS: o.quick ? 2 : 5, connections: 32 };
  const r =
    lab === "contention"
      ? await runContention({ ...pair, ...common, ports: [0, 0] }, signal)
      : await runOrdersCheck(
          { ...common, trials: o.quick ? 2 : 5, raceS: o.quick ? 2 : 4, faults: o.crashFaults },
          signal,
        );
  if (r.complete && !r.error) cal.put("pairs", pairKeyOf(lab, approach), r, 0);
  return r.error;
}

/** Several two-server runs of one lab, each of one approach, as one lab's results. */
function mergePairs<T extends { runs: unknown[]; complete: boolean }>(
  kept: Kept<T>[],
): T | undefined {
  const [first, ...rest] = kept.map((k) => k.value);
  if (!first) return undefined;
  const lists = (r: T) =>
    Object.entries(r).filter(([, v]) => Array.isArray(v)) as [keyof T, unknown[]][];
  const merged = { ...first };
  for (const r of rest)
    for (const [k, v] of lists(r))
      (merged[k] as unknown) = [...((merged[k] as unknown[]) ?? []), ...v];
  return merged;
}

/** Everything the calibration holds, as the decision's evidence (the bench's mix is the rule's job). */
export async function gather(o: CalibrationOptions, cal: CalibrationStore): Promise<Evidence> {
  const p = newProgress();
  for (const k of cal.all<KeptCell>("cells")) record(p, k.value.cell, k.value.outcome);
  const fsync = cal.get<FsyncCeiling>("labs", "fsync")?.value ?? {
    fsync_us: 0,
    fsync_ceiling_rps: 0,
    fsync_loaded_us: 0,
  };
  const bench = await assemble(benchOptions(o, cal, []), p, fsync, new Date(), p.done);
  const pairs = cal.all<ContentionResults | OrdersResults>("pairs");
  const isContention = (r: unknown): r is ContentionResults =>
    (r as ContentionResults).needadb_contention === 1;
  return {
    bench: { ...bench, settings: { ...bench.settings, approaches: APPROACHES } },
    durability: summariseTrials(cal.all<Trial>("trials").map((k) => k.value)),
    contention: mergePairs(pairs.filter((k) => isContention(k.value)) as Kept<ContentionResults>[]),
    orders: mergePairs(pairs.filter((k) => !isContention(k.value)) as Kept<OrdersResults>[]),
    topology: cal.get<TopologyResults>("labs", "topology")?.value,
    failover: failoverOf(cal),
    declared: await declarations(APPROACHES),
  };
}

/** What the calibration holds, by the plan's keys: a cell counts once every repeat is in. */
export function inventoryOf(ev: Evidence, o: CalibrationOptions): Inventory {
  const cells = new Set<string>();
  for (const r of [...ev.bench.runs, ...(ev.bench.ceilings ?? [])])
    if (r.repeats >= repeats(o)) cells.add(cellKeyOf(r.approach, r.workload, r.records));
  for (const s of ev.bench.skipped ?? []) cells.add(cellKeyOf(s.approach, s.workload, s.records));
  const trials = new Set(
    (ev.durability ?? [])
      .filter((r) => r.trials >= trialsPer(o))
      .map((r) => trialKeyOf(r.approach, r.fault)),
  );
  const pairs = new Set([
    ...[...(ev.contention?.runs ?? []), ...(ev.contention?.refused ?? [])].map((r) =>
      pairKeyOf("contention", r.approach),
    ),
    ...(ev.orders?.runs ?? []).map((r) => pairKeyOf("orders", r.approach)),
  ]);
  return { cells, trials, pairs, topology: ev.topology !== undefined };
}
