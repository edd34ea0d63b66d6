// Surviving the loss of the database's machine. A store whose data live beside the app (a
// file, an embedded engine) loses them with that machine. A store on a database server can
// have standbys on other machines; for it, the failover lab's trials say which replication
// mode keeps every acknowledged write when the leader's machine is lost, stops writes no
// longer than the app allows. Where the app must never read stale data and a mode's standbys
// served a stale read in the trials, its reads go to the primary: that mode still passes.
// Pure: ids and numbers; report/decision-words.ts says them.
import type { FailoverMode, FailoverResults, FailoverRun } from "./failover.ts";
import type { Profile } from "./profile.ts";
import type { Valid } from "./verdict.ts";

/** The faults a mode is judged on, most decisive first: a stall, then a plain machine loss. */
export const MACHINE_LOSS_FAULTS = ["stall-node", "node"] as const;
/** The modes weighed, cheapest to run first: the first that passes is the answer. */
export const MACHINE_LOSS_MODES: readonly FailoverMode[] = ["async", "sync", "sync-apply"];

export type ModeProblem = "lost" | "no-failover" | "slow";

export interface ModeVerdict {
  mode: FailoverMode;
  valid: Valid;
  /** What failed it; none when it passes or is not measured in full. */
  problem?: ModeProblem;
  /** The faults of MACHINE_LOSS_FAULTS measured, and their trials summed. */
  faults: string[];
  trials: number;
  acked: number;
  lost: number;
  unknown: number;
  /** The longest writes stopped in any trial, in ms; null: not measured. */
  stopped_ms_max: number | null;
  stale_reads: number;
  probes: number;
  /** Where its reads go: the standbys, or the primary alone where they served stale reads the app forbids. */
  reads: "standbys" | "primary";
  /** Its writes/s before the faults over the asynchronous mode's: what waiting costs. */
  write_share_of_async: number | null;
}

export type MachineLossFinding =
  | { kind: "one-machine" }
  | {
      kind: "failover";
      /** The first mode that passes; null while none does. */
      mode: FailoverMode | null;
      need_ms: number;
      /** Whether stale reads fail a mode (the profile's stale_read_ms is 0). */
      fresh_reads: boolean;
      modes: ModeVerdict[];
      stack: string;
      ttl: number;
    };

const sum = (runs: readonly FailoverRun[], f: (r: FailoverRun) => number) =>
  runs.reduce((n, r) => n + f(r), 0);
const meanRps = (runs: readonly FailoverRun[]) =>
  runs.length ? sum(runs, (r) => r.rps_before) / runs.length : null;

function problemOf(runs: readonly FailoverRun[], p: Profile): ModeProblem | undefined {
  if (runs.some((r) => r.lost > 0)) return "lost";
  if (runs.some((r) => r.recovered < r.trials)) return "no-failover";
  if (runs.some((r) => r.stopped_ms_max > p.failover_s_max * 1000)) return "slow";
  return undefined;
}

export function modeVerdict(mode: FailoverMode, r: FailoverResults, p: Profile): ModeVerdict {
  const of = (m: FailoverMode) =>
    r.runs.filter(
      (x) => x.mode === m && (MACHINE_LOSS_FAULTS as readonly string[]).includes(x.fault),
    );
  const runs = of(mode);
  const problem = problemOf(runs, p);
  const whole = runs.length === MACHINE_LOSS_FAULTS.length;
  const mine = meanRps(runs);
  const async = meanRps(of("async"));
  return {
    ...{ mode, valid: problem ? "fail" : whole ? "pass" : "unknown" },
    ...(problem ? { problem } : {}),
    ...{ faults: runs.map((x) => x.fault), trials: sum(runs, (x) => x.trials) },
    ...{ acked: sum(runs, (x) => x.acked), lost: sum(runs, (x) => x.lost) },
    unknown: sum(runs, (x) => x.unknown),
    stopped_ms_max: runs.length ? Math.max(...runs.map((x) => x.stopped_ms_max)) : null,
    ...{ stale_reads: sum(runs, (x) => x.stale_reads), probes: sum(runs, (x) => x.probes) },
    reads: p.stale_read_ms === 0 && runs.some((x) => x.stale_reads > 0) ? "primary" : "standbys",
    write_share_of_async: mine !== null && async ? mine / async : null,
  };
}

/** The verdict on surviving the database machine's loss, for a store with or without a server. */
export function machineLoss(
  service: boolean,
  r: FailoverResults | undefined,
  p: Profile,
): { valid: Valid; finding: MachineLossFinding } | undefined {
  if (!service) return { valid: "fail", finding: { kind: "one-machine" } };
  if (!r) return undefined;
  const modes = MACHINE_LOSS_MODES.map((m) => modeVerdict(m, r, p));
  const chosen = modes.find((m) => m.valid === "pass");
  return {
    // The modes are alternatives: one passing is enough, and any not yet judged may pass.
    valid: chosen ? "pass" : modes.some((m) => m.valid === "unknown") ? "unknown" : "fail",
    finding: {
      kind: "failover",
      mode: chosen?.mode ?? null,
      need_ms: p.failover_s_max * 1000,
      fresh_reads: p.stale_read_ms === 0,
      modes,
      stack: r.settings.stack,
      ttl: r.settings.ttl,
    },
  };
}

/**
 * What to measure next: the faults not yet tried of the first mode neither passed nor failed,
 * when no cheaper mode passes. Undefined: the modes are decided.
 */
export function failoverToMeasure(
  r: FailoverResults | undefined,
  p: Profile,
): { mode: FailoverMode; faults: string[] } | undefined {
  for (const mode of MACHINE_LOSS_MODES) {
    const v = r ? modeVerdict(mode, r, p) : undefined;
    if (v?.valid === "pass") return undefined;
    if (v?.valid === "fail") continue;
    return { mode, faults: MACHINE_LOSS_FAULTS.filter((f) => !v?.faults.includes(f)) };
  }
  return undefined;
}
