// The answer for one app: given its profile and what the labs measured on this machine,
// which approach to use, why, and the measured reason every other one was ruled out. Pure:
// `npm run advise` and `npm run bench` both decide with it, so they never disagree.
import type { Declared, Results, Run } from "./bench.ts";
import type { ContentionResults } from "./contention.ts";
import type { DurabilityRun, Fault } from "./durability.ts";
import { Figures } from "./figures.ts";
import { type Fleet, fleetEstimate, fleetRates, planReplicas, type ReplicaPlan } from "./fleet.ts";
import type { Metric } from "./growth-rows.ts";
import type { Workload } from "./load.ts";
import type { OrdersResults } from "./orders.ts";
import { inWords, type Limits, type Outgrow, outgrowOf, recordsPerDay } from "./outgrow.ts";
import {
  dauAt,
  type Profile,
  requiredPeakRps,
  SURVIVE_DISK_FAULTS,
  SURVIVE_FAULTS,
} from "./profile.ts";
import type { TopologyResults } from "./topology.ts";

/** Everything measured for the decision, each from the lab that measured it. */
export interface Evidence {
  bench: Results;
  durability?: DurabilityRun[];
  contention?: ContentionResults;
  topology?: TopologyResults;
  orders?: OrdersResults;
  declared: Record<string, Declared>;
}

export interface RuledOut {
  approach: string;
  requirement: string;
  evidence: string;
  /**
   * The requirement could not be checked at the profile's size: its figure was neither
   * measured there nor predictable (a fit that missed its held-out point). Not a failure
   * shown, only one not ruled out; the answer says so rather than "nothing is enough".
   */
  unknown?: true;
}

export interface Decision {
  needadb_decision: 1;
  profile: Profile;
  /** The peak the app needs, in requests per second. */
  required_rps: number;
  recommended: string | null;
  reason: string;
  /** The recommended approach's measured capacity over the required peak. */
  headroom: number | null;
  /** How the approaches that pass every requirement are ranked. */
  rule: string;
  passing: { approach: string; capacity_rps: number; headroom: number }[];
  /** For the recommended approach: each requirement it meets, and the measurement that shows it. */
  met: { requirement: string; evidence: string }[];
  /** How long the recommended approach, and the next that passes, hold the app's growing data. */
  outgrows: Outgrow[];
  /**
   * On several servers, for a recommended approach whose replicas were measured: one primary,
   * or a primary with read replicas, and why.
   */
  deployment?: ReplicaPlan;
  /** When nothing passes because no one server is fast enough: the fleet it would take. */
  fleet?: Fleet;
  ruled_out: RuledOut[];
  what_would_change: string[];
  warnings: string[];
}

/**
 * Simplest first: a file, a map, SQLite's one file (built into Node), an embedded engine from
 * npm (a native dependency, nothing to run), then stores you would own, then a server.
 */
export const SIMPLEST_FIRST = [
  "linear",
  "map",
  "binary",
  "jsonl-fsync",
  "jsonl-group",
  "sqlite",
  "sqlite-group",
  "sqlite-batched",
  "lmdb",
  "leveldb",
  "map-shared",
  "lsm",
  "postgres",
];

export const RANKING_RULE =
  "Of the approaches that meet every requirement, the simplest wins, in this order: a file you scan (linear), a map in memory (map, binary, then the durable map stores), SQLite's one file (built into Node), an embedded engine from npm (lmdb, then leveldb: a native dependency, nothing to run), the stores that need more of you (map-shared, lsm), and last a database server (postgres). Each step adds something to run and understand; headroom does not rank, because any approach whose measured capacity meets the peak is enough.";

/** Share of this machine's memory a store may use holding the app's records. */
export const RAM_SHARE_MAX = 0.5;

const fmt = (n: number) => Math.round(n).toLocaleString("en");
const rate = (n: number) => (n < 10 ? n.toFixed(1) : fmt(n));
const rank = (a: string) => {
  const i = SIMPLEST_FIRST.indexOf(a);
  return i === -1 ? SIMPLEST_FIRST.length : i;
};

interface Ctx {
  profile: Profile;
  ev: Evidence;
  /** The dataset size the figures are for: the profile's, or the nearest measured. */
  records: number;
  /** Each approach's figures at `records`: measured, or predicted from the bench's ladder. */
  figures: Figures;
  /** Per approach with replicas measured: its setup for several servers (results/fleet.ts). */
  plans: Map<string, ReplicaPlan | undefined>;
  warnings: string[];
}

/** A requirement: its name, and the measured reason an approach fails it (or undefined). */
/** A requirement that could not be checked, and why. */
interface Unknown {
  unknown: string;
}

interface Requirement {
  name: (p: Profile) => string;
  applies: (p: Profile) => boolean;
  /** Why the approach fails it (measured, or predicted), why it could not be told, or undefined. */
  fails: (approach: string, c: Ctx) => string | Unknown | undefined;
  /** For an approach that meets it: the measurement that shows it does. */
  shows: (approach: string, c: Ctx) => string;
}

function cell(c: Ctx, approach: string, workload: string): Run | undefined {
  return c.ev.bench.runs.find(
    (r) => r.approach === approach && r.workload === workload && r.records === c.records,
  );
}

/** What a store says it survives, from any of its cells: a claim does not depend on the size. */
function claimOf(c: Ctx, approach: string): Run["durability"] | undefined {
  return c.ev.bench.runs.find((r) => r.approach === approach)?.durability;
}

/** The workloads the profile's traffic is made of: the mix, and each lookup it needs. */
export function workloadsOf(p: Profile): Workload[] {
  return ["mixed", ...p.needs.filter((n): n is "by-email" | "user-orders" => n !== "orders")];
}

/** The throughput figure of each workload the decision reads. */
const RATE_OF: Record<Workload, Metric> = {
  read: "read_rps",
  write: "write_rps",
  mixed: "mixed_rps",
  "by-email": "by_email_rps",
  "user-orders": "user_orders_rps",
};

interface Capacity {
  rps: number;
  workload: string;
  steady: boolean | null;
  /** Where the figure comes from: measured at a size, or predicted and from what. */
  source: string;
}

/**
 * The approach's capacity for this app: what one server of it carries (benchCapacityOf), or,
 * on several servers, what its primary with read replicas carries, if that is more.
 */
export function capacityOf(approach: string, c: Ctx): Capacity | string {
  const one = benchCapacityOf(approach, c);
  const plan = planOf(approach, c);
  if (!plan || plan.kind === "one primary" || plan.kind === "none carries it") return one;
  if (typeof one !== "string" && one.rps >= plan.capacity_rps) return one;
  const source = `a primary with ${plan.replicas} replica${plan.replicas > 1 ? "s" : ""}${plan.predicted ? ", predicted past the replicas measured" : ""}; npm run topology`;
  return {
    rps: plan.capacity_rps,
    workload: "reads on replicas, writes on the primary",
    steady: null,
    source,
  };
}

/** The setup for several servers of an approach whose replicas were measured, once per decision. */
function planOf(approach: string, c: Ctx): ReplicaPlan | undefined {
  if (!c.plans.has(approach)) {
    const one = benchCapacityOf(approach, c);
    const rps = typeof one === "string" ? 0 : one.rps;
    c.plans.set(approach, planReplicas(approach, c.profile, c.ev.topology?.replica_runs, rps));
  }
  return c.plans.get(approach);
}

/**
 * The least of the needed workloads' req/s (measured, or predicted) on one server: the
 * approach's capacity for this app; a string says why there is none.
 */
function benchCapacityOf(approach: string, c: Ctx): Capacity | string {
  let slowest: Capacity | undefined;
  for (const w of workloadsOf(c.profile)) {
    const f = c.figures.get(approach, RATE_OF[w]);
    if ("missing" in f) return f.missing;
    if (!slowest || f.value < slowest.rps)
      slowest = {
        rps: f.value,
        workload: w,
        steady: cell(c, approach, w)?.steady ?? null,
        source: f.source,
      };
  }
  return slowest ?? "no workload to measure";
}

const rpsOf = (approach: string, c: Ctx) => {
  const capacity = capacityOf(approach, c);
  return typeof capacity === "string" ? 0 : capacity.rps;
};

/** A warning when the recommended approach's capacity was read off a cell that had not settled. */
function unsteadyWarning(approach: string, c: Ctx): string[] {
  const capacity = capacityOf(approach, c);
  if (typeof capacity === "string" || capacity.steady !== false) return [];
  return [
    `\`${approach}\`'s capacity comes from its ${capacity.workload} cell at ${fmt(c.records)} records, whose rate had not settled while it was measured: its headroom may be off by as much as that cell moved. Run \`npm run bench\` with a longer \`--warmup-max\` before relying on it.`,
  ];
}

/** A store's 501 reason, without the route's preamble and the list of alternatives. */
const why501 = (reason: string | undefined) =>
  (reason ?? "")
    .replace(/^APPROACH=\S+ does not take orders: /, "")
    .replace(/[;.] for orders, use .*$/, "");

const takesOrders: Requirement = {
  name: () => "takes orders (all or nothing)",
  applies: (p) => p.needs.includes("orders") || p.needs.includes("user-orders"),
  fails(approach, c) {
    const run = c.ev.orders?.runs.find((r) => r.approach === approach);
    if (run && !run.takes_orders)
      return `answers 501 to orders (npm run orders-check): ${why501(run.why)}`;
    const skipped = c.ev.bench.skipped?.find(
      (s) => s.approach === approach && s.workload === "user-orders",
    );
    return skipped
      ? `answers 501 to GET /users/:id/orders (npm run bench): ${skipped.reason}`
      : undefined;
  },
  shows(approach, c) {
    const run = c.ev.orders?.runs.find((r) => r.approach === approach);
    const trials = run?.crash.reduce((n, x) => n + x.trials, 0) ?? 0;
    return run
      ? `kept every order whole through ${trials} crash trials${run.race ? ", and oversold nothing in a two-process race" : ""} (npm run orders-check)`
      : "answered GET /users/:id/orders (npm run bench)";
  },
};

const severalServers: Requirement = {
  name: (p) => `serves one set of data from ${p.servers} servers`,
  applies: (p) => p.servers > 1,
  fails(approach, c) {
    const shared = c.ev.topology?.runs.find(
      (r) => r.approach === approach && r.setup === "postgres-shared",
    );
    if (shared)
      return shared.diverged || shared.stale_reads > 0
        ? `two app servers on one PostgreSQL: ${fmt(shared.stale_reads)} of ${fmt(shared.probes)} reads stale (npm run topology)`
        : undefined;
    if (c.ev.declared[approach]?.service) return undefined;
    const apart = c.ev.topology?.runs.find((r) => r.setup === "sqlite-per-server");
    if (!apart)
      return "keeps its data in files beside one server, so a second server has its own copy (a declaration: run npm run topology to measure it)";
    return `keeps its data in files beside one server: two servers with a file each served ${fmt(apart.stale_reads)} of ${fmt(apart.probes)} reads stale and ended with ${fmt(apart.records_a)} and ${fmt(apart.records_b)} records (npm run topology, measured on sqlite)`;
  },
  shows(approach, c) {
    const shared = c.ev.topology?.runs.find(
      (r) => r.approach === approach && r.setup === "postgres-shared",
    );
    return shared
      ? `two app servers on one PostgreSQL: ${fmt(shared.stale_reads)} of ${fmt(shared.probes)} reads stale (npm run topology)`
      : "one database server that every app server reaches (a declaration: npm run topology measures it)";
  },
};

const severalProcesses: Requirement = {
  name: (p) => `stays correct with ${p.processes} processes on one DATA_DIR`,
  applies: (p) => p.processes > 1 && p.servers <= 1,
  fails(approach, c) {
    const race = c.ev.orders?.runs.find((r) => r.approach === approach)?.race;
    if (c.profile.needs.includes("orders") && race && !race.holds)
      return `two processes selling the same stock oversold ${fmt(race.oversold_units)} units (npm run orders-check)`;
    const run = c.ev.contention?.runs.find((r) => r.approach === approach);
    const refused = c.ev.contention?.refused?.find((r) => r.approach === approach);
    if (refused)
      return `a second process would not start on its DATA_DIR: "${refused.why}" (npm run contention)`;
    if (!run)
      return c.ev.declared[approach]?.many
        ? undefined
        : "says it is not safe with several processes (a declaration: run npm run contention to measure it)";
    if (run.stale_reads > 0)
      return `${Math.round((run.stale_reads / Math.max(1, run.probes)) * 100)}% stale reads with two processes (${fmt(run.stale_reads)} of ${fmt(run.probes)}; npm run contention)`;
    if (run.diverged)
      return `two processes ended with different data: ${fmt(run.records_a)} and ${fmt(run.records_b)} records (npm run contention)`;
    if (run.errors_5xx > 0)
      return `${fmt(run.errors_5xx)} server errors with two processes (npm run contention)`;
    return undefined;
  },
  shows(approach, c) {
    const run = c.ev.contention?.runs.find((r) => r.approach === approach);
    return run
      ? `two processes: ${fmt(run.stale_reads)} of ${fmt(run.probes)} reads stale, the same ${fmt(run.records_a)} records in both (npm run contention)`
      : "says it is safe with several processes (a declaration: npm run contention measures it)";
  },
};

/** How evidence names each fault's trials. */
const FAULT_TRIALS: Record<Fault, string> = {
  powercut: "power cuts",
  sigkill: "process crashes (SIGKILL)",
  enospc: "full-disk trials",
  eio: "failed-fsync trials",
  torn: "power cuts with torn writes",
};

const survives: Requirement = {
  name: (p) =>
    `keeps acknowledged writes through a ${p.survive === "power-loss" ? "power loss" : "process crash"}`,
  applies: (p) => p.survive !== "nothing",
  fails(approach, c) {
    const fault = SURVIVE_FAULTS[c.profile.survive].at(-1);
    if (!fault) return undefined;
    const level = { fault, what: FAULT_TRIALS[fault] };
    const measured = c.ev.durability?.find(
      (r) => r.approach === approach && r.fault === level.fault,
    );
    if (measured) {
      return (
        lostIn(measured, level.what) ??
        diskFaultLoss(approach, c) ??
        ordersSurvive(approach, c, level.fault, level.what)
      );
    }
    const claim = claimOf(c, approach);
    const enough =
      claim === "power-loss" || (claim === "process-crash" && level.fault === "sigkill");
    if (!enough) return `claims to survive ${claim ?? "nothing"} only (not measured here)`;
    if (!c.ev.declared[approach]?.service)
      c.warnings.push(
        `\`${approach}\`'s ${level.what} were not measured here; its claim to survive them stands in.`,
      );
    return ordersSurvive(approach, c, level.fault, level.what);
  },
  shows(approach, c) {
    const faults = [
      ...SURVIVE_FAULTS[c.profile.survive].slice(-1),
      ...SURVIVE_DISK_FAULTS[c.profile.survive],
    ];
    const kept = faults.flatMap((fault) => {
      const run = c.ev.durability?.find((r) => r.approach === approach && r.fault === fault);
      return run
        ? [`${fmt(run.lost_acked)} of ${fmt(run.acked)} over ${run.trials} ${FAULT_TRIALS[fault]}`]
        : [];
    });
    return kept.length
      ? `lost ${kept.join(", ")} (npm run crash)`
      : `claims it (${claimOf(c, approach) ?? "not said"}); not measured here`;
  },
};

/** What a run of crash trials did wrong, or undefined if it kept every acknowledged write. */
function lostIn(run: DurabilityRun, what: string): string | undefined {
  if (run.lost_acked === 0 && run.corrupt === 0 && run.restarted === run.trials) return undefined;
  return `lost ${fmt(run.lost_acked)} of ${fmt(run.acked)} acknowledged writes over ${run.trials} ${what}${run.corrupt ? `, ${run.corrupt} corrupt` : ""}${run.restarted < run.trials ? `, ${run.trials - run.restarted} failed to restart` : ""} (npm run crash)`;
}

/** The level's disk faults, where they were measured (SURVIVE_DISK_FAULTS). */
function diskFaultLoss(approach: string, c: Ctx): string | undefined {
  for (const fault of SURVIVE_DISK_FAULTS[c.profile.survive]) {
    const run = c.ev.durability?.find((r) => r.approach === approach && r.fault === fault);
    const lost = run && lostIn(run, FAULT_TRIALS[fault]);
    if (lost) return lost;
  }
  return undefined;
}

/** With orders, the orders' own crash trials must keep every order whole too. */
function ordersSurvive(approach: string, c: Ctx, fault: Fault, what: string): string | undefined {
  if (!c.profile.needs.includes("orders")) return undefined;
  const trials = c.ev.orders?.runs
    .find((r) => r.approach === approach)
    ?.crash.find((x) => x.fault === fault);
  if (!trials || trials.holds) return undefined;
  return `under ${what} with orders: ${trials.invariant_broken ? `stock and orders disagreed after ${trials.invariant_broken} of ${trials.trials} trials` : `lost ${fmt(trials.lost)} of ${fmt(trials.acked)} acknowledged orders`} (npm run orders-check)`;
}

/** The memory this machine lets a store use, in MB. */
const memoryLimitMb = (c: Ctx) => (c.ev.bench.machine.mem * RAM_SHARE_MAX) / 2 ** 20;

const fitsInMemory: Requirement = {
  name: (p) => `holds ${fmt(p.records)} records in this machine's memory`,
  applies: () => true,
  fails(approach, c) {
    const rss = c.figures.get(approach, "rss_mb");
    if ("missing" in rss) return c.figures.predicted ? { unknown: rss.missing } : undefined;
    return rss.value > memoryLimitMb(c)
      ? `${rss.predicted ? "would use" : "used"} ${fmt(rss.value)} MB holding ${fmt(c.records)} records (${rss.source}), over half of this machine's ${fmt(c.ev.bench.machine.mem / 2 ** 30)} GiB (npm run bench)`
      : undefined;
  },
  shows(approach, c) {
    const rss = c.figures.get(approach, "rss_mb");
    return "missing" in rss
      ? rss.missing
      : `${fmt(rss.value)} MB of ${fmt(memoryLimitMb(c))} allowed (${rss.source})`;
  },
};

const restartsInTime: Requirement = {
  name: (p) => `restarts within ${fmt(p.restart_s_max)} s`,
  applies: () => true,
  fails(approach, c) {
    const startup = c.figures.get(approach, "startup_ms");
    if ("missing" in startup) return c.figures.predicted ? { unknown: startup.missing } : undefined;
    return startup.value > c.profile.restart_s_max * 1000
      ? `${startup.predicted ? "would take" : "took"} ${rate(startup.value / 1000)} s to start on ${fmt(c.records)} records (${startup.source}), over the ${fmt(c.profile.restart_s_max)} s allowed (npm run bench)`
      : undefined;
  },
  shows(approach, c) {
    const s = c.figures.get(approach, "startup_ms");
    return "missing" in s ? s.missing : `${rate(s.value / 1000)} s to start (${s.source})`;
  },
};

const fastEnough: Requirement = {
  name: (p) => `carries ${rate(requiredPeakRps(p))} requests/s at peak`,
  applies: () => true,
  fails(approach, c) {
    const capacity = capacityOf(approach, c);
    const needed = requiredPeakRps(c.profile);
    if (typeof capacity === "string") return boundedCapacity(approach, c, needed, capacity);
    const plan = planOf(approach, c);
    const withReplicas =
      plan?.kind === "none carries it" ? `; with read replicas, ${plan.reason}` : "";
    return capacity.rps < needed
      ? `${rate(capacity.rps)} requests/s against ${rate(needed)} needed (${capacity.workload}, ${capacity.source}; npm run bench)${withReplicas}`
      : undefined;
  },
  shows(approach, c) {
    const capacity = capacityOf(approach, c);
    return typeof capacity === "string"
      ? capacity
      : `${rate(capacity.rps)} requests/s (${capacity.workload}, ${capacity.source})`;
  },
};

/**
 * A capacity that could not be predicted is still bounded: a store gets no faster with more
 * records, so its slowest needed workload at the largest size measured is the most it can
 * carry at the profile's size. Under the peak, that fails it; over, it is not known.
 */
function boundedCapacity(approach: string, c: Ctx, needed: number, why: string): string | Unknown {
  const rates = workloadsOf(c.profile).map((w) => c.figures.atLargest(approach, RATE_OF[w]));
  if (rates.some((r) => r === undefined)) return { unknown: why };
  const most = Math.min(...(rates as number[]));
  if (most >= needed) return { unknown: why };
  return `at most ${rate(most)} requests/s against ${rate(needed)} needed: measured at ${fmt(c.figures.largest)} records, and a store gets no faster with more (${why}; npm run bench)`;
}

/** In the order they are checked: what the app cannot do without first, speed last. */
const REQUIREMENTS = [
  takesOrders,
  severalServers,
  severalProcesses,
  survives,
  fitsInMemory,
  restartsInTime,
  fastEnough,
];

/**
 * The size the decision reads: the profile's, measured or predicted from a ladder of three
 * sizes or more; without a ladder, the nearest measured above it, else the largest.
 */
function sizeFor(p: Profile, bench: Results, warnings: string[]): number {
  const sizes = [...new Set(bench.runs.map((r) => r.records))].sort((a, b) => a - b);
  if (sizes.includes(p.records) || sizes.length >= 3) {
    if (!sizes.includes(p.records))
      warnings.push(
        `The bench measured ${sizes.map(fmt).join(", ")} records, not the profile's ${fmt(p.records)}: the figures at ${fmt(p.records)} are predicted from how each grew over those sizes, and each says so.`,
      );
    return p.records;
  }
  const size = sizes.find((s) => s >= p.records) ?? sizes.at(-1) ?? 0;
  if (size !== p.records)
    warnings.push(
      `The bench measured ${fmt(size)} records, not the profile's ${fmt(p.records)}: capacities are read at ${fmt(size)}.`,
    );
  return size;
}

/**
 * The first requirement `approach` is shown to fail, in REQUIREMENTS' order; else the first
 * it could not be checked against; else undefined: it meets them all.
 */
function firstFailure(approach: string, c: Ctx): RuledOut | undefined {
  let unknown: RuledOut | undefined;
  for (const r of REQUIREMENTS.filter((x) => x.applies(c.profile))) {
    const evidence = r.fails(approach, c);
    if (evidence === undefined) continue;
    const requirement = r.name(c.profile);
    if (typeof evidence === "string") return { approach, requirement, evidence };
    unknown ??= { approach, requirement, evidence: evidence.unknown, unknown: true };
  }
  return unknown;
}

export function decide(profile: Profile, ev: Evidence): Decision {
  const warnings = [...(ev.bench.warnings ?? [])];
  const records = sizeFor(profile, ev.bench, warnings);
  const figures = new Figures(ev.bench, records);
  const c: Ctx = { profile, ev, records, figures, plans: new Map(), warnings };
  const required = requiredPeakRps(profile);
  const candidates = [...new Set(ev.bench.runs.map((r) => r.approach))]
    .filter((a) => a !== "null")
    .sort((a, b) => rank(a) - rank(b));
  const ruled_out: RuledOut[] = [];
  const passing: Decision["passing"] = [];
  for (const approach of candidates) {
    const failed = firstFailure(approach, c);
    if (failed) ruled_out.push(failed);
    else {
      const rps = rpsOf(approach, c);
      passing.push({
        approach,
        capacity_rps: rps,
        headroom: required > 0 ? rps / required : Number.POSITIVE_INFINITY,
      });
    }
  }
  const best = passing[0];
  if (best) c.warnings.push(...unsteadyWarning(best.approach, c));
  const outgrows = passing
    .slice(0, 2)
    .map((x) => outgrowOf(x.approach, profile, c.figures, limitsOf(c)));
  for (const o of outgrows)
    if (o.days !== null && o.days < 365)
      c.warnings.push(
        `\`${o.approach}\` holds this app's growing data for only ${inWords(o.days)} (${o.limit}; the app adds ${fmt(recordsPerDay(profile))} records a day).`,
      );
  const deployment = best ? planOf(best.approach, c) : undefined;
  const fleet = best ? undefined : fleetFor(c, ruled_out);
  const met = best
    ? REQUIREMENTS.filter((r) => r.applies(profile)).map((r) => ({
        requirement: r.name(profile),
        evidence: r.shows(best.approach, c),
      }))
    : [];
  return {
    needadb_decision: 1,
    profile,
    required_rps: required,
    recommended: best?.approach ?? null,
    reason: best
      ? `${reasonFor(best, c, passing.length)}${deployment ? ` ${deploymentLine(deployment)}` : ""}`
      : `${noneReason(c, ruled_out)}${fleet ? ` ${fleetLine(fleet)}` : ""}`,
    headroom: best ? best.headroom : null,
    rule: RANKING_RULE,
    passing,
    met,
    outgrows,
    ...(deployment ? { deployment } : {}),
    ...(fleet ? { fleet } : {}),
    ruled_out,
    what_would_change: changes(best, c, passing).toSpliced(
      1,
      0,
      ...outgrowLines(outgrows, profile),
    ),
    warnings: [...new Set(c.warnings)],
  };
}

/**
 * The fleet for an app no one server carries: for the first store with a server of its own
 * that only speed ruled out, from its replicas' rates, else from its one-server bench cells.
 */
function fleetFor(c: Ctx, ruled: readonly RuledOut[]): Fleet | undefined {
  const slow = ruled.find(
    (r) =>
      !r.unknown &&
      r.requirement === fastEnough.name(c.profile) &&
      c.ev.declared[r.approach]?.service,
  );
  if (!slow) return undefined;
  const approach = slow.approach;
  const rates = fleetRates(approach, c.profile, c.ev.topology) ?? benchRates(approach, c);
  return rates && fleetEstimate(approach, c.profile, rates);
}

function benchRates(approach: string, c: Ctx) {
  const read = c.figures.get(approach, "read_rps");
  const write = c.figures.get(approach, "write_rps");
  if ("missing" in read || "missing" in write) return undefined;
  return {
    read_rps_per_replica: read.value,
    write_rps_per_primary: write.value,
    source: `npm run bench: one server's reads (${read.source}) and writes (${write.source}); run npm run topology to measure replicas`,
  };
}

function deploymentLine(d: ReplicaPlan): string {
  if (d.kind === "one primary") return `Run it as one primary: ${d.reason}.`;
  const how =
    d.kind === "replicas with read-your-writes"
      ? ", every write sending `Prefer: read-your-writes` so that it waits until they show it"
      : "";
  return `Run it as a primary with ${d.replicas} read replica${d.replicas > 1 ? "s" : ""} (\`POSTGRES_REPLICAS=${d.replicas}\`, or \`DATABASE_REPLICA_URLS\`)${how}: ${d.reason}.${d.predicted ? " That is more replicas than were measured: a prediction." : ""}`;
}

function fleetLine(f: Fleet): string {
  return `Extrapolated from one machine: about ${fmt(f.shards)} \`${f.approach}\` primaries (shards), each with ${fmt(f.replicas_per_shard)} read replica${f.replicas_per_shard > 1 ? "s" : ""}, ${fmt(f.servers)} database servers in all, would carry it; the model and its assumptions are below. ${f.engines}.`;
}

function limitsOf(c: Ctx): Limits {
  return {
    memory_mb: memoryLimitMb(c),
    restart_ms: c.profile.restart_s_max * 1000,
    peak_rps: requiredPeakRps(c.profile),
    rates: workloadsOf(c.profile).map((w) => RATE_OF[w]),
  };
}

function outgrowLines(outgrows: readonly Outgrow[], p: Profile): string[] {
  if (!outgrows.length) return [];
  const each = outgrows.map((o) =>
    o.days === null
      ? `\`${o.approach}\`: ${o.limit}`
      : `\`${o.approach}\` holds it for ${inWords(o.days)} (its first limit: ${o.limit})`,
  );
  return [
    `The app adds ${fmt(recordsPerDay(p))} records a day (every write creates one). ${each.join("; ")}.`,
  ];
}

function reasonFor(best: Decision["passing"][number], c: Ctx, passingCount: number): string {
  const p = c.profile;
  const met = REQUIREMENTS.filter((r) => r.applies(p)).map((r) => r.name(p));
  return (
    `\`${best.approach}\` is ${passingCount === 1 ? "the only approach that meets" : `the simplest of the ${passingCount} approaches that meet`} every requirement (${met.join("; ")}). ` +
    `At ${fmt(c.records)} records it carries ${rate(best.capacity_rps)} requests/s (${sourceOf(best.approach, c)}) against the ${rate(requiredPeakRps(p))} the app needs at peak: ${best.headroom.toFixed(1)}× headroom.`
  );
}

function sourceOf(approach: string, c: Ctx): string {
  const capacity = capacityOf(approach, c);
  return typeof capacity === "string" ? capacity : capacity.source;
}

function noneReason(c: Ctx, ruled: readonly RuledOut[]): string {
  const open = ruled.filter((r) => r.unknown);
  if (open.length) return undecidedReason(c, open);
  const slow = ruled.filter((r) => r.requirement.startsWith("carries"));
  const fastest = Math.max(0, ...ruled.map((r) => rpsOf(r.approach, c)));
  return ruled.length === 0
    ? "Nothing was measured: run the bench first."
    : `No approach measured on this machine meets every requirement. ${slow.length ? `The fastest one measured carries ${rate(fastest)} requests/s against ${rate(requiredPeakRps(c.profile))} needed: ` : ""}the app needs more than one machine of this size, or a faster one; each approach's reason is below.`;
}

/** No approach shown to pass, but some not shown to fail either: say which, and what to run. */
function undecidedReason(c: Ctx, open: readonly RuledOut[]): string {
  const names = open.map((r) => `\`${r.approach}\``).join(", ");
  return (
    `No approach was shown to meet every requirement at ${fmt(c.records)} records, and ${open.length === 1 ? "one was" : `${open.length} were`} not shown to fail either: ${names}. ` +
    "A figure each needs could not be carried to this size from the sizes measured (its growth fit missed its own held-out point: the measurements moved more than the fit allows). " +
    "This run does not show that the app needs more than one machine. Run `npm run advise` again without `--quick`, so that each cell is measured three times and the fits can be checked, or on a quieter machine."
  );
}

/** What would change the answer: the DAU at which it runs out, and deployments that rule it out. */
function changes(
  best: Decision["passing"][number] | undefined,
  c: Ctx,
  passing: Decision["passing"],
): string[] {
  if (!best) return [];
  const p = c.profile;
  const lines = [
    `\`${best.approach}\` carries up to ${fmt(dauAt(best.capacity_rps, p))} daily active users at this profile's habits (${p.requests_per_user} requests each, peaks ${p.peak_factor}× the average).` +
      (passing[1]
        ? ` Past that, the next that passes is \`${passing[1].approach}\` (${fmt(dauAt(passing[1].capacity_rps, p))} users).`
        : ""),
  ];
  if (p.processes <= 1 && !c.ev.declared[best.approach]?.many)
    lines.push(
      `With several processes on one machine (WORKERS), \`${best.approach}\` would no longer do: it says it is not safe with several processes; run \`npm run advise\` with "processes" above 1 to see what is.`,
    );
  if (p.servers <= 1 && !c.ev.declared[best.approach]?.service)
    lines.push(
      "With several servers, every store that keeps its data in files beside one server is out: only a database server that all of them reach (postgres) keeps one copy of the data.",
    );
  if (p.survive !== "power-loss")
    lines.push(
      'Needing to survive a power loss ("survive": "power-loss") rules out the stores that acknowledge before an fsync.',
    );
  return lines;
}
