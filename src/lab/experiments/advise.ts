// npm run advise's experiment: run only what the decision for one app needs, reuse what an
// earlier run in the same output directory already measured for the same profile, commit
// and machine, and decide. Each step is an existing lab, run as its own tool would.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { APPROACHES } from "../../stores/index.ts";
import { availableFaults } from "../faults/faults.ts";
import { describeMachine } from "../harness/machine.ts";
import { DEFAULT_SEED } from "../harness/seed.ts";
import type { Results } from "../results/bench.ts";
import { DEFAULT_ASSUMPTIONS } from "../results/dau.ts";
import { type Decision, decide, type Evidence, workloadsOf } from "../results/decision.ts";
import type { DurabilityResults, Fault } from "../results/durability.ts";
import type { Tool } from "../results/load.ts";
import { type Profile, SURVIVE_DISK_FAULTS, SURVIVE_FAULTS } from "../results/profile.ts";
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
}

/** Every approach but the ceiling is a candidate; the ceiling runs for the ratios. */
const CANDIDATES = APPROACHES.filter((a) => a !== "null");

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

/** Runs a step, or reads its results back when an earlier run had the same stamp. */
async function step<T>(o: AdviseOptions, s: Step<T>, n: string, signal: AbortSignal): Promise<T> {
  const file = join(o.outDir, `${s.name}.json`);
  const want = stamp(o, s.settings);
  if (!o.fresh && existsSync(file)) {
    const saved = readSaved<T>(file);
    if (saved?.stamp === want) {
      o.log(
        `${n} ${s.name}: reusing ${file} (same profile, commit and machine; --fresh to measure again)`,
      );
      return saved.results;
    }
  }
  o.log(`${n} ${s.name}`);
  const results = await s.run(signal);
  if (!signal.aborted)
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

function benchStep(o: AdviseOptions): Step<Results> {
  const settings = {
    ...{ records: adviseSizes(o.profile.records), write_share: o.profile.write_share },
    quick: o.quick,
    ...{ workloads: workloadsOf(o.profile), tool: o.tool },
  };
  return {
    name: "bench",
    settings,
    run: (signal) =>
      runBench(
        {
          ...{ approaches: APPROACHES, workloads: settings.workloads },
          ...{ records: settings.records, ...phaseDefaults(o.quick) },
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
    settings: { faults, trials },
    async run(signal) {
      const targets = (await crashTargets()).filter((t) => t.name === t.approach);
      const o2 = { targets, faults, trials, records: 1_000, workDir: o.workDir, log: o.log };
      return (await runDurability(o2, signal)).results;
    },
  };
}

/** The steps this profile needs, in order. */
function plan(o: AdviseOptions) {
  const p = o.profile;
  const possible = availableFaults(undefined, o.log);
  const faults = possible.filter((f) => SURVIVE_FAULTS[p.survive].includes(f));
  // The disk faults run wherever power cuts can: the same filesystem does them.
  const diskFaults = possible.includes("powercut") ? SURVIVE_DISK_FAULTS[p.survive] : [];
  const pair = { records: o.quick ? 1_000 : 10_000, durationS: o.quick ? 2 : 5, connections: 32 };
  const common = { tool: o.tool, workDir: o.workDir, log: o.log };
  return {
    bench: benchStep(o),
    crash: faults.length ? crashStep(o, [...faults, ...diskFaults]) : undefined,
    contention:
      p.processes > 1 && p.servers <= 1
        ? {
            name: "contention",
            settings: pair,
            run: (signal: AbortSignal) =>
              runContention({ ...pair, ...common, approaches: CANDIDATES, ports: [0, 0] }, signal),
          }
        : undefined,
    topology:
      p.servers > 1
        ? {
            name: "topology",
            settings: pair,
            run: (signal: AbortSignal) => runTopology({ ...pair, ...common }, signal),
          }
        : undefined,
    orders: p.needs.includes("orders")
      ? {
          name: "orders",
          settings: { faults, quick: o.quick },
          run: (signal: AbortSignal) =>
            runOrdersCheck(
              {
                approaches: CANDIDATES,
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
}

export async function runAdvise(o: AdviseOptions, signal: AbortSignal): Promise<Advice> {
  mkdirSync(o.outDir, { recursive: true });
  const steps = plan(o);
  const chosen = Object.values(steps).filter((s) => s !== undefined);
  const at = (name: string) => `[${chosen.findIndex((s) => s.name === name) + 1}/${chosen.length}]`;
  o.log(`needadb advise: ${o.profile.name}: ${chosen.map((s) => s.name).join(", ")}`);
  const bench = await step(o, steps.bench, at("bench"), signal);
  const crash =
    steps.crash && !signal.aborted ? await step(o, steps.crash, at("crash"), signal) : undefined;
  const contention =
    steps.contention && !signal.aborted
      ? await step(o, steps.contention, at("contention"), signal)
      : undefined;
  const topology =
    steps.topology && !signal.aborted
      ? await step(o, steps.topology, at("topology"), signal)
      : undefined;
  const orders =
    steps.orders && !signal.aborted ? await step(o, steps.orders, at("orders"), signal) : undefined;
  const evidence: Evidence = {
    ...{ bench, durability: crash?.runs, contention, topology, orders },
    declared: bench.declared ?? (await declarations(APPROACHES)),
  };
  const decision = decide(o.profile, evidence);
  if (signal.aborted)
    decision.warnings.unshift("Interrupted: the decision reads only what finished.");
  const sources = Object.fromEntries(chosen.map((s) => [s.name, join(o.outDir, `${s.name}.json`)]));
  return { ...decision, sources };
}
