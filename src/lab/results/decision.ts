// The answer for one app: given its profile and what the labs measured on this machine,
// which approach to use, why, and the measured reason every other one was ruled out. Pure:
// `npm run advise` and `npm run bench` both decide with it, so they never disagree.
import type { Declared, Results, Run } from "./bench.ts";
import type { ContentionResults } from "./contention.ts";
import type { DurabilityRun, Fault } from "./durability.ts";
import type { Workload } from "./load.ts";
import type { OrdersResults } from "./orders.ts";
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
  /** The dataset size the bench cells used: the profile's, or the nearest measured. */
  records: number;
  warnings: string[];
}

/** A requirement: its name, and the measured reason an approach fails it (or undefined). */
interface Requirement {
  name: (p: Profile) => string;
  applies: (p: Profile) => boolean;
  fails: (approach: string, c: Ctx) => string | undefined;
}

function cell(c: Ctx, approach: string, workload: string): Run | undefined {
  return c.ev.bench.runs.find(
    (r) => r.approach === approach && r.workload === workload && r.records === c.records,
  );
}

/** The workloads the profile's traffic is made of: the mix, and each lookup it needs. */
export function workloadsOf(p: Profile): Workload[] {
  return ["mixed", ...p.needs.filter((n): n is "by-email" | "user-orders" => n !== "orders")];
}

/** The least of the needed workloads' measured req/s: the approach's capacity for this app. */
export function capacityOf(
  approach: string,
  c: Ctx,
): { rps: number; workload: string; steady: boolean | null } | undefined {
  const cells = workloadsOf(c.profile).map((w) => cell(c, approach, w));
  if (cells.some((x) => !x)) return undefined;
  const slowest = (cells as Run[]).reduce((a, b) => (b.rps < a.rps ? b : a));
  return { rps: slowest.rps, workload: slowest.workload, steady: slowest.steady ?? null };
}

/** A warning when the recommended approach's capacity was read off a cell that had not settled. */
function unsteadyWarning(approach: string, c: Ctx): string[] {
  const capacity = capacityOf(approach, c);
  if (capacity?.steady !== false) return [];
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
};

const severalProcesses: Requirement = {
  name: (p) => `stays correct with ${p.processes} processes on one DATA_DIR`,
  applies: (p) => p.processes > 1 && p.servers <= 1,
  fails(approach, c) {
    const race = c.ev.orders?.runs.find((r) => r.approach === approach)?.race;
    if (c.profile.needs.includes("orders") && race && !race.holds)
      return `two processes selling the same stock oversold ${fmt(race.oversold_units)} units (npm run orders-check)`;
    const run = c.ev.contention?.runs.find((r) => r.approach === approach);
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
    const claim = cell(c, approach, "mixed")?.durability;
    const enough =
      claim === "power-loss" || (claim === "process-crash" && level.fault === "sigkill");
    if (!enough) return `claims to survive ${claim ?? "nothing"} only (not measured here)`;
    if (!c.ev.declared[approach]?.service)
      c.warnings.push(
        `\`${approach}\`'s ${level.what} were not measured here; its claim to survive them stands in.`,
      );
    return ordersSurvive(approach, c, level.fault, level.what);
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

const fitsInMemory: Requirement = {
  name: (p) => `holds ${fmt(p.records)} records in this machine's memory`,
  applies: () => true,
  fails(approach, c) {
    const rss = Math.max(
      0,
      ...workloadsOf(c.profile).map((w) => cell(c, approach, w)?.rss_mb ?? 0),
    );
    const limit = (c.ev.bench.machine.mem * RAM_SHARE_MAX) / 2 ** 20;
    return rss > limit
      ? `used ${fmt(rss)} MB holding ${fmt(c.records)} records, over half of this machine's ${fmt(c.ev.bench.machine.mem / 2 ** 30)} GiB (npm run bench)`
      : undefined;
  },
};

const fastEnough: Requirement = {
  name: (p) => `carries ${rate(requiredPeakRps(p))} requests/s at peak`,
  applies: () => true,
  fails(approach, c) {
    const capacity = capacityOf(approach, c);
    const needed = requiredPeakRps(c.profile);
    if (!capacity)
      return `not measured at ${fmt(c.records)} records for ${workloadsOf(c.profile).join(", ")}`;
    return capacity.rps < needed
      ? `${rate(capacity.rps)} requests/s against ${rate(needed)} needed (${capacity.workload} at ${fmt(c.records)} records; npm run bench)`
      : undefined;
  },
};

/** In the order they are checked: what the app cannot do without first, speed last. */
const REQUIREMENTS = [
  takesOrders,
  severalServers,
  severalProcesses,
  survives,
  fitsInMemory,
  fastEnough,
];

/** The bench size the decision reads: the profile's, else the nearest above, else the largest. */
function sizeFor(p: Profile, bench: Results, warnings: string[]): number {
  const sizes = [...new Set(bench.runs.map((r) => r.records))].sort((a, b) => a - b);
  const size = sizes.find((s) => s >= p.records) ?? sizes.at(-1) ?? 0;
  if (size !== p.records)
    warnings.push(
      `The bench measured ${fmt(size)} records, not the profile's ${fmt(p.records)}: capacities are read at ${fmt(size)}.`,
    );
  return size;
}

export function decide(profile: Profile, ev: Evidence): Decision {
  const warnings = [...(ev.bench.warnings ?? [])];
  const c: Ctx = { profile, ev, records: sizeFor(profile, ev.bench, warnings), warnings };
  const required = requiredPeakRps(profile);
  const candidates = [...new Set(ev.bench.runs.map((r) => r.approach))]
    .filter((a) => a !== "null")
    .sort((a, b) => rank(a) - rank(b));
  const ruled_out: RuledOut[] = [];
  const passing: Decision["passing"] = [];
  for (const approach of candidates) {
    const failed = REQUIREMENTS.filter((r) => r.applies(profile))
      .map((r) => ({ requirement: r.name(profile), evidence: r.fails(approach, c) }))
      .find((x) => x.evidence !== undefined);
    if (failed)
      ruled_out.push({
        approach,
        requirement: failed.requirement,
        evidence: failed.evidence as string,
      });
    else {
      const rps = capacityOf(approach, c)?.rps ?? 0;
      passing.push({
        approach,
        capacity_rps: rps,
        headroom: required > 0 ? rps / required : Number.POSITIVE_INFINITY,
      });
    }
  }
  const best = passing[0];
  if (best) c.warnings.push(...unsteadyWarning(best.approach, c));
  return {
    needadb_decision: 1,
    profile,
    required_rps: required,
    recommended: best?.approach ?? null,
    reason: best ? reasonFor(best, c, passing.length) : noneReason(c, ruled_out),
    headroom: best ? best.headroom : null,
    rule: RANKING_RULE,
    passing,
    ruled_out,
    what_would_change: changes(best, c, passing),
    warnings: [...new Set(c.warnings)],
  };
}

function reasonFor(best: Decision["passing"][number], c: Ctx, passingCount: number): string {
  const p = c.profile;
  const met = REQUIREMENTS.filter((r) => r.applies(p)).map((r) => r.name(p));
  return (
    `\`${best.approach}\` is ${passingCount === 1 ? "the only approach that meets" : `the simplest of the ${passingCount} approaches that meet`} every requirement (${met.join("; ")}). ` +
    `Measured here at ${fmt(c.records)} records it carries ${rate(best.capacity_rps)} requests/s against the ${rate(requiredPeakRps(p))} the app needs at peak: ${best.headroom.toFixed(1)}× headroom.`
  );
}

function noneReason(c: Ctx, ruled: readonly RuledOut[]): string {
  const slow = ruled.filter((r) => r.requirement.startsWith("carries"));
  const fastest = Math.max(0, ...ruled.map((r) => capacityOf(r.approach, c)?.rps ?? 0));
  return ruled.length === 0
    ? "Nothing was measured: run the bench first."
    : `No approach measured on this machine meets every requirement. ${slow.length ? `The fastest one measured carries ${rate(fastest)} requests/s against ${rate(requiredPeakRps(c.profile))} needed: ` : ""}the app needs more than one machine of this size, or a faster one; each approach's reason is below.`;
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
