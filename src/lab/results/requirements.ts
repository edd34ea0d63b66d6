// What an app requires of its store, each checked against what the labs measured, as a
// verdict: pass, fail or unknown, and the finding it was judged on, in ids and numbers.
// The order is the order they are checked in: what the app cannot do without first,
// speed last. report/decision-words.ts says each in words.
import type { Declared, Results } from "./bench.ts";
import type { ContentionResults } from "./contention.ts";
import type { Claim, DurabilityRun, Fault } from "./durability.ts";
import { type Estimate, type Estimates, judge } from "./estimate.ts";
import type { FailoverResults } from "./failover.ts";
import { planReplicas, type ReplicaPlan } from "./fleet.ts";
import type { Metric } from "./growth-rows.ts";
import type { Workload } from "./load.ts";
import { type MachineLossFinding, machineLoss } from "./machine-loss.ts";
import type { OrdersResults } from "./orders.ts";
import { type Profile, requiredPeakRps, SURVIVE_DISK_FAULTS, SURVIVE_FAULTS } from "./profile.ts";
import type { TopologyResults } from "./topology.ts";
import { merge, type Valid } from "./verdict.ts";

/** A lab that may not have finished: the decision says so, and never reads it as complete. */
export interface LabState {
  lab: string;
  complete: boolean;
  interrupted: boolean;
  error?: string;
  /** Cells or trials finished, of those planned, where the lab counts them. */
  done?: number;
  total?: number;
}

/** Everything measured for the decision, each from the lab that measured it. */
export interface Evidence {
  bench: Results;
  durability?: DurabilityRun[];
  contention?: ContentionResults;
  topology?: TopologyResults;
  orders?: OrdersResults;
  /** The failover lab's trials: which replication mode survives losing the leader's machine. */
  failover?: FailoverResults;
  /** Debian's packages the failover lab lacks on this machine, where it was wanted. */
  failover_missing?: string[];
  declared: Record<string, Declared>;
  /** The labs that ran for it, and whether each finished. */
  labs?: LabState[];
  /** The approaches to choose among (default: every one the bench measured). */
  candidates?: readonly string[];
  /** Nothing left to measure could change the answer (advise's plan is done). */
  final?: boolean;
}

export const REQUIREMENTS = [
  "orders",
  "servers",
  "processes",
  "survive",
  "machine-loss",
  "memory",
  "restart",
  "capacity",
] as const;
export type RequirementId = (typeof REQUIREMENTS)[number];

/** Two servers (or processes) under one load, with a probe: what they showed. */
export interface PairFinding {
  kind: "pair";
  lab: "topology" | "contention";
  setup: string;
  stale_reads: number;
  probes: number;
  records_a: number;
  records_b: number;
  diverged: boolean;
  errors_5xx: number;
}

export interface TrialRun {
  fault: Fault;
  trials: number;
  acked: number;
  lost: number;
  corrupt: number;
  /** Trials after which the store did not start again. */
  not_restarted: number;
}

/** A figure against the app's need: at least (rates) or at most (memory, start-up). */
export interface FigureFinding {
  kind: "figure";
  need: number;
  estimate: Estimate;
}

export type Finding =
  | { kind: "no-orders"; lab: "orders-check" | "bench"; reason: string }
  | { kind: "orders-kept"; crash_trials: number; race_held: boolean | null }
  | { kind: "join-answered" }
  | { kind: "not-measured"; lab: string; needs?: string[] }
  | PairFinding
  | { kind: "files-apart"; measured: PairFinding | null }
  | { kind: "declared"; trait: "service" | "many" | "claim"; claim?: Claim | string }
  | { kind: "oversold"; units: number }
  | { kind: "refused"; why: string }
  | { kind: "trials"; runs: TrialRun[] }
  | {
      kind: "orders-trials";
      fault: Fault;
      trials: number;
      acked: number;
      lost: number;
      broken: number;
    }
  | MachineLossFinding
  | FigureFinding
  | {
      kind: "capacity";
      need: number;
      workloads: (FigureFinding & { workload: Workload; valid: Valid })[];
    }
  | { kind: "replicas"; need: number; plan: ReplicaPlan; one_primary: Valid }
  | { kind: "ceiling"; need: number; ceiling_rps: number; records: number };

export interface Verdict {
  requirement: RequirementId;
  valid: Valid;
  finding: Finding;
}

/** What a requirement check reads. */
export interface Ctx {
  profile: Profile;
  ev: Evidence;
  est: Estimates;
  /** The memory this machine lets a store use, in MB. */
  memory_mb: number;
}

/** Share of this machine's memory a store may use holding the app's records. */
export const RAM_SHARE_MAX = 0.5;

/** The workloads the profile's traffic is made of: the mix, and each lookup it needs. */
export function workloadsOf(p: Profile): Workload[] {
  return ["mixed", ...p.needs.filter((n): n is "by-email" | "user-orders" => n !== "orders")];
}

/** The throughput figure of each workload the decision reads. */
export const RATE_OF: Record<Workload, Metric> = {
  read: "read_rps",
  write: "write_rps",
  mixed: "mixed_rps",
  "by-email": "by_email_rps",
  "user-orders": "user_orders_rps",
};

const verdict = (requirement: RequirementId, valid: Valid, finding: Finding): Verdict => ({
  requirement,
  valid,
  finding,
});

function orders(approach: string, c: Ctx): Verdict {
  const run = c.ev.orders?.runs.find((r) => r.approach === approach);
  if (run && !run.takes_orders)
    return verdict("orders", "fail", {
      kind: "no-orders",
      lab: "orders-check",
      reason: run.why ?? "",
    });
  const skipped = c.ev.bench.skipped?.find(
    (s) => s.approach === approach && s.workload === "user-orders",
  );
  if (skipped)
    return verdict("orders", "fail", { kind: "no-orders", lab: "bench", reason: skipped.reason });
  if (run) {
    const crash_trials = run.crash.reduce((n, x) => n + x.trials, 0);
    return verdict("orders", "pass", {
      kind: "orders-kept",
      crash_trials,
      race_held: run.race?.holds ?? null,
    });
  }
  const joined = c.ev.bench.runs.some(
    (r) => r.approach === approach && r.workload === "user-orders",
  );
  return joined
    ? verdict("orders", "pass", { kind: "join-answered" })
    : verdict("orders", "unknown", { kind: "not-measured", lab: "orders-check" });
}

function pairOf(
  lab: PairFinding["lab"],
  setup: string,
  r: Omit<PairFinding, "kind" | "lab" | "setup">,
): PairFinding {
  const { stale_reads, probes, records_a, records_b, diverged, errors_5xx } = r;
  return {
    kind: "pair",
    lab,
    setup,
    stale_reads,
    probes,
    records_a,
    records_b,
    diverged,
    errors_5xx,
  };
}

const pairValid = (p: PairFinding): Valid =>
  p.stale_reads > 0 || p.diverged || p.errors_5xx > 0 ? "fail" : "pass";

function servers(approach: string, c: Ctx): Verdict {
  const runs = c.ev.topology?.runs ?? [];
  const shared = runs.find((r) => r.approach === approach && r.setup === "postgres-shared");
  if (shared) {
    const p = pairOf("topology", shared.setup, shared);
    return verdict("servers", p.stale_reads > 0 || p.diverged ? "fail" : "pass", p);
  }
  if (c.ev.declared[approach]?.service)
    return verdict("servers", "pass", { kind: "declared", trait: "service" });
  const apart = runs.find((r) => r.setup === "sqlite-per-server");
  return verdict("servers", "fail", {
    kind: "files-apart",
    measured: apart ? pairOf("topology", apart.setup, apart) : null,
  });
}

function processes(approach: string, c: Ctx): Verdict {
  const race = c.ev.orders?.runs.find((r) => r.approach === approach)?.race;
  if (c.profile.needs.includes("orders") && race && !race.holds)
    return verdict("processes", "fail", { kind: "oversold", units: race.oversold_units });
  const refused = c.ev.contention?.refused?.find((r) => r.approach === approach);
  if (refused) return verdict("processes", "fail", { kind: "refused", why: refused.why });
  const run = c.ev.contention?.runs.find((r) => r.approach === approach);
  if (run) {
    const p = pairOf("contention", "one DATA_DIR", run);
    return verdict("processes", pairValid(p), p);
  }
  const many = c.ev.declared[approach]?.many ?? false;
  return verdict("processes", many ? "pass" : "fail", { kind: "declared", trait: "many" });
}

const trialRun = (r: DurabilityRun): TrialRun => ({
  ...{ fault: r.fault, trials: r.trials, acked: r.acked, lost: r.lost_acked },
  ...{ corrupt: r.corrupt, not_restarted: r.trials - r.restarted },
});

const kept = (r: TrialRun) => r.lost === 0 && r.corrupt === 0 && r.not_restarted === 0;

/** The orders' own crash trials, where the app places orders: every order must stay whole. */
function ordersTrials(approach: string, c: Ctx, fault: Fault): Verdict | undefined {
  if (!c.profile.needs.includes("orders")) return undefined;
  const t = c.ev.orders?.runs
    .find((r) => r.approach === approach)
    ?.crash.find((x) => x.fault === fault);
  if (!t || t.holds) return undefined;
  return verdict("survive", "fail", {
    kind: "orders-trials",
    ...{ fault, trials: t.trials, acked: t.acked, lost: t.lost, broken: t.invariant_broken },
  });
}

function survive(approach: string, c: Ctx): Verdict {
  const level = SURVIVE_FAULTS[c.profile.survive].at(-1) as Fault;
  const faults = [level, ...SURVIVE_DISK_FAULTS[c.profile.survive]];
  const runs = faults.flatMap((f) => {
    const r = c.ev.durability?.find((x) => x.approach === approach && x.fault === f);
    return r ? [trialRun(r)] : [];
  });
  if (runs.some((r) => r.fault === level))
    return (
      ordersTrials(approach, c, level) ??
      verdict("survive", runs.every(kept) ? "pass" : "fail", { kind: "trials", runs })
    );
  const claim = c.ev.bench.runs.find((r) => r.approach === approach)?.durability;
  if (claim === undefined)
    return verdict("survive", "unknown", { kind: "not-measured", lab: "crash" });
  const enough = claim === "power-loss" || (claim === "process-crash" && level === "sigkill");
  return (
    (enough ? ordersTrials(approach, c, level) : undefined) ??
    verdict("survive", enough ? "pass" : "fail", { kind: "declared", trait: "claim", claim })
  );
}

function figure(requirement: RequirementId, metric: Metric, need: number) {
  return (approach: string, c: Ctx): Verdict => {
    const estimate = c.est.get(approach, metric, c.profile.records);
    if (!estimate) return verdict(requirement, "unknown", { kind: "not-measured", lab: "bench" });
    return verdict(requirement, judge(estimate, need), { kind: "figure", need, estimate });
  };
}

/** The slowest of the needed workloads, each judged against the peak, on one server. */
export function oneServer(approach: string, c: Ctx): Verdict {
  const need = requiredPeakRps(c.profile);
  const workloads = workloadsOf(c.profile).flatMap((workload) => {
    const estimate = c.est.get(approach, RATE_OF[workload], c.profile.records);
    return estimate
      ? [{ kind: "figure" as const, workload, need, estimate, valid: judge(estimate, need) }]
      : [];
  });
  if (workloads.length < workloadsOf(c.profile).length)
    return (
      beyondCeiling(c, need) ??
      verdict("capacity", "unknown", { kind: "not-measured", lab: "bench" })
    );
  const valid = merge(workloads.map((w) => w.valid));
  // Its own figures fail it, or pass it; where they cannot tell, the ceiling may.
  const own = verdict("capacity", valid, { kind: "capacity", need, workloads });
  return valid === "unknown" ? (beyondCeiling(c, need) ?? own) : own;
}

/**
 * No store answers faster than the bare node:http server answering fixed bytes. A peak past
 * CEILING_MARGIN times the fastest it was measured at fails every store whose own figures do
 * not decide: the margin is wider than any noise these machines show.
 */
export const CEILING_MARGIN = 3;

function beyondCeiling(c: Ctx, need: number): Verdict | undefined {
  const fastest = (c.ev.bench.ceilings ?? []).reduce<{ rps: number; records: number } | undefined>(
    (a, r) => (!a || r.rps > a.rps ? { rps: r.rps, records: r.records } : a),
    undefined,
  );
  if (!fastest || need <= CEILING_MARGIN * fastest.rps) return undefined;
  return verdict("capacity", "fail", {
    kind: "ceiling",
    need,
    ceiling_rps: fastest.rps,
    records: fastest.records,
  });
}

/** On several servers, where one primary is not shown to carry it: read replicas, if measured. */
function capacity(approach: string, c: Ctx): Verdict {
  const one = oneServer(approach, c);
  if (c.profile.servers <= 1 || one.valid === "pass") return one;
  const plan = planReplicas(approach, c.profile, c.ev.topology);
  if (!plan || (plan.valid === "fail" && one.valid === "unknown")) return one;
  const need = requiredPeakRps(c.profile);
  return verdict("capacity", plan.valid, { kind: "replicas", need, plan, one_primary: one.valid });
}

/** Losing the database's machine: see results/machine-loss.ts. */
function survivesMachineLoss(approach: string, c: Ctx): Verdict {
  const service = Boolean(c.ev.declared[approach]?.service);
  const v = machineLoss(service, c.ev.failover, c.profile);
  return v
    ? verdict("machine-loss", v.valid, v.finding)
    : verdict("machine-loss", "unknown", {
        ...{ kind: "not-measured", lab: "failover" },
        ...(c.ev.failover_missing ? { needs: c.ev.failover_missing } : {}),
      });
}

const CHECKS: Record<RequirementId, (approach: string, c: Ctx) => Verdict> = {
  orders,
  servers,
  processes,
  survive,
  "machine-loss": survivesMachineLoss,
  memory: (a, c) => figure("memory", "rss_mb", c.memory_mb)(a, c),
  restart: (a, c) => figure("restart", "startup_ms", c.profile.restart_s_max * 1000)(a, c),
  capacity,
};

/** Whether the profile asks for the requirement at all. */
export function applies(id: RequirementId, p: Profile): boolean {
  if (id === "orders") return p.needs.includes("orders") || p.needs.includes("user-orders");
  if (id === "servers") return p.servers > 1;
  if (id === "processes") return p.processes > 1 && p.servers <= 1;
  if (id === "survive") return p.survive !== "nothing";
  if (id === "machine-loss") return p.survive === "machine-loss";
  return true;
}

/** Every requirement the profile has, checked for `approach`, in order. */
export function verdictsFor(approach: string, c: Ctx): Verdict[] {
  return REQUIREMENTS.filter((id) => applies(id, c.profile)).map((id) => CHECKS[id](approach, c));
}
