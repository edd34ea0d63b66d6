// The answer for one app: given its profile and what the labs measured on this machine,
// which approach to use, how to run it, how long it holds, and the verdict behind every
// other one, in ids and numbers. Pure: `npm run advise` and `npm run bench` both decide with
// it, so they never disagree; report/decision.ts says it in words.
import type { Declared } from "./bench.ts";
import { Estimates } from "./estimate.ts";
import type { FailoverMode, ReplicationSettings } from "./failover.ts";
import {
  type Fleet,
  type FleetRates,
  fleetEstimate,
  fleetRates,
  type ReplicaPlan,
} from "./fleet.ts";
import { type Lasts, lastsOf } from "./horizon.ts";
import type { ModeVerdict } from "./machine-loss.ts";
import { type Profile, requiredPeakRps } from "./profile.ts";
import {
  type Ctx,
  type Evidence,
  type LabState,
  RAM_SHARE_MAX,
  type Verdict,
  verdictsFor,
} from "./requirements.ts";
import { merge, type Valid } from "./verdict.ts";
import { type TrustWarning, trustWarnings } from "./warnings.ts";

export type { Evidence, LabState } from "./requirements.ts";
export { workloadsOf } from "./requirements.ts";

export interface Candidate {
  approach: string;
  /** Its data lives in a database server: the memory and start-up measured are the app's only. */
  service: boolean;
  /** Every requirement's verdict, merged. */
  valid: Valid;
  verdicts: Verdict[];
  /** The requests/s it is sure to carry for this app, and that over the peak; null where unknown. */
  capacity_rps: number | null;
  /** The most it could carry, at its figures' best edge; null where unknown. */
  capacity_best_rps: number | null;
  headroom: number | null;
  /** For an approach that passes: how long it holds the app's growth. */
  lasts: Lasts | null;
}

export type Status =
  | "answer"
  | "undecided"
  | "none-enough"
  | "nothing-measured"
  | "interrupted"
  | "failed";

export type DecisionWarning =
  | TrustWarning
  | { id: "claim-stands-in"; approach: string }
  | { id: "records-not-measured"; records: number; largest: number }
  | { id: "capacity-unsteady"; approach: string; workload: string; records: number };

/** How to run the choice: its settings, its code, the files it keeps. */
export interface RunPlan {
  approach: string;
  env: Record<string, string>;
  /** On several servers: every app server reaches one database through DATABASE_URL. */
  shared_database: boolean;
  code: string | null;
  files: string[];
  /** Where the app must survive losing the database's machine: the failover setup measured to. */
  failover?: {
    mode: FailoverMode;
    replication: ReplicationSettings;
    ttl: number;
    loop_wait: number;
    retry_timeout: number;
    /** The chosen mode's trials: where reads go, and what they saw. */
    chosen: ModeVerdict;
  };
}

/** The answer under another deployment: the servers the app will have later, or a second one. */
export interface Outlook {
  servers: number;
  status: Status;
  recommended: string | null;
  deployment?: ReplicaPlan;
  /** Why the answer for now would not do then, when it would not. */
  now_fails?: Verdict;
}

export interface Decision {
  needadb_decision: 2;
  profile: Profile;
  /** The peak the app needs, in requests per second. */
  required_rps: number;
  status: Status;
  recommended: string | null;
  headroom: number | null;
  /** Every approach: those that pass, ranked, then those not shown to fail, then the rest. */
  candidates: Candidate[];
  /** Approaches simpler than the answer that could not be judged: they might also do. */
  simpler_unknown: string[];
  run?: RunPlan;
  deployment?: ReplicaPlan;
  /** What to move to when the answer reaches its first limit, if another lasts longer. */
  next?: { approach: string; lasts: Lasts };
  /** The answer at `servers_later`, or with a second server when the profile names none. */
  later?: Outlook;
  /** With records_per_day assumed (one per write): the answer if the records did not grow. */
  without_growth?: { recommended: string | null };
  fleet?: Fleet;
  /**
   * Nothing on one machine is enough, and no fleet could be estimated: no rate of the store
   * with a server of its own was measured, or something besides speed ruled every such
   * store out.
   */
  fleet_missing?:
    | { approach: string; why: "no-rate" }
    | { approach: null; why: "no-service-store" };
  /** The labs that did not finish. */
  labs: LabState[];
  /** Advise measured all it needed: nothing left unmeasured could change the answer. */
  final?: boolean;
  warnings: DecisionWarning[];
}

interface Options {
  /** Decide with this many records a day instead of the profile's. */
  records_per_day?: number;
  /** A decision inside another: no outlooks of its own. */
  nested?: boolean;
}

/** The approaches measured, in the bench's order: every store, not a ceiling. */
function approachesOf(ev: Evidence): string[] {
  const measured = new Set(ev.bench.runs.map((r) => r.approach));
  const chosen =
    ev.candidates ?? [...ev.bench.settings.approaches, ...measured].filter((a) => measured.has(a));
  return [...new Set(chosen)].filter((a) => !ev.declared[a]?.ceiling);
}

const SIMPLE_ORDER = ["file", "memory", "sqlite", "engine", "own", "server"];
const simplicity = (d: Declared | undefined) => {
  const i = SIMPLE_ORDER.indexOf(d?.simplicity ?? "own");
  return i === -1 ? SIMPLE_ORDER.indexOf("own") : i;
};

/** The requests/s the candidate is sure to carry: the least sure edge of its capacity. */
function sureCapacity(v: Verdict | undefined): number | null {
  const f = v?.finding;
  if (f?.kind === "replicas") return f.plan.capacity_rps;
  if (f?.kind !== "capacity") return null;
  return Math.min(
    ...f.workloads.map((w) =>
      w.estimate.basis === "measured" ? w.estimate.low : (w.estimate.bound ?? w.estimate.low),
    ),
  );
}

/** The most the candidate could carry: the least best edge of its capacity's workloads. */
function bestCapacity(v: Verdict | undefined): number | null {
  const f = v?.finding;
  if (f?.kind === "replicas") return f.plan.capacity_rps;
  if (f?.kind === "ceiling") return f.ceiling_rps;
  if (f?.kind !== "capacity") return null;
  return Math.min(...f.workloads.map((w) => w.estimate.high));
}

function candidateOf(approach: string, c: Ctx, o: Options): Candidate {
  const verdicts = verdictsFor(approach, c);
  const valid = merge(verdicts.map((v) => v.valid));
  const capacity = verdicts.find((v) => v.requirement === "capacity");
  const rps = sureCapacity(capacity);
  const need = requiredPeakRps(c.profile);
  const withRates = capacity?.finding.kind !== "replicas";
  return {
    ...{ approach, service: Boolean(c.ev.declared[approach]?.service), valid, verdicts },
    capacity_rps: rps,
    capacity_best_rps: bestCapacity(capacity),
    headroom: rps === null ? null : need > 0 ? rps / need : Number.POSITIVE_INFINITY,
    lasts:
      valid === "pass"
        ? lastsOf(approach, c.profile, c.est, {
            ...{ memory_mb: c.memory_mb, withRates },
            inProcess: !c.ev.declared[approach]?.service,
            ...(o.records_per_day === undefined ? {} : { records_per_day: o.records_per_day }),
          })
        : null,
  };
}

/**
 * 0: the bound shows it holds the horizon; 1: its fit predicts it holds; 2: nothing tells;
 * 3: it reaches a limit inside the horizon (predicted, or even at its best edge).
 */
function tier(l: Lasts | null): number {
  if (!l || l.valid === "pass") return 0;
  if (l.valid === "unknown" && l.predicted_to_hold === true) return 1;
  return l.valid === "unknown" && l.predicted_to_hold === null ? 2 : 3;
}

const daysOf = (l: Lasts | null) => l?.days_predicted ?? l?.days_sure ?? Number.POSITIVE_INFINITY;

/**
 * Those that pass first: the ones shown to hold the horizon, simplest first; then those
 * predicted to; then those nothing tells about; then those that reach a limit inside it,
 * longest-lasting first. Then the ones
 * not shown to fail, then the rest, simplest first.
 */
function rank(cands: Candidate[], ev: Evidence): Candidate[] {
  const order = (a: Candidate) => simplicity(ev.declared[a.approach]);
  const validRank = { pass: 0, unknown: 1, fail: 2 };
  return cands.toSorted((a, b) => {
    const byValid = validRank[a.valid] - validRank[b.valid];
    if (byValid) return byValid;
    if (a.valid === "pass") {
      const t = tier(a.lasts) - tier(b.lasts);
      if (t) return t;
      if (tier(a.lasts) === 3) return daysOf(b.lasts) - daysOf(a.lasts);
    }
    return order(a) - order(b);
  });
}

function statusOf(cands: Candidate[], labs: LabState[], best: Candidate | undefined): Status {
  if (!cands.length) return "nothing-measured";
  if (labs.some((l) => l.interrupted)) return "interrupted";
  if (labs.some((l) => !l.complete)) return "failed";
  if (best) return "answer";
  return cands.some((x) => x.valid === "unknown") ? "undecided" : "none-enough";
}

export function decide(profile: Profile, ev: Evidence, o: Options = {}): Decision {
  const est = new Estimates(ev.bench);
  const memory_mb = (ev.bench.machine.mem * RAM_SHARE_MAX) / 2 ** 20;
  const c: Ctx = { profile, ev, est, memory_mb };
  const candidates = rank(
    approachesOf(ev).map((a) => candidateOf(a, c, o)),
    ev,
  );
  const best = candidates[0]?.valid === "pass" ? candidates[0] : undefined;
  const labs = (ev.labs ?? []).filter((l) => !l.complete);
  const status = statusOf(candidates, labs, best);
  const deployment = replicaPlanOf(best);
  const fleet = best ? undefined : fleetFor(c, candidates);
  return {
    ...{ needadb_decision: 2, profile, required_rps: requiredPeakRps(profile), status },
    ...{ recommended: best?.approach ?? null, headroom: best?.headroom ?? null, candidates },
    simpler_unknown: best ? simplerUnknown(best, candidates, ev) : [],
    ...(best ? { run: runPlan(best, profile, ev, deployment) } : {}),
    ...(deployment ? { deployment } : {}),
    ...nextOf(best, candidates),
    ...(o.nested ? {} : outlooks(profile, ev, best)),
    ...(fleet ?? {}),
    labs,
    ...(ev.final === undefined ? {} : { final: ev.final }),
    warnings: warningsOf(c, candidates, best),
  };
}

function replicaPlanOf(best: Candidate | undefined): ReplicaPlan | undefined {
  const f = best?.verdicts.find((v) => v.requirement === "capacity")?.finding;
  return f?.kind === "replicas" ? f.plan : undefined;
}

function simplerUnknown(best: Candidate, cands: Candidate[], ev: Evidence): string[] {
  const level = simplicity(ev.declared[best.approach]);
  return cands
    .filter((x) => x.valid === "unknown" && simplicity(ev.declared[x.approach]) < level)
    .map((x) => x.approach);
}

/** Past this many horizons, a limit is beyond any plan: no "next" is named for it. */
const NEXT_HORIZONS_MAX = 3;

/** When the answer reaches its first limit within a few horizons: the next that lasts longer. */
function nextOf(best: Candidate | undefined, cands: Candidate[]): Pick<Decision, "next"> {
  if (!best?.lasts?.first) return {};
  const until = daysOf(best.lasts);
  if (until > NEXT_HORIZONS_MAX * best.lasts.horizon_days) return {};
  const next = cands.find(
    (x) => x !== best && x.valid === "pass" && x.lasts && daysOf(x.lasts) > until,
  );
  return next?.lasts ? { next: { approach: next.approach, lasts: next.lasts } } : {};
}

/** The answer at the servers planned for later (or a second server), and without growth. */
function outlooks(p: Profile, ev: Evidence, best: Candidate | undefined) {
  const servers = p.servers_later ?? (p.servers === 1 ? 2 : undefined);
  const out: Pick<Decision, "later" | "without_growth"> = {};
  if (servers !== undefined) {
    const then = decide({ ...p, servers, servers_later: undefined }, ev, { nested: true });
    const mine = then.candidates.find((x) => x.approach === best?.approach);
    out.later = {
      ...{ servers, status: then.status, recommended: then.recommended },
      ...(then.deployment ? { deployment: then.deployment } : {}),
      ...(mine && mine.valid !== "pass"
        ? { now_fails: mine.verdicts.find((v) => v.valid !== "pass") as Verdict }
        : {}),
    };
  }
  if (p.records_per_day === undefined) {
    const flat = decide(p, ev, { nested: true, records_per_day: 0 });
    if (flat.recommended !== (best?.approach ?? null))
      out.without_growth = { recommended: flat.recommended };
  }
  return out;
}

function runPlan(
  best: Candidate,
  p: Profile,
  ev: Evidence,
  plan: ReplicaPlan | undefined,
): RunPlan {
  const approach = best.approach;
  const d = ev.declared[approach];
  const env: Record<string, string> = { APPROACH: approach, ...(d?.settings ?? {}) };
  if (p.processes > 1) env.WORKERS = String(p.processes);
  if (plan && plan.kind !== "none carries it") env.POSTGRES_REPLICAS = String(plan.replicas);
  return {
    ...{ approach, env, shared_database: p.servers > 1 && Boolean(d?.service) },
    ...{ code: d?.code ?? null, files: d?.files ?? [] },
    ...failoverPlan(best, ev),
  };
}

/** The replication mode the machine-loss verdict chose, with the lab's Patroni timings. */
function failoverPlan(best: Candidate, ev: Evidence): Pick<RunPlan, "failover"> {
  const f = best.verdicts.find((v) => v.requirement === "machine-loss")?.finding;
  const s = ev.failover?.settings;
  if (f?.kind !== "failover" || !f.mode || !s) return {};
  const { ttl, loop_wait, retry_timeout } = s;
  return {
    failover: {
      ...{ mode: f.mode, replication: s.replication[f.mode], ttl, loop_wait, retry_timeout },
      chosen: f.modes.find((m) => m.mode === f.mode) as ModeVerdict,
    },
  };
}

/**
 * When nothing on one machine is enough: the fleet for the first store with a server of its
 * own that only speed ruled out, from its replicas' rates, else the bench's read and write
 * cells, else its mixed cell split by the write share; or, with no rate at all, what to
 * measure.
 */
function fleetFor(
  c: Ctx,
  cands: Candidate[],
): Pick<Decision, "fleet" | "fleet_missing"> | undefined {
  if (!cands.length || cands.some((x) => x.valid !== "fail")) return undefined;
  const slow = cands.find(
    (x) =>
      c.ev.declared[x.approach]?.service &&
      x.verdicts.every((v) => v.valid !== "fail" || v.requirement === "capacity"),
  );
  if (!slow) return { fleet_missing: { approach: null, why: "no-service-store" } };
  const rates = fleetRates(slow.approach, c.profile, c.ev.topology) ?? benchRates(slow.approach, c);
  return rates
    ? { fleet: fleetEstimate(slow.approach, c.profile, rates) }
    : { fleet_missing: { approach: slow.approach, why: "no-rate" } };
}

/** One server's rates from the bench, at the largest size it measured them. */
function benchRates(approach: string, c: Ctx): FleetRates | undefined {
  const at = (metric: "read_rps" | "write_rps" | "mixed_rps") => {
    const size = c.est.sizes(approach, metric).at(-1);
    return size === undefined ? undefined : c.est.get(approach, metric, size)?.from;
  };
  const read = at("read_rps");
  const write = at("write_rps");
  const source = (m: { records: number; duration_s: number }) => ({
    ...{ lab: "bench" as const, records: m.records, duration_s: m.duration_s },
  });
  if (read && write)
    return {
      ...{ read_rps_per_replica: read.value, write_rps_per_primary: write.value },
      ...{ kind: "read-write", waiting: false, from: source(read) },
    };
  const mixed = at("mixed_rps");
  if (!mixed || c.profile.write_share <= 0) return undefined;
  return {
    read_rps_per_replica: mixed.value,
    write_rps_per_primary: mixed.value * c.profile.write_share,
    ...{ kind: "mixed-split", waiting: false, from: source(mixed) },
  };
}

function warningsOf(c: Ctx, cands: Candidate[], best: Candidate | undefined): DecisionWarning[] {
  const w: DecisionWarning[] = trustWarnings(
    [...c.ev.bench.runs, ...(c.ev.bench.ceilings ?? [])],
    c.ev.bench.load.tool,
  );
  const largest = Math.max(0, ...c.ev.bench.runs.map((r) => r.records));
  if (!c.ev.bench.runs.some((r) => r.records === c.profile.records))
    w.push({ id: "records-not-measured", records: c.profile.records, largest });
  for (const x of cands.filter((y) => y.valid === "pass")) {
    const f = x.verdicts.find((v) => v.requirement === "survive")?.finding;
    if (f?.kind === "declared" && !c.ev.declared[x.approach]?.service)
      w.push({ id: "claim-stands-in", approach: x.approach });
  }
  const cap = best?.verdicts.find((v) => v.requirement === "capacity")?.finding;
  if (cap?.kind === "capacity")
    for (const wl of cap.workloads)
      if (wl.estimate.from.steady === false)
        w.push({
          ...{ id: "capacity-unsteady", approach: best?.approach ?? "" },
          ...{ workload: wl.workload, records: wl.estimate.from.records },
        });
  return w;
}
