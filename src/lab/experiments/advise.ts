// npm run advise's experiment: run only what the decision for one app needs, reuse what an
// earlier run in the same output directory already measured for the same profile, commit
// and machine, and decide. Each step is an existing lab, run as its own tool would.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { APPROACHES, type Approach, isApproach } from "../../stores/index.ts";
import { availableFaults } from "../faults/faults.ts";
import { describeMachine } from "../harness/machine.ts";
import { DEFAULT_SEED } from "../harness/seed.ts";
import { emptyResults, mergeBench, type Results } from "../results/bench.ts";
import type { ContentionResults } from "../results/contention.ts";
import { DEFAULT_ASSUMPTIONS } from "../results/dau.ts";
import { type Decision, decide, type Evidence, workloadsOf } from "../results/decision.ts";
import type { DurabilityResults, Fault } from "../results/durability.ts";
import type { Tool, Workload } from "../results/load.ts";
import type { OrdersResults } from "../results/orders.ts";
import { type Profile, SURVIVE_DISK_FAULTS, SURVIVE_FAULTS } from "../results/profile.ts";
import type { LabState } from "../results/requirements.ts";
import type { TopologyResults } from "../results/topology.ts";
import { declarations, phaseDefaults, runBench } from "./bench.ts";
import { runContention } from "./contention.ts";
import { crashTargets, runDurability } from "./durability.ts";
import { runOrdersCheck } from "./orders.ts";
import { runTopology } from "./topology.ts";

export interface AdviseOptions {
  profile: Profile;
  quick: boolean;
  /** Measure again even where matching results are in `outDir`. */
  fresh: boolean;
  outDir: string;
  workDir: string;
  tool: Tool;
  log: (m: string) => void;
  /** The approaches to choose from (every one by default), without the ceiling. */
  approaches: Approach[];
}

/** The approaches measured: the candidates, and the ceiling beside them for the ratios. */
const measured = (o: AdviseOptions): Approach[] => [...new Set([...o.approaches, "null" as const])];

interface Step<T> {
  name: string;
  /** What the results depend on besides the commit and the machine. */
  settings: unknown;
  run(signal: AbortSignal): Promise<T>;
}

/** A step's stamp: equal stamps mean equal inputs, so its results may be reused. */
function stamp(o: AdviseOptions, settings: unknown): string {
  const m = describeMachine(o.workDir);
  const facts = {
    commit: m.commit,
    cpus: m.cpus,
    cpu: m.cpu_model,
    mem: m.mem,
    fs: m.fs,
    settings,
  };
  return createHash("sha256").update(JSON.stringify(facts)).digest("hex").slice(0, 16);
}

/** A step's saved results, or undefined if the file cannot be read whole (then it runs again). */
function readSaved<T>(file: string): { stamp: string; results: T } | undefined {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as { stamp: string; results: T };
  } catch {
    return undefined;
  }
}

/** What a lab's results say of themselves: whether it finished, and why not. */
interface Finishing {
  complete?: boolean;
  error?: string;
  cells_done?: number;
  cells_total?: number;
}

/** The state of a step's lab, for the decision: complete, failed or interrupted. */
export function labState(name: string, results: Finishing | undefined, aborted: boolean): LabState {
  const complete = results !== undefined && results.complete !== false && !results.error;
  return {
    ...{ lab: name, complete, interrupted: !complete && aborted && !results?.error },
    ...(results?.error ? { error: results.error } : {}),
    ...(results?.cells_total !== undefined
      ? { done: results.cells_done, total: results.cells_total }
      : {}),
    ...(results === undefined ? { done: 0 } : {}),
  };
}

/** "records 10,000, 33,333, 100,000; write_share 0.05; quick": the settings a reuse matched. */
function settingsText(settings: unknown): string {
  return Object.entries(settings as Record<string, unknown>)
    .map(([k, v]) => (v === true ? k : `${k} ${Array.isArray(v) ? v.join(",") : String(v)}`))
    .join("; ");
}

/**
 * Runs a step, or reads its results back when an earlier run had the same stamp and
 * finished: a lab that failed or was interrupted is never reused, nor saved.
 */
async function step<T extends Finishing>(
  o: AdviseOptions,
  s: Step<T>,
  n: string,
  signal: AbortSignal,
): Promise<T> {
  const file = join(o.outDir, `${s.name}.json`);
  const want = stamp(o, s.settings);
  const saved = !o.fresh && existsSync(file) ? readSaved<T>(file) : undefined;
  if (saved?.stamp === want && labState(s.name, saved.results, false).complete) {
    o.log(
      `${n} ${s.name}: reusing ${file} (the same ${settingsText(s.settings)}, commit and machine; --fresh to measure again)`,
    );
    return saved.results;
  }
  if (saved)
    o.log(
      `${n} ${s.name}: ${file} does not match (other settings, commit or machine, or it did not finish): measuring again`,
    );
  else o.log(`${n} ${s.name}`);
  const results = await s.run(signal);
  if (labState(s.name, results, signal.aborted).complete)
    writeFileSync(file, `${JSON.stringify({ stamp: want, results }, null, 2)}\n`);
  return results;
}

/** The largest dataset advise seeds and measures; past it, figures are predicted. */
export const ADVISE_MEASURED_MAX = 1_000_000;
/** The smallest rung of the ladder. */
const LADDER_MIN = 10;

/**
 * The sizes advise measures: a ladder of three over a decade (a tenth, a third, the top), up
 * to the profile's size or ADVISE_MEASURED_MAX, whichever is less. The top rung is the
 * profile's own size when the machine can measure it in the time budget; the ladder lets
 * every decision say how each figure grows (how long the app's data takes to outgrow its
 * store), and predict past the top where the profile's size is out of reach. The rungs sit
 * close below the top on purpose: measured at a thousandth of it, a store's fixed costs
 * (Node's own memory, its start) hide the part that grows, and a fit from there missed the
 * top by 36-64% for the map stores' memory and start-up (a bench from 10^3 to 10^6).
 */
export function adviseSizes(records: number): number[] {
  const top = Math.min(records, ADVISE_MEASURED_MAX);
  const rungs = [top / 10, top / 3, top].map((n) => Math.max(LADDER_MIN, Math.round(n)));
  return [...new Set(rungs)].sort((a, b) => a - b);
}

/** The bench's settings for `approaches` × `workloads` × `records`, as advise runs it. */
function benchStep(
  o: AdviseOptions,
  name: string,
  cells: { approaches: Approach[]; workloads: Workload[]; records: number[] },
): Step<Results> {
  const settings = {
    ...{ approaches: cells.approaches, records: cells.records, workloads: cells.workloads },
    ...{ write_share: o.profile.write_share, quick: o.quick, tool: o.tool },
  };
  return {
    name,
    settings,
    run: (signal) =>
      runBench(
        {
          ...{ approaches: cells.approaches, workloads: cells.workloads },
          ...{ records: cells.records, ...phaseDefaults(o.quick) },
          ...{ timeoutS: 10, connections: 50, threads: 1 },
          ...{ inserts: 0, tool: o.tool, seed: DEFAULT_SEED, workDir: o.workDir, log: o.log },
          assumptions: { ...DEFAULT_ASSUMPTIONS, writeShare: o.profile.write_share },
        },
        signal,
      ),
  };
}

function crashStep(o: AdviseOptions, faults: Fault[]): Step<DurabilityResults> {
  const trials = o.quick ? 2 : 5;
  return {
    name: "crash",
    settings: { faults, trials, approaches: o.approaches },
    async run(signal) {
      const chosen = (t: { name: string; approach: string }) =>
        t.name === t.approach && (o.approaches as string[]).includes(t.approach);
      const targets = (await crashTargets()).filter(chosen);
      const o2 = { targets, faults, trials, records: 1_000, workDir: o.workDir, log: o.log };
      return (await runDurability(o2, signal)).results;
    },
  };
}

/**
 * The size the two-server labs run at: the ladder's top, at most TOPOLOGY_RECORDS_MAX
 * (replicas are copies of the primary's whole cluster). Past it, the decision scales their
 * rates down by the records (results/fleet.ts).
 */
const TOPOLOGY_RECORDS_MAX = 100_000;

/** The steps this profile needs, in order. */
function plan(o: AdviseOptions) {
  const p = o.profile;
  const possible = availableFaults(undefined, o.log);
  const faults = possible.filter((f) => SURVIVE_FAULTS[p.survive].includes(f));
  // The disk faults run wherever power cuts can: the same filesystem does them.
  const diskFaults = possible.includes("powercut") ? SURVIVE_DISK_FAULTS[p.survive] : [];
  const sizes = adviseSizes(p.records);
  const pair = { records: o.quick ? 1_000 : 10_000, durationS: o.quick ? 2 : 5, connections: 32 };
  const apart = { ...pair, records: Math.min(sizes.at(-1) ?? 1_000, TOPOLOGY_RECORDS_MAX) };
  const common = { tool: o.tool, workDir: o.workDir, log: o.log };
  const servers = Math.max(p.servers, p.servers_later ?? 0);
  return {
    bench: benchStep(o, "bench", {
      approaches: measured(o),
      workloads: workloadsOf(p),
      records: sizes,
    }),
    crash: faults.length ? crashStep(o, [...faults, ...diskFaults]) : undefined,
    contention:
      p.processes > 1 && p.servers <= 1
        ? {
            name: "contention",
            settings: { ...pair, approaches: o.approaches },
            run: (signal: AbortSignal) =>
              runContention(
                { ...pair, ...common, approaches: o.approaches, ports: [0, 0] },
                signal,
              ),
          }
        : undefined,
    topology:
      servers > 1
        ? {
            name: "topology",
            settings: apart,
            run: (signal: AbortSignal) => runTopology({ ...apart, ...common }, signal),
          }
        : undefined,
    orders: p.needs.includes("orders")
      ? {
          name: "orders",
          settings: { faults, quick: o.quick, approaches: o.approaches },
          run: (signal: AbortSignal) =>
            runOrdersCheck(
              {
                approaches: o.approaches,
                trials: o.quick ? 2 : 5,
                raceS: o.quick ? 2 : 4,
                faults,
                ...common,
              },
              signal,
            ),
        }
      : undefined,
  };
}

export interface Advice extends Decision {
  /** Which labs ran (or were reused), and where their results are. */
  sources: Record<string, string>;
  tool: Tool;
}

type Steps = ReturnType<typeof plan>;
type StepName = keyof Steps;

/** Runs the planned steps in order, each unless interrupted; their results and states. */
async function runSteps(o: AdviseOptions, steps: Steps, signal: AbortSignal) {
  const chosen = (Object.keys(steps) as StepName[]).filter((k) => steps[k] !== undefined);
  o.log(`needadb advise: ${o.profile.name}: ${chosen.join(", ")}`);
  const results: Partial<Record<StepName, Finishing>> = {};
  const labs: LabState[] = [];
  for (const [i, name] of chosen.entries()) {
    const s = steps[name] as Step<Finishing>;
    if (!signal.aborted) results[name] = await step(o, s, `[${i + 1}/${chosen.length}]`, signal);
    labs.push(labState(name, results[name], signal.aborted));
  }
  return { results, labs, chosen };
}

export async function runAdvise(o: AdviseOptions, signal: AbortSignal): Promise<Advice> {
  mkdirSync(o.outDir, { recursive: true });
  const { results, labs, chosen } = await runSteps(o, plan(o), signal);
  const bench = results.bench as Results | undefined;
  const evidence: Evidence = {
    bench: bench ?? emptyResults(describeMachine(o.workDir), o.tool, new Date()),
    durability: (results.crash as DurabilityResults | undefined)?.runs,
    contention: results.contention as ContentionResults | undefined,
    topology: results.topology as TopologyResults | undefined,
    orders: results.orders as OrdersResults | undefined,
    declared: bench?.declared ?? (await declarations(APPROACHES)),
    labs,
  };
  let decision = decide(o.profile, evidence);
  const fleet = await fleetCells(o, decision, signal);
  if (fleet) {
    chosen.push("fleet" as StepName);
    evidence.bench = mergeBench(evidence.bench, fleet.results);
    evidence.labs = [...labs, fleet.state];
    decision = decide(o.profile, evidence);
  }
  const sources = Object.fromEntries(chosen.map((s) => [s, join(o.outDir, `${s}.json`)]));
  return { ...decision, sources, tool: o.tool };
}

/**
 * Past one machine, the fleet needs one server's read and write rates: where the decision
 * had to split a mixed cell, or had no rate at all, measure them, at the ladder's top.
 */
async function fleetCells(o: AdviseOptions, d: Decision, signal: AbortSignal) {
  const approach =
    d.fleet?.rates.kind === "mixed-split" ? d.fleet.approach : d.fleet_missing?.approach;
  if (!approach || signal.aborted || !isApproach(approach)) return undefined;
  const records = [adviseSizes(o.profile.records).at(-1) ?? 1_000];
  const s = benchStep(o, "fleet", {
    approaches: [approach, "null"],
    workloads: ["read", "write"],
    records,
  });
  o.log("past one machine: measuring one server's reads and writes for the fleet estimate");
  const results = await step(o, s, "[+]", signal);
  return { results, state: labState("fleet", results, signal.aborted) };
}
