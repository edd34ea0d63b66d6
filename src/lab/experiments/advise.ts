// npm run advise's experiment: measure what one app's decision needs, cheapest and most
// decisive first, into this machine's calibration, deciding again after each measurement;
// stop when nothing left to measure could change the answer. What any earlier profile
// measured here (same machine, commit and settings) is reused, and an interrupted run
// resumes at the measurement it stopped in.
import { existsSync } from "node:fs";
import { APPROACHES, type Approach } from "../../stores/index.ts";
import { availableFaults } from "../faults/faults.ts";
import { CalibrationStore } from "../harness/calibration-store.ts";
import { datasetDir } from "../harness/datasets.ts";
import { missingPackages } from "../harness/ha-cluster.ts";
import { DEFAULT_SEED } from "../harness/seed.ts";
import { checkRule, mixAt, type RuleCheck, rungsFor } from "../results/calibration.ts";
import { type Decision, decide, type Evidence, type LabState } from "../results/decision.ts";
import { CRASH_FAULTS, type Fault } from "../results/durability.ts";
import type { Tool } from "../results/load.ts";
import { type Contender, planTasks, type Task } from "../results/plan.ts";
import { type Profile, recordsPerDay } from "../results/profile.ts";
import { declarations } from "./bench.ts";
import {
  type CalibrationOptions,
  calibrationFacts,
  gather,
  inventoryOf,
  runTask,
} from "./calibration.ts";
import { crashTargets } from "./durability.ts";

export interface AdviseOptions {
  profile: Profile;
  quick: boolean;
  /** Measure again: a new calibration, ignoring what this machine kept. */
  fresh: boolean;
  workDir: string;
  tool: Tool;
  log: (m: string) => void;
  /** The approaches to choose from (every one by default), without the ceiling. */
  approaches: Approach[];
}

/** What advise says as it goes: each decision, how long it took, and what is left. */
export interface Progress {
  decision: Decision;
  elapsed_s: number;
  /** The tasks still planned, and at most how long they take. */
  left: Task[];
  left_s: number;
}

export interface Advice extends Decision {
  /** Where this machine's calibration is kept. */
  calibration: string;
  tool: Tool;
  /** Seconds to the first answer, and to the last decision. */
  answered_after_s: number | null;
  took_s: number;
  measured: Task[];
  /** The plan and its estimate as they stood before the first measurement: the whole run's. */
  planned_first: Task[];
  estimated_first_s: number;
  /** The mixed-share rule against every mixed cell measured at its check share. */
  rule_checks: RuleCheck[];
}

/** The stores to choose among, in the ranking's simplicity order, as the plan sees them. */
/**
 * The records the app will hold at its horizon: its cells are measured at the rung at or above
 * that (at most the top), so that one measurement bounds both now and then.
 */
const horizonRecords = (p: Profile) => p.records + recordsPerDay(p) * p.horizon_days;

/** The calibration these options keep their measurements in, and how advise plans on it. */
async function loopOf(o: AdviseOptions): Promise<Loop> {
  const faults = availableFaults(undefined, o.log);
  const crashFaults = faults.filter((f) => (CRASH_FAULTS as readonly Fault[]).includes(f));
  const c = { quick: o.quick, tool: o.tool, workDir: o.workDir, log: o.log, crashFaults };
  const cal = new CalibrationStore(o.workDir, calibrationFacts(c), o.fresh ? Date.now() : 0);
  return {
    ...{ o, c, cal, faults },
    ha_missing: o.profile.survive === "machine-loss" ? missingPackages() : [],
    contenders: await contendersOf(o.approaches),
    records: rungsFor(horizonRecords(o.profile)).at(-1) as number,
  };
}

/**
 * Each profile decided from what the calibration holds, measuring nothing: a what-if. Each
 * says whether its answer is final, or what it would still need measured.
 */
export async function whatIf(o: AdviseOptions, profiles: Profile[]): Promise<Decision[]> {
  const decisions: Decision[] = [];
  for (const profile of profiles) {
    const l = await loopOf({ ...o, profile, fresh: false });
    const ev = await gather(l.c, l.cal);
    const draft = decideNow(l, ev, [], false);
    const left = tasksLeft(l, ev, draft, new Set());
    decisions.push(decideNow(l, ev, [], left.length === 0));
  }
  return decisions;
}

async function contendersOf(approaches: readonly Approach[]): Promise<Contender[]> {
  const declared = await declarations(APPROACHES);
  const crashable = new Set((await crashTargets()).map((t) => t.name));
  const levels = ["file", "memory", "sqlite", "engine", "own", "server"];
  return approaches.map((a) => ({
    approach: a,
    order: levels.indexOf(declared[a]?.simplicity ?? "own") * 100 + APPROACHES.indexOf(a),
    crashable: crashable.has(a),
    service: Boolean(declared[a]?.service),
  }));
}

/** A dataset of `records` not seeded yet takes about this long per record to seed. */
const SEED_S_PER_RECORD = 1 / 50_000;

/**
 * A store's first cell at a size, before any of its own was kept: measured on the 2-core test
 * machine, `--quick` cells took 3-5 s (PostgreSQL, loading the dataset first, 22 s), full cells
 * about three times that.
 */
const cellGuessS = (records: number, quick: boolean) =>
  (records >= 1_000_000 ? 5 : 3) * (quick ? 1 : 3);

/** The seconds each kind of task took here before; a first guess where nothing did yet. */
function costOf(t: Task, cal: CalibrationStore, quick: boolean): number {
  const median = (xs: number[], guess: number) =>
    xs.length ? (xs.sort((a, b) => a - b)[xs.length >> 1] as number) : guess;
  if (t.kind === "cells") {
    const kept = cal.all<{ cell: { approach: string; records: number } }>("cells");
    const size = kept.filter((k) => k.value.cell.records === t.records);
    const own = size.filter((k) => k.value.cell.approach === t.approach).map((k) => k.took_s);
    // Another store's cells say little of this one's (a ceiling starts in 0.1 s, PostgreSQL
    // loads the dataset first): without its own, the guess is a floor.
    const guess = cellGuessS(t.records, quick);
    const each = own.length
      ? median(own, guess)
      : Math.max(
          guess,
          median(
            size.map((k) => k.took_s),
            guess,
          ),
        );
    return t.workloads.length * each;
  }
  if (t.kind === "trials")
    return (
      t.faults.length *
      2 *
      median(
        cal.all("trials").map((k) => k.took_s),
        2,
      )
    );
  if (t.kind === "failover")
    return (
      t.faults.length *
      median(
        cal.all("failover").map((k) => k.took_s),
        35,
      )
    );
  return t.kind === "topology" ? 150 : 20;
}

/** At most how long the tasks left take: each at its cost, and each dataset still to seed once. */
function leftS(tasks: readonly Task[], l: Loop): number {
  const sizes = new Set(tasks.flatMap((t) => (t.kind === "cells" ? [t.records] : [])));
  const seeding = [...sizes]
    .filter((n) => !existsSync(datasetDir(l.o.workDir, n, DEFAULT_SEED)))
    .reduce((s, n) => s + n * SEED_S_PER_RECORD, 0);
  return seeding + tasks.reduce((s, t) => s + costOf(t, l.cal, l.o.quick), 0);
}

interface Loop {
  o: AdviseOptions;
  c: CalibrationOptions;
  cal: CalibrationStore;
  contenders: Contender[];
  records: number;
  faults: Fault[];
  /** Debian's packages the failover lab lacks here: none, and advise can measure failovers. */
  ha_missing: string[];
}

function decideNow(l: Loop, ev: Evidence, labs: LabState[], final: boolean): Decision {
  const evidence = {
    ...{ ...ev, bench: mixAt(ev.bench, l.o.profile.write_share), labs, final },
    ...(l.ha_missing.length ? { failover_missing: l.ha_missing } : {}),
  };
  return decide(l.o.profile, { ...evidence, candidates: l.o.approaches });
}

function tasksLeft(l: Loop, ev: Evidence, d: Decision, tried: Set<string>): Task[] {
  const all = planTasks({
    ...{ profile: l.o.profile, decision: d, inventory: inventoryOf(ev, l.c) },
    ...{ contenders: l.contenders, records: l.records, faults: l.faults },
    ...{ can_failover: l.ha_missing.length === 0, failover: ev.failover },
  });
  return all.filter((t) => !tried.has(JSON.stringify(t)));
}

export async function runAdvise(
  o: AdviseOptions,
  signal: AbortSignal,
  onProgress: (p: Progress) => void,
): Promise<Advice> {
  const started = performance.now();
  const l = await loopOf(o);
  const cal = l.cal;
  o.log(`needadb advise: ${o.profile.name}: this machine's calibration is ${cal.dir}`);
  const labs: LabState[] = [];
  const tried = new Set<string>();
  const measured: Task[] = [];
  let answeredAt: number | null = null;
  let firstPlan: Task[] | undefined;
  let firstEstimate: number | undefined;
  for (;;) {
    const ev = await gather(l.c, cal);
    const draft = decideNow(l, ev, labs, false);
    const left = tasksLeft(l, ev, draft, tried);
    const elapsed = (performance.now() - started) / 1000;
    if (draft.recommended && answeredAt === null) answeredAt = elapsed;
    const done = signal.aborted || left.length === 0;
    firstPlan ??= left;
    firstEstimate ??= leftS(left, l);
    const states = interrupted(labs, signal, measured.length, left.length);
    const decision = done ? decideNow(l, ev, states, left.length === 0 && !signal.aborted) : draft;
    onProgress({
      decision,
      elapsed_s: elapsed,
      left,
      left_s: leftS(left, l),
    });
    if (done)
      return {
        ...decision,
        calibration: cal.dir,
        tool: o.tool,
        answered_after_s: answeredAt,
        took_s: elapsed,
        measured,
        planned_first: firstPlan ?? [],
        estimated_first_s: firstEstimate ?? 0,
        rule_checks: checkRule(ev.bench.runs),
      };
    const next = left[0] as Task;
    tried.add(JSON.stringify(next));
    measured.push(next);
    const error = await runTask(next, l.c, cal, signal);
    if (error && !signal.aborted)
      labs.push({ lab: taskName(next), complete: false, interrupted: false, error });
  }
}

/** The labs' states, with the run's own when it was interrupted before its plan was done. */
function interrupted(
  labs: LabState[],
  signal: AbortSignal,
  done: number,
  left: number,
): LabState[] {
  if (!signal.aborted || left === 0) return labs;
  return [...labs, { lab: "advise", complete: false, interrupted: true, done, total: done + left }];
}

/** "cells of sqlite at 1,000,000 records", for the labs' states. */
export function taskName(t: Task): string {
  if (t.kind === "cells")
    return `bench ${t.approach} ${t.workloads.join(",")} at ${t.records} records`;
  if (t.kind === "trials") return `crash ${t.approach} ${t.faults.join(",")}`;
  if (t.kind === "failover") return `failover ${t.mode} ${t.faults.join(",")}`;
  return t.kind === "pair" ? `${t.lab} ${t.approach}` : "topology";
}
