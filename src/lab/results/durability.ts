// The shape of durability.json (npm run crash), and the judgement of a store's claim
// against what its trials lost. Also used by orders.json, whose crash trials are the same.
import type { Machine } from "./machine.ts";

/** Crashes: what every run of the lab injects, where this machine can. */
export const CRASH_FAULTS = ["sigkill", "powercut"] as const;
/** The disk misbehaving: a full disk, a failed fsync, writes torn by a power cut. */
export const DISK_FAULTS = ["enospc", "eio", "torn"] as const;
export const FAULTS = [...CRASH_FAULTS, ...DISK_FAULTS] as const;
export type Fault = (typeof FAULTS)[number];

export function isCrashFault(fault: Fault): boolean {
  return (CRASH_FAULTS as readonly Fault[]).includes(fault);
}

/**
 * The faults that end in a power cut, after which a store may lose what it never fsynced.
 * A full disk ends in a plain SIGKILL: the fault is the disk, not the power.
 */
export const CUTS_POWER: ReadonlySet<Fault> = new Set(["powercut", "eio", "torn"]);

/** What a store claims an acknowledged write survives, from its /health. */
export type Claim = "power-loss" | "process-crash" | "nothing" | "unknown";

export interface Trial {
  target: string;
  fault: Fault;
  trial: number;
  fault_after_ms: number;
  claim: Claim;
  acked: number;
  lost_acked: number;
  corrupt: number;
  restarted: boolean;
  /** What lazyfs said it dropped, for power cuts. */
  cut?: string;
  /** Why the restart failed, when it did. */
  restart_error?: string;
  /** What the workload's whole-store check found wrong after the restart, if anything. */
  invariant_broken?: string;
  /** What the restarted store logged at start: the repairs it made (a torn line cut, a half-written segment removed). */
  restart_log?: string;
  /** A store that acknowledges before it writes (sqlite-batched): its window, from /health. */
  flush_window?: FlushWindow;
  /** Disk faults: how many answers of each status the writers got ("error": no answer). */
  statuses?: Record<string, number>;
  /** enospc: milliseconds from space coming back to the next acknowledged write; null if none came. */
  resumed_ms?: number | null;
  /** Disk faults: whether GET /health said "degraded" after the fault. */
  fenced?: boolean;
}

export interface FlushWindow {
  rows: number;
  ms: number;
}

export interface DurabilityRun {
  approach: string;
  fault: Fault;
  trials: number;
  acked: number;
  lost_acked: number;
  corrupt: number;
  /** Trials after which the server started again. */
  restarted: number;
  /** Restarts that logged a repair of what the fault left behind. */
  repaired: number;
  max_lost_in_a_trial: number;
  /** What the store claims an acknowledged write survives. */
  claim: Claim;
  /** Whether the measurement is consistent with that claim. */
  claim_held: boolean;
  flush_window?: FlushWindow;
  /** Disk faults: the writers' answers by status, over every trial. */
  statuses?: Record<string, number>;
  /** enospc: the slowest return of writes after space came back; null if one never came. */
  resumed_ms_max?: number | null;
  /** Disk faults: trials after which GET /health said "degraded". */
  fenced?: number;
}

export interface DurabilityResults {
  needadb_durability: 1;
  started_at: string;
  finished_at: string;
  complete: boolean;
  /** Why the lab itself stopped, when it failed. */
  error?: string;
  machine: Machine;
  settings: {
    trials: number;
    records: number;
    writers: number;
    seed: number;
    targets: string[];
    faults: Fault[];
  };
  runs: DurabilityRun[];
  trials: Trial[];
}

/** What a store's claim allows a fault to lose. */
export function claimHolds(
  claim: Claim,
  fault: Fault,
  lost: number,
  corrupt: number,
  restartedAll: boolean,
): boolean {
  if (!restartedAll || corrupt > 0) return false;
  if (claim === "power-loss") return lost === 0;
  if (claim === "process-crash") return CUTS_POWER.has(fault) || lost === 0;
  return true; // it claims nothing
}

/** What the writers saw during the disk faults, folded over trials; nothing for crashes. */
function diskFaultSummary(group: readonly Trial[]): Partial<DurabilityRun> {
  if (!group.some((t) => t.statuses)) return {};
  const statuses: Record<string, number> = {};
  for (const t of group)
    for (const [status, n] of Object.entries(t.statuses ?? {}))
      statuses[status] = (statuses[status] ?? 0) + n;
  const resumed = group.map((t) => t.resumed_ms).filter((ms) => ms !== undefined);
  return {
    statuses,
    fenced: group.filter((t) => t.fenced).length,
    ...(resumed.length
      ? { resumed_ms_max: resumed.includes(null) ? null : Math.max(...(resumed as number[])) }
      : {}),
  };
}

/** Trials of one store and fault, folded into one row. */
function summariseGroup(group: readonly Trial[]): DurabilityRun {
  const first = group[0] as Trial;
  const sum = (pick: (t: Trial) => number) => group.reduce((n, t) => n + pick(t), 0);
  const lost = sum((t) => t.lost_acked);
  const corrupt = sum((t) => t.corrupt);
  const restarted = group.filter((t) => t.restarted).length;
  return {
    approach: first.target,
    fault: first.fault,
    trials: group.length,
    acked: sum((t) => t.acked),
    lost_acked: lost,
    corrupt,
    restarted,
    repaired: group.filter((t) => t.restart_log).length,
    max_lost_in_a_trial: Math.max(...group.map((t) => t.lost_acked)),
    claim: first.claim,
    claim_held: claimHolds(first.claim, first.fault, lost, corrupt, restarted === group.length),
    ...(first.flush_window ? { flush_window: first.flush_window } : {}),
    ...diskFaultSummary(group),
  };
}

export function summariseTrials(trials: readonly Trial[]): DurabilityRun[] {
  const groups = new Map<string, Trial[]>();
  for (const t of trials) {
    const key = `${t.target}|${t.fault}`;
    groups.set(key, [...(groups.get(key) ?? []), t]);
  }
  return [...groups.values()].map(summariseGroup);
}
