// The durability lab: crash trials for every store whose data lives in DATA_DIR, under
// every fault, summarised against each store's claim.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { allStores } from "../../stores/index.ts";
import { faultSkips } from "../faults/faults.ts";
import { ensureDataset } from "../harness/datasets.ts";
import { describeMachine } from "../harness/machine.ts";
import { DEFAULT_SEED } from "../harness/seed.ts";
import type { DurabilityResults, Fault, Trial } from "../results/durability.ts";
import { summariseTrials } from "../results/durability.ts";
import { runTrial, type Target, WRITERS } from "./crash-trial.ts";

/**
 * Every store whose data the faults can reach (it keeps data in DATA_DIR, with no service
 * of its own), run with the lab's settings it declares, and each variant it declares beside it.
 */
export async function crashTargets(): Promise<Target[]> {
  return (await allStores()).flatMap(([approach, store]) => {
    if (store.service || faultSkips("sigkill", store)) return [];
    const env = { ...store.lab?.crashEnv };
    const variants = (store.lab?.variants ?? []).map((v) => ({
      name: v.name,
      approach,
      env: { ...env, ...v.env },
    }));
    return [{ name: approach, approach, env }, ...variants];
  });
}

/** Where finished trials are kept between runs (harness/calibration-store.ts). */
export interface TrialCache {
  get(target: Target, fault: Fault, n: number): Trial | undefined;
  put(target: Target, fault: Fault, n: number, trial: Trial, took_s: number): void;
}

export interface DurabilityOptions {
  /** Trials kept from before: not run again; new ones are put. */
  cache?: TrialCache;
  targets: Target[];
  faults: Fault[];
  trials: number;
  records: number;
  workDir: string;
  log: (m: string) => void;
}

/** Runs every trial in turn, appending each to `done`, until finished or `signal` aborts. */
async function runTrials(
  o: DurabilityOptions,
  dataset: string,
  done: Trial[],
  signal: AbortSignal,
) {
  const total = o.targets.length * o.faults.length * o.trials;
  const trialDir = join(o.workDir, "crash");
  mkdirSync(trialDir, { recursive: true });
  const t0 = performance.now();
  for (const target of o.targets)
    for (const fault of o.faults)
      for (let n = 1; n <= o.trials; n++) {
        if (signal.aborted) return;
        const kept = o.cache?.get(target, fault, n);
        if (kept) {
          done.push(kept);
          continue;
        }
        const elapsedS = (performance.now() - t0) / 1000;
        const left = done.length
          ? ` · about ${Math.round((elapsedS / done.length) * (total - done.length))}s left`
          : "";
        o.log(
          `[${done.length + 1}/${total}] ${target.name} ${fault} trial ${n}/${o.trials}${left}`,
        );
        const began = performance.now();
        const t = await runTrial(target, fault, n, dataset, trialDir);
        done.push(t);
        if (!signal.aborted) o.cache?.put(target, fault, n, t, (performance.now() - began) / 1000);
        if (t.lost_acked || t.corrupt || !t.restarted)
          o.log(
            `  acknowledged ${t.acked}, lost ${t.lost_acked}, corrupt ${t.corrupt}${t.restarted ? "" : ", DID NOT RESTART"}`,
          );
      }
}

/** The whole lab. A failure of the lab itself still returns the finished trials, with `error`. */
export async function runDurability(
  o: DurabilityOptions,
  signal: AbortSignal,
): Promise<{ results: DurabilityResults; error?: Error }> {
  const started = new Date();
  const dataset = ensureDataset(o.workDir, o.records, DEFAULT_SEED).dir;
  const done: Trial[] = [];
  let error: Error | undefined;
  try {
    await runTrials(o, dataset, done, signal);
  } catch (err) {
    error = err as Error;
    o.log(`the lab failed after ${done.length} trials: ${error.stack ?? error.message}`);
  }
  const results: DurabilityResults = {
    needadb_durability: 1,
    started_at: started.toISOString(),
    finished_at: new Date().toISOString(),
    complete: done.length === o.targets.length * o.faults.length * o.trials,
    machine: describeMachine(o.workDir),
    settings: {
      ...{ trials: o.trials, records: o.records, writers: WRITERS, seed: DEFAULT_SEED },
      ...{ targets: o.targets.map((t) => t.name), faults: o.faults },
    },
    runs: summariseTrials(done),
    trials: done,
    ...(error ? { error: error.message } : {}),
  };
  return { results, ...(error ? { error } : {}) };
}
