// Past one database server: read replicas for an app on several servers, and a fleet
// estimate for an app that no single machine carries. Pure data, from what `npm run
// topology` measured (PostgreSQL with 0, 1 and 2 replicas), the bench, and the profile;
// report/ says it in words.
//
// The model, labelled as an extrapolation wherever it goes past what was measured:
// - a replica, on its own machine, serves reads as fast as one PostgreSQL served them here
//   with no replicas (two app servers reading from it);
// - the primary takes every write, as fast as it took them here with replicas attached
//   (plain, or each write waiting for remote_apply when reads may never be stale);
// - more replicas than were measured cost the primary's writes no more than the most measured;
// - past the size topology ran at, each rate is scaled down by that size over the app's
//   (estimate.ts's bound: no cost grows faster than the data);
// - shards split the data and its traffic evenly, and no request spans two shards.
import { NOISE_MIN } from "./growth.ts";
import { type Profile, requiredPeakRps } from "./profile.ts";
import type { ReplicaRun, ReplicaWrites, TopologyResults } from "./topology.ts";
import type { Valid } from "./verdict.ts";

/** Standbys one primary streams to by default (max_wal_senders is 10): a plan's limit. */
export const REPLICAS_PER_PRIMARY_MAX = 10;

/** Where a rate was measured: the lab, at what size and for how long. */
export interface RateSource {
  lab: "topology" | "bench";
  records: number;
  duration_s: number;
}

/** How stale plain replica reads were, and whether waiting for the replicas helped. */
export interface Staleness {
  replicas: number;
  stale_reads: number;
  probes: number;
  /** The longer of the longest stale read and the worst lag, in ms. */
  worst_ms: number;
  /** With every write waiting for the replicas (remote_apply). */
  waiting_stale_reads: number;
  waiting_probes: number;
}

export interface ReplicaPlan {
  approach: string;
  kind: "replicas" | "replicas with read-your-writes" | "none carries it";
  /** Why none carries it, when none does. */
  why_not?: "stale-even-waiting" | "replicas-past-max" | "writes-too-slow";
  replicas: number;
  reads_needed: number;
  writes_needed: number;
  /** One replica's reads/s, and the primary's writes/s with `measured_replicas` attached, at the app's size (scaled where topology ran smaller). */
  read_rps_per_replica: number;
  write_rps_primary: number;
  measured_replicas: number;
  /** Requests/s of the profile's mix the plan carries. */
  capacity_rps: number;
  /** Carries the peak: pass even at the rates' low edge, fail even at their high edge. */
  valid: Valid;
  staleness: Staleness;
  /** More replicas than were measured: a prediction. */
  predicted: boolean;
  from: RateSource;
}

/** The peak's reads and writes per second. */
export function trafficOf(p: Profile) {
  const peak = requiredPeakRps(p);
  return { peak, reads: peak * (1 - p.write_share), writes: peak * p.write_share };
}

/** Requests/s of the profile's mix that `replicas` replicas and a primary writing at `w` carry. */
function mixCapacity(p: Profile, replicas: number, perReplica: number, w: number): number {
  const byReads = p.write_share < 1 ? (replicas * perReplica) / (1 - p.write_share) : Infinity;
  const byWrites = p.write_share > 0 ? w / p.write_share : Infinity;
  return Math.min(byReads, byWrites);
}

/** The run measured with `n` replicas, or with the most measured below it. */
function runFor(runs: readonly ReplicaRun[], n: number): ReplicaRun | undefined {
  return [...runs]
    .filter((r) => r.replicas > 0 && r.replicas <= n)
    .sort((a, b) => b.replicas - a.replicas)[0];
}

const stalest = (w: ReplicaWrites) => Math.max(w.stale_ms_max ?? 0, w.lag_ms_max ?? 0);

function stalenessOf(run: ReplicaRun): Staleness {
  return {
    ...{ replicas: run.replicas, stale_reads: run.write.stale_reads, probes: run.write.probes },
    worst_ms: stalest(run.write),
    waiting_stale_reads: run.write_read_your_writes.stale_reads,
    waiting_probes: run.write_read_your_writes.probes,
  };
}

/**
 * Whether writes must wait for the replicas (remote_apply): when reads may never be stale, or
 * plain replicas were measured staler than the profile allows. Null: not even waiting kept
 * every read fresh.
 */
function mustWait(p: Profile, run: ReplicaRun): boolean | null {
  if (p.stale_read_ms > 0 && stalest(run.write) <= p.stale_read_ms) return false;
  const ryw = run.write_read_your_writes;
  return ryw.stale_reads > 0 || ryw.applied < ryw.probes ? null : true;
}

/** What topology measured for `approach`'s replicas, scaled to `records`; undefined without. */
function measuredReplicas(approach: string, t: TopologyResults | undefined, records: number) {
  const mine = (t?.replica_runs ?? []).filter((r) => r.approach === approach);
  const none = mine.find((r) => r.replicas === 0);
  const most = runFor(mine, Infinity);
  if (!t || !none || !most) return undefined;
  const scale = Math.min(1, t.records / records);
  const from: RateSource = { lab: "topology", records: t.records, duration_s: t.duration_s };
  return { mine, none, most, scale, from };
}

/**
 * The setup of `approach`'s server for an app on several servers that one primary does not
 * carry: a primary with the fewest replicas that carry the reads even at their low edge,
 * with writes waiting for them where reads may not be stale. Undefined where topology
 * measured no replicas of `approach`.
 */
export function planReplicas(
  approach: string,
  p: Profile,
  topology: TopologyResults | undefined,
): ReplicaPlan | undefined {
  const m = measuredReplicas(approach, topology, p.records);
  if (!m) return undefined;
  const t = trafficOf(p);
  // Even at the best a replica was measured to read, more than one primary streams to: no
  // plan of one primary carries it, whatever the records cost.
  const fewest = Math.max(1, Math.ceil(t.reads / (m.none.read_rps * (1 + NOISE_MIN))));
  if (fewest > REPLICAS_PER_PRIMARY_MAX) return pastMax(approach, p, m, fewest);
  const perReplica = m.none.read_rps * m.scale;
  const low = 1 - NOISE_MIN;
  const replicas = Math.max(1, Math.ceil(t.reads / (perReplica * low)));
  const measured = runFor(m.mine, replicas) ?? m.most;
  const wait = mustWait(p, measured);
  const writes = (wait ? measured.write_read_your_writes.rps : measured.write.rps) * m.scale;
  const capacity = mixCapacity(p, replicas, perReplica, writes);
  const whyNot =
    wait === null
      ? "stale-even-waiting"
      : replicas > REPLICAS_PER_PRIMARY_MAX
        ? "replicas-past-max"
        : capacity * low < t.peak
          ? "writes-too-slow"
          : undefined;
  // Past the size topology ran at, a plan the bound cannot show may still be the best one.
  const best = mixCapacity(p, replicas, m.none.read_rps, writes / m.scale) * (1 + NOISE_MIN);
  const unsure = (whyNot === "writes-too-slow" || whyNot === "replicas-past-max") && best >= t.peak;
  return {
    approach,
    kind: whyNot ? "none carries it" : wait ? "replicas with read-your-writes" : "replicas",
    ...(whyNot ? { why_not: whyNot } : {}),
    ...{ replicas, reads_needed: t.reads, writes_needed: t.writes },
    ...{ read_rps_per_replica: perReplica, write_rps_primary: writes },
    ...{ measured_replicas: measured.replicas, capacity_rps: capacity },
    valid: !whyNot ? "pass" : unsure ? "unknown" : "fail",
    staleness: stalenessOf(measured),
    predicted: replicas > measured.replicas,
    from: m.from,
  };
}

/** No plan: the reads need more replicas than one primary streams to, at their measured best. */
function pastMax(
  approach: string,
  p: Profile,
  m: NonNullable<ReturnType<typeof measuredReplicas>>,
  replicas: number,
): ReplicaPlan {
  const t = trafficOf(p);
  return {
    ...{ approach, kind: "none carries it", why_not: "replicas-past-max", replicas },
    ...{ reads_needed: t.reads, writes_needed: t.writes, read_rps_per_replica: m.none.read_rps },
    ...{ write_rps_primary: m.most.write.rps, measured_replicas: m.most.replicas },
    // The most a primary with all the replicas it streams to carries, at their measured best.
    capacity_rps: mixCapacity(p, REPLICAS_PER_PRIMARY_MAX, m.none.read_rps, m.most.write.rps),
    ...{ valid: "fail", staleness: stalenessOf(m.most), predicted: false, from: m.from },
  };
}

/** The rates a fleet estimate scales, and which measurements they are. */
export interface FleetRates {
  read_rps_per_replica: number;
  write_rps_per_primary: number;
  /**
   * replicas: topology's replica runs. read-write: the bench's read and write cells.
   * mixed-split: the bench's mixed cell, whose rate is taken as a replica's reads and its
   * write share of it as a primary's writes (a floor: that server served reads as well).
   */
  kind: "replicas" | "read-write" | "mixed-split";
  /** Writes waited for the replicas (remote_apply). */
  waiting: boolean;
  from: RateSource;
}

export function fleetRates(
  approach: string,
  p: Profile,
  topology: TopologyResults | undefined,
): FleetRates | undefined {
  const m = measuredReplicas(approach, topology, Number.POSITIVE_INFINITY);
  if (!m) return undefined;
  const waiting = mustWait(p, m.most) !== false;
  return {
    read_rps_per_replica: m.none.read_rps,
    write_rps_per_primary: waiting ? m.most.write_read_your_writes.rps : m.most.write.rps,
    ...{ kind: "replicas", waiting, from: m.from },
  };
}

export interface Fleet {
  extrapolation: true;
  approach: string;
  read_rps_needed: number;
  write_rps_needed: number;
  rates: FleetRates;
  /** Shards needed for the writes alone, and for the reads at REPLICAS_PER_PRIMARY_MAX each. */
  shards_by_writes: number;
  shards_by_reads: number;
  shards: number;
  replicas_per_shard: number;
  servers: number;
  records_per_shard: number;
}

/** How many primaries (shards) and replicas carry the profile, if each server is like this one. */
export function fleetEstimate(approach: string, p: Profile, rates: FleetRates): Fleet {
  const t = trafficOf(p);
  const perReplica = rates.read_rps_per_replica;
  const byWrites = Math.ceil(t.writes / rates.write_rps_per_primary);
  const byReads = Math.ceil(t.reads / (perReplica * REPLICAS_PER_PRIMARY_MAX));
  const shards = Math.max(1, byWrites, byReads);
  const replicas_per_shard = Math.max(1, Math.ceil(t.reads / shards / perReplica));
  return {
    ...{ extrapolation: true, approach, read_rps_needed: t.reads, write_rps_needed: t.writes },
    ...{ rates, shards_by_writes: byWrites, shards_by_reads: byReads },
    ...{ shards, replicas_per_shard, servers: shards * (1 + replicas_per_shard) },
    records_per_shard: Math.ceil(p.records / shards),
  };
}
