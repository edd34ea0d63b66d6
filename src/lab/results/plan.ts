// What to measure next for one app's decision, cheapest and most decisive first: the
// ceilings, then the crash that rules a store out in seconds (3 s a trial here), then store
// by store in the order the decision ranks them, its two-process and order races (10 s each),
// its cells and its disk faults, so that the simplest store that holds is answered first.
// A store already ruled out needs nothing more; a store that could not rank above the
// answer found so far needs nothing at all. Pure: advise runs the first task, decides again,
// and asks again, until nothing is left and the answer is final.

import { RUNGS } from "./calibration.ts";
import type { Decision } from "./decision.ts";
import type { Fault } from "./durability.ts";
import type { FailoverMode, FailoverResults } from "./failover.ts";
import type { Workload } from "./load.ts";
import { failoverToMeasure } from "./machine-loss.ts";
import { type Profile, SURVIVE_DISK_FAULTS, SURVIVE_FAULTS } from "./profile.ts";
import { workloadsOf } from "./requirements.ts";

export type Task =
  | { kind: "cells"; approach: string; workloads: Workload[]; records: number }
  | { kind: "trials"; approach: string; faults: Fault[] }
  | { kind: "pair"; lab: "contention" | "orders"; approach: string }
  | { kind: "topology" }
  | { kind: "failover"; mode: FailoverMode; faults: string[] };

/** A store the decision may choose, as the plan sees it. */
export interface Contender {
  approach: string;
  /** Its place in the ranking's simplicity order (0: simplest). */
  order: number;
  /** The crash lab can crash it (its data lives in DATA_DIR). */
  crashable: boolean;
  service: boolean;
}

/** What has been measured so far, by key: see the key functions below. */
export interface Inventory {
  cells: ReadonlySet<string>;
  trials: ReadonlySet<string>;
  pairs: ReadonlySet<string>;
  topology: boolean;
}

export const cellKeyOf = (approach: string, workload: string, records: number) =>
  `${approach}|${workload}|${records}`;
export const trialKeyOf = (approach: string, fault: Fault) => `${approach}|${fault}`;
export const pairKeyOf = (lab: string, approach: string) => `${lab}|${approach}`;

/** The bare node:http server and `null`: the ceilings, and the runtime's own baseline. */
export const CEILINGS = ["node:http", "null"];

export interface PlanInput {
  profile: Profile;
  decision: Decision;
  inventory: Inventory;
  contenders: readonly Contender[];
  /** The size the cells are measured at: the rung at or above the profile's size. */
  records: number;
  /** The faults this machine can inject (power cuts need FUSE). */
  faults: readonly Fault[];
  /** Whether this machine can run the failover lab (Debian's HA packages), and its trials so far. */
  can_failover: boolean;
  failover?: FailoverResults;
}

/** The workloads each store's cells hold: reads and writes (any mix derives from them), the rule's check, and the lookups the app needs. */
function workloads(p: Profile): Workload[] {
  return ["read", "write", "mixed", ...workloadsOf(p).filter((w) => w !== "mixed")];
}

/** Every measurement `c` needs, in phases: its races, its crash trials, the rest. */
function needs(c: Contender, i: PlanInput): Task[][] {
  const p = i.profile;
  const missing = (ws: Workload[]) =>
    ws.filter((w) => !i.inventory.cells.has(cellKeyOf(c.approach, w, i.records)));
  const untried = (fs: readonly Fault[]) =>
    c.crashable
      ? fs.filter((f) => i.faults.includes(f) && !i.inventory.trials.has(trialKeyOf(c.approach, f)))
      : [];
  const pair = (lab: "contention" | "orders", wanted: boolean): Task[] =>
    wanted && !i.inventory.pairs.has(pairKeyOf(lab, c.approach))
      ? [{ kind: "pair", lab, approach: c.approach }]
      : [];
  const level = untried(SURVIVE_FAULTS[p.survive].slice(-1));
  const failover =
    p.survive === "machine-loss" && c.service && i.can_failover
      ? failoverToMeasure(i.failover, p)
      : undefined;
  const disk = untried(SURVIVE_DISK_FAULTS[p.survive]);
  const cells = missing(workloads(p));
  return [
    [
      ...pair("contention", p.processes > 1 && p.servers <= 1),
      ...pair("orders", p.needs.includes("orders")),
    ],
    [
      ...(level.length ? [{ kind: "trials" as const, approach: c.approach, faults: level }] : []),
      ...(failover ? [{ kind: "failover" as const, ...failover }] : []),
    ],
    [
      ...(cells.length
        ? [{ kind: "cells" as const, approach: c.approach, workloads: cells, records: i.records }]
        : []),
      ...(c.service && Math.max(p.servers, p.servers_later ?? 0) > 1 && !i.inventory.topology
        ? [{ kind: "topology" as const }]
        : []),
      ...(disk.length ? [{ kind: "trials" as const, approach: c.approach, faults: disk }] : []),
    ],
  ];
}

/** Whether `c` could still rank above the answer found so far. */
function contends(c: Contender, i: PlanInput): boolean {
  const d = i.decision;
  const mine = d.candidates.find((x) => x.approach === c.approach);
  if (mine?.valid === "fail") return false;
  const best = d.candidates[0];
  if (!d.recommended || !best) return true;
  if (best.approach === c.approach) return true;
  const bestOrder = i.contenders.find((x) => x.approach === best.approach)?.order ?? Infinity;
  // An answer the bound shows holding the horizon is beaten only by a simpler one.
  return best.lasts?.valid !== "pass" || c.order < bestOrder;
}

/** Sizes below the measured one that a growth fit takes (it needs three sizes). */
const FIT_RUNGS = 2;

/**
 * Where neither the bound nor a fit says whether the answer (or what it moves to next) holds
 * the app's growth over the horizon: its read and write cells at the two sizes below, so that
 * a fit can predict how its costs grow, and the ranking rest on it.
 */
function growthCells(i: PlanInput): Task[] {
  const d = i.decision;
  const below = RUNGS.filter((r) => r < i.records).slice(-FIT_RUNGS);
  if (!d.recommended || below.length < FIT_RUNGS) return [];
  const answers = [d.recommended, ...(d.next ? [d.next.approach] : [])];
  const open = d.candidates.filter(
    (c) =>
      answers.includes(c.approach) &&
      c.lasts?.valid === "unknown" &&
      c.lasts.predicted_to_hold === null,
  );
  return open.flatMap((c) => below.flatMap((records) => readWriteCells(i, c.approach, records)));
}

/** `approach`'s read and write cells at `records` that are not kept yet, as one task. */
function readWriteCells(i: PlanInput, approach: string, records: number): Task[] {
  const ws = (["read", "write"] as const).filter(
    (w) => !i.inventory.cells.has(cellKeyOf(approach, w, records)),
  );
  return ws.length ? [{ kind: "cells", approach, workloads: [...ws], records }] : [];
}

/** The tasks left, in the order to run them; none: the answer is final. */
export function planTasks(i: PlanInput): Task[] {
  const ceilings = CEILINGS.flatMap((a) => readWriteCells(i, a, i.records));
  const open = [...i.contenders].sort((a, b) => a.order - b.order).filter((c) => contends(c, i));
  const phases = open.map((c) => needs(c, i));
  const fleet = i.decision.fleet_missing?.approach;
  return [
    ...ceilings,
    ...phases.flatMap((ph) => ph[1] ?? []),
    ...phases.flatMap((ph) => [...(ph[0] ?? []), ...(ph[2] ?? [])]),
    ...growthCells(i),
    ...(fleet
      ? [
          {
            kind: "cells" as const,
            approach: fleet,
            workloads: ["read", "write"] as Workload[],
            records: i.records,
          },
        ]
      : []),
  ];
}
