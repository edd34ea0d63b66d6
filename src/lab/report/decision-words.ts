// Every sentence of a decision: a requirement's name, a verdict's finding, an estimate and
// its bound, a replica plan, a fleet, how long an approach holds. The decision itself is
// data (results/decision.ts); this is the only place it becomes words.
import type { DurabilityRun, Fault } from "../results/durability.ts";
import type { Estimate } from "../results/estimate.ts";
import type { Fleet, ReplicaPlan } from "../results/fleet.ts";
import { METRICS } from "../results/growth-rows.ts";
import type { Lasts } from "../results/horizon.ts";
import type { ModeProblem, ModeVerdict } from "../results/machine-loss.ts";
import type { Profile } from "../results/profile.ts";
import type {
  Finding,
  PairFinding,
  RequirementId,
  TrialRun,
  Verdict,
} from "../results/requirements.ts";
import type { Valid } from "../results/verdict.ts";
import { code, count, days, int, rate, seconds, share } from "./format.ts";

/** What each requirement asks, for this profile. */
export function requirementName(id: RequirementId, p: Profile, need?: number): string {
  switch (id) {
    case "orders":
      return "takes orders, all or nothing";
    case "servers":
      return `serves one set of data from ${p.servers} servers`;
    case "processes":
      return `stays correct with ${p.processes} processes on one DATA_DIR`;
    case "survive":
      return `keeps acknowledged writes through a ${p.survive === "process-crash" ? "process crash" : "power loss"}`;
    case "machine-loss":
      return `keeps every acknowledged write when the database's machine is lost, and takes writes again within ${int(p.failover_s_max)} s${p.stale_read_ms === 0 ? ", never serving a stale read" : ""}`;
    case "memory":
      return `holds ${int(p.records)} records in half this machine's memory${need ? ` (${int(need)} MB)` : ""}`;
    case "restart":
      return `restarts within ${int(p.restart_s_max)} s`;
    case "capacity":
      return `carries ${rate(need ?? 0)} requests/s at peak`;
  }
}

export const VALID_WORDS: Record<Valid, string> = {
  pass: "meets",
  fail: "fails",
  unknown: "not shown either way",
};

/** Each fault's trials, as a count names them. */
export const FAULT_TRIALS: Record<Fault, [string, string]> = {
  sigkill: ["process crash (SIGKILL)", "process crashes (SIGKILL)"],
  powercut: ["power cut", "power cuts"],
  enospc: ["full-disk trial", "full-disk trials"],
  eio: ["failed-fsync trial", "failed-fsync trials"],
  torn: ["power cut with torn writes", "power cuts with torn writes"],
};

/** Each fault in a few words: "power cut: lost 3 of 1,200". */
export const FAULT_SHORT: Record<Fault, string> = {
  sigkill: "process crash",
  powercut: "power cut",
  enospc: "full disk",
  eio: "failed fsync",
  torn: "torn writes",
};

const trials = (fault: Fault, n: number) => count(n, ...FAULT_TRIALS[fault]);

/** "process crash: lost 0 of 1,234; power cut: lost 56 of 789", or "not measured". */
export function durabilityLine(runs: readonly DurabilityRun[]): string {
  if (!runs.length) return "not measured";
  return runs
    .map(
      (r) =>
        `${FAULT_SHORT[r.fault]}: lost ${int(r.lost_acked)} of ${int(r.acked)}${r.corrupt ? `, ${r.corrupt} corrupt` : ""}`,
    )
    .join("; ");
}

/** A value of `metric` in its unit: req/s, MB, or seconds for start-up. */
function value(metric: Estimate["metric"], v: number, unit = true): string {
  if (!Number.isFinite(v)) return "unbounded";
  const [n, u] = metric === "startup_ms" ? [rate(v / 1000), "s"] : [rate(v), METRICS[metric].unit];
  return unit ? `${n} ${u}` : n;
}

/** Where a measurement was made: "at 1,000,000 records, 3 cells of 2 s". */
const where = (e: Estimate) => {
  const d = e.from.derived;
  const how = d
    ? `, derived from its read and write cells at ${share(d.share)} writes (the rule's checked error: ${share(d.error)})`
    : `, ${count(e.from.cells, "cell")} of ${rate(e.from.duration_s)} s`;
  return `at ${int(e.from.records)} records${e.from.workload && !d ? ` (${e.from.workload})` : ""}${how}${e.from.steady === false ? ", not steady" : ""}`;
};

/** An estimate in full: the figure, its band, its bound, and what it rests on. */
export function estimateText(e: Estimate): string {
  const v = (x: number) => value(e.metric, x);
  const up = "inverse" in METRICS[e.metric];
  const band = `${value(e.metric, e.low, false)} to ${v(e.high)}`;
  if (e.basis === "measured") return `${v(e.value)} (${band}), measured ${where(e)}`;
  if (e.records < e.from.records)
    return `${up ? "at least" : "at most"} ${v(e.bound ?? e.value)}: measured ${where(e)}, a larger size`;
  const bound = `${up ? "at least" : "at most"} ${v(e.bound ?? 0)} by the bound (measured ${v(up ? e.from.low : e.from.high)} ${where(e)}, scaled by the records)`;
  if (e.basis === "predicted" && e.fit) {
    const held =
      e.fit.held_out_error === null ? "" : `, held-out error ${share(e.fit.held_out_error)}`;
    return `predicted ${v(e.value)} (${band}) at ${int(e.records)} records from ${e.fit.sizes.length} sizes${held}; ${bound}`;
  }
  const noFit = e.fit
    ? `its fit missed its own held-out point${e.fit.held_out_error === null ? "" : ` (error ${share(e.fit.held_out_error)}, band ±${share(e.fit.band)})`}`
    : "no growth fit (the bench needs 3 sizes)";
  return `${bound}; ${up ? "at most" : "at least"} ${v(up ? e.high : e.low)}, as measured at the largest size (${noFit})`;
}

function pairText(f: PairFinding): string {
  const who =
    f.lab === "topology"
      ? `two app servers on ${f.setup === "postgres-shared" ? "one PostgreSQL" : "a file each"}`
      : "two processes on one DATA_DIR";
  const parts = [`${int(f.stale_reads)} of ${int(f.probes)} reads stale`];
  if (f.diverged)
    parts.push(`the two ended with ${int(f.records_a)} and ${int(f.records_b)} records`);
  if (f.errors_5xx) parts.push(`${int(f.errors_5xx)} server errors`);
  return `${who}: ${parts.join(", ")} (npm run ${f.lab})`;
}

function trialsText(runs: readonly TrialRun[]): string {
  const bad = runs.find((r) => r.lost || r.corrupt || r.not_restarted);
  const each = (r: TrialRun) =>
    `${int(r.lost)} of ${int(r.acked)} acknowledged writes over ${trials(r.fault, r.trials)}${r.corrupt ? `, ${int(r.corrupt)} corrupt` : ""}${r.not_restarted ? `, ${int(r.not_restarted)} failed to restart` : ""}`;
  return bad
    ? `lost ${each(bad)} (npm run crash)`
    : `lost ${runs.map(each).join("; ")} (npm run crash)`;
}

/** A store's 501 reason, without the route's preamble and the list of alternatives. */
const why501 = (reason: string) =>
  reason
    .replace(/^APPROACH=\S+ does not take orders: /, "")
    .replace(/[;.] for orders, use .*$/, "");

const CLAIMS: Record<string, string> = {
  "power-loss": "a power loss",
  "process-crash": "a process crash, not a power loss",
  nothing: "nothing",
};

/** What a verdict was judged on, in one sentence (no final stop). */
export function findingText(f: Finding, approach: string): string {
  switch (f.kind) {
    case "no-orders":
      return `answers 501 to ${f.lab === "bench" ? "GET /users/:id/orders" : "orders"} (npm run ${f.lab}): ${why501(f.reason)}`;
    case "orders-kept":
      return `kept every order whole through ${count(f.crash_trials, "crash trial")}${f.race_held ? ", and oversold nothing in a two-process race" : ""} (npm run orders-check)`;
    case "join-answered":
      return "answered GET /users/:id/orders (npm run bench)";
    case "not-measured":
      return f.needs
        ? `not measured: this machine lacks Debian's ${f.needs.join(", ")}; \`apt-get install -y --no-install-recommends ${f.needs.join(" ")}\`, then run \`npm run advise\` again`
        : `not measured: run \`npm run ${f.lab}\`, or \`npm run advise\`, which runs what the profile needs`;
    case "pair":
      return pairText(f);
    case "files-apart":
      return `keeps its data in files beside one server, so a second server has its own copy${f.measured ? `: measured on sqlite, ${pairText(f.measured)}` : " (declared; npm run topology measures it)"}`;
    case "declared":
      return declaredText(f, approach);
    case "oversold":
      return `two processes selling the same stock oversold ${int(f.units)} units (npm run orders-check)`;
    case "refused":
      return `a second process would not start on its DATA_DIR: "${f.why}" (npm run contention)`;
    case "trials":
      return trialsText(f.runs);
    case "orders-trials":
      return `under ${trials(f.fault, f.trials)} with orders: ${f.broken ? `stock and orders disagreed after ${f.broken} of them` : `lost ${int(f.lost)} of ${int(f.acked)} acknowledged orders`} (npm run orders-check)`;
    case "figure":
      return `${estimateText(f.estimate)}; allowed: ${value(f.estimate.metric, f.need)} (npm run bench)`;
    case "capacity":
      return capacityText(f);
    case "replicas":
      return planText(f.plan);
    case "one-machine":
      return "keeps its data on the app's own machine: when that machine is lost its data go with it, and no other machine can take over (that takes a database server with standbys: npm run failover measures PostgreSQL's)";
    case "failover":
      return failoverText(f);
    case "ceiling":
      return `needs ${rate(f.need)} requests/s: more than 3× the ${rate(f.ceiling_rps)} a bare node:http server answered here (npm run bench at ${int(f.records)} records), which no store beats`;
  }
}

const PROBLEM_WORDS: Record<ModeProblem, string> = {
  lost: "it lost acknowledged writes",
  "no-failover": "writes did not come back within the lab's 40 s",
  slow: "writes stopped for longer than the app allows",
};

/** One replication mode's trials: what it lost, how long writes stopped, what reads saw. */
function modeText(m: ModeVerdict): string {
  if (!m.trials) return `${code(m.mode)}: not measured`;
  const parts = [
    `lost ${int(m.lost)} of ${int(m.acked)} acknowledged writes over ${count(m.trials, "trial")} (${m.faults.join(", ")})`,
    `writes stopped up to ${m.stopped_ms_max === null ? "-" : seconds(m.stopped_ms_max)}`,
    `${int(m.stale_reads)} of ${int(m.probes)} reads through the other app server stale${m.reads === "primary" && !m.problem ? " (so the app reads from the primary)" : ""}`,
  ];
  if (m.mode !== "async" && m.write_share_of_async !== null)
    parts.push(`writes/s ${share(m.write_share_of_async)} of asynchronous replication's`);
  const verdict = m.problem
    ? `; fails: ${PROBLEM_WORDS[m.problem]}`
    : m.valid === "unknown"
      ? "; not all faults measured"
      : "";
  return `${code(m.mode)}: ${parts.join(", ")}${verdict}`;
}

function failoverText(f: Extract<Finding, { kind: "failover" }>): string {
  const chosen = f.modes.find((m) => m.mode === f.mode);
  const head = chosen
    ? `under Patroni with ${code(chosen.mode)} replication, no acknowledged write was lost when the leader's machine was lost, and writes stopped at most ${seconds(chosen.stopped_ms_max ?? 0)} (allowed: ${seconds(f.need_ms)})`
    : `no replication mode measured so far keeps every acknowledged write with writes stopped at most ${seconds(f.need_ms)}`;
  return `${head}: ${f.modes.map(modeText).join("; ")} (npm run failover: ${f.stack}, ttl ${int(f.ttl)} s)`;
}

function declaredText(f: Extract<Finding, { kind: "declared" }>, approach: string): string {
  if (f.trait === "service")
    return "one database server that every app server reaches (declared; npm run topology measures it)";
  if (f.trait === "many")
    return `${code(approach)} says it is not safe with several processes (declared; npm run contention measures it)`;
  return `claims to survive ${CLAIMS[f.claim ?? "nothing"] ?? f.claim} (declared, not measured here: npm run crash measures it)`;
}

function capacityText(f: Extract<Finding, { kind: "capacity" }>): string {
  const shown =
    f.workloads.find((w) => w.valid !== "pass") ??
    f.workloads.reduce((a, b) => (b.estimate.value < a.estimate.value ? b : a));
  const rest =
    f.workloads.length > 1
      ? `; the slowest of ${f.workloads.map((w) => w.workload).join(", ")}`
      : "";
  return `${shown.workload}: ${estimateText(shown.estimate)}${rest}; needed: ${rate(f.need)} requests/s (npm run bench)`;
}

/** A replica plan: what it takes and why, from topology's measurements. */
export function planText(p: ReplicaPlan): string {
  const at = `npm run topology at ${int(p.from.records)} records, ${rate(p.from.duration_s)} s a phase`;
  const s = p.staleness;
  const stale = `plain replicas served ${int(s.stale_reads)} of ${int(s.probes)} probe reads stale, for up to ${int(s.worst_ms)} ms`;
  if (p.kind === "none carries it") {
    const why = {
      "stale-even-waiting": `even with every write waiting for the replicas (remote_apply), ${int(s.waiting_stale_reads)} of ${int(s.waiting_probes)} reads were stale`,
      "replicas-past-max": `the reads (${rate(p.reads_needed)}/s) need ${count(p.replicas, "replica")} at ${rate(p.read_rps_per_replica)} reads/s each, more than the 10 one primary streams to`,
      "writes-too-slow": `the primary took ${rate(p.write_rps_primary)} writes/s with ${count(p.measured_replicas, "replica")} attached against ${rate(p.writes_needed)} needed`,
    }[p.why_not ?? "writes-too-slow"];
    return `with read replicas: ${why} (${at})`;
  }
  const wait =
    p.kind === "replicas with read-your-writes"
      ? `; ${stale}, more than the app allows, so every write waits for them (remote_apply), and then ${int(s.waiting_stale_reads)} of ${int(s.waiting_probes)} were stale`
      : `; ${stale}, within what the app allows`;
  return `${rate(p.reads_needed)} reads/s need ${count(p.replicas, "replica")} at ${rate(p.read_rps_per_replica)} reads/s each, and the primary took ${rate(p.write_rps_primary)} writes/s with ${count(p.measured_replicas, "replica")} attached against ${rate(p.writes_needed)} needed${wait}; it carries ${rate(p.capacity_rps)} requests/s${p.predicted ? " (more replicas than were measured: a prediction)" : ""} (${at})`;
}

/** "about 9 days", "about 5 months", "about 4 years", "over 100 years". */
const span = (d: number | null) => (d === null || d > 36_500 ? "over 100 years" : days(d));

/** How long an approach holds the app, in a short clause: "holds … past the horizon (…)". */
export function lastsShort(l: Lasts): string {
  const horizon = days(l.horizon_days);
  const limit = l.first ? METRICS[l.first.metric].label : "a limit";
  if (l.valid === "pass")
    return `holds the app's growth past the horizon of ${horizon} (for ${span(l.days_sure)} at least, by the bound)`;
  if (l.predicted_to_hold)
    return `is predicted to hold the app's growth past the horizon of ${horizon} (to its ${limit} limit in ${span(l.days_predicted)}; by the bound, only ${span(l.days_sure)} is sure)`;
  if (l.valid === "fail" || l.predicted_to_hold === false)
    return `reaches its ${limit} limit in ${span(l.days_predicted ?? l.days_sure)}, inside the horizon of ${horizon}`;
  return `may not hold the app's growth for the horizon of ${horizon}: ${span(l.days_sure)} is sure, by the bound, and no fit predicts further`;
}

/** How long an approach holds the app, in full: both edges, the limit, and the growth. */
export function lastsText(l: Lasts): string {
  const limit = l.first ? METRICS[l.first.metric].label : "a limit";
  const predicted =
    l.days_predicted === null
      ? l.predicted_to_hold === null
        ? "; no fit predicts further"
        : "; predicted to reach no limit within the sizes searched"
      : `; predicted to reach its ${limit} limit in ${span(l.days_predicted)}${l.first?.predicted_records ? `, at about ${int(l.first.predicted_records)} records` : ""}`;
  return `surely for ${span(l.days_sure)} (by the bound)${predicted}; at ${int(l.records_per_day)} new records a day${l.assumed ? " (assumed: every write adds one; set records_per_day)" : ""}`;
}

/** The fleet, in one sentence; the table is the report's. */
export function fleetText(f: Fleet): string {
  const r = f.rates;
  const from = {
    replicas: `npm run topology at ${int(r.from.records)} records: reads of one PostgreSQL with no replica; writes of the primary with replicas attached${r.waiting ? ", each waiting for them (remote_apply)" : ""}`,
    "read-write": `npm run bench at ${int(r.from.records)} records: one server's read and write cells (npm run topology would measure replicas)`,
    "mixed-split": `npm run bench at ${int(r.from.records)} records: one server's mixed cell, its whole rate taken as a replica's reads, and its write share of it as a primary's writes (a floor: that server served the reads too); npm run bench with the read and write workloads would measure each`,
  }[r.kind];
  return `about ${count(f.shards, "primary (shard)", "primaries (shards)")} of ${code(f.approach)}, each with ${count(f.replicas_per_shard, "read replica")}: ${int(f.servers)} database servers in all, from ${from}`;
}

/** The model behind a fleet estimate, item by item. */
export function fleetModel(f: Fleet): string[] {
  return [
    `shards = the writes (${rate(f.write_rps_needed)}/s) over one primary's ${rate(f.rates.write_rps_per_primary)} writes/s (${int(f.shards_by_writes)}), or the reads over 10 replicas' worth each (${int(f.shards_by_reads)}), whichever is more: ${int(f.shards)}`,
    `replicas per shard = a shard's reads (${rate(f.read_rps_needed / f.shards)}/s) over one replica's ${rate(f.rates.read_rps_per_replica)} reads/s, at least one (it is also the shard's standby): ${int(f.replicas_per_shard)}`,
    "each database server is as fast as PostgreSQL was here, where it shared this machine's cores with the app servers and the load generator: a server of its own is likely faster, so the count is likely high",
    "traffic and data spread evenly over the shards, and no request spans two shards (a user's orders live on the user's shard)",
    "the network between servers adds latency but takes no throughput; app servers, load balancers and backups are not counted",
  ];
}

export const DISTRIBUTED_ENGINES =
  "CockroachDB, YugabyteDB and Citus speak PostgreSQL's protocol and run such a fleet as one database; needadb's schema keeps to what they accept (see the README), so `APPROACH=postgres` with `DATABASE_URL` pointed at one of them runs this API on it";

/** The verdict's sentence: "fails: <finding>". */
export const verdictLine = (v: Verdict, approach: string) => findingText(v.finding, approach);
