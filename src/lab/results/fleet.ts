// Past one database server: read replicas for an app on several servers, and a fleet
// estimate for an app that no single machine carries. Pure, from what `npm run topology`
// measured (PostgreSQL with 0, 1 and 2 replicas) and the profile.
//
// The model, stated where it is used and labelled as an extrapolation where it goes past
// what was measured:
// - a replica, on its own machine, serves reads as fast as one PostgreSQL served them here
//   with no replicas (two app servers reading from it);
// - the primary takes every write, as fast as it took them here with replicas attached
//   (plain, or each write waiting for remote_apply when reads may never be stale);
// - more replicas than were measured cost the primary's writes no more than the most measured;
// - shards split the data and its traffic evenly, and no request spans two shards.
import { type Profile, requiredPeakRps } from "./profile.ts";
import type { ReplicaRun, ReplicaWrites, TopologyResults } from "./topology.ts";

/** Standbys one primary streams to by default (max_wal_senders is 10): a plan's limit. */
export const REPLICAS_PER_PRIMARY_MAX = 10;

/** PostgreSQL-compatible engines built to run as a fleet; needadb's schema keeps to them. */
export const DISTRIBUTED_ENGINES =
  "CockroachDB, YugabyteDB and Citus speak PostgreSQL's protocol and run such a fleet as one database; needadb's schema keeps to what they accept (see the README), so `APPROACH=postgres` with `DATABASE_URL` pointed at one of them runs this API on it";

export interface ReplicaPlan {
  approach: string;
  /** Whether replicas are needed at all, and whether writes wait for them. */
  kind: "one primary" | "replicas" | "replicas with read-your-writes" | "none carries it";
  replicas: number;
  /** Requests/s the plan carries at the profile's read share; 0 when none does. */
  capacity_rps: number;
  headroom: number;
  /** The measured reason for the choice. */
  reason: string;
  /** Why the other setups were not chosen. */
  rejected: string[];
  /** The plan needs more replicas than were measured: its figures are predicted. */
  predicted: boolean;
}

export interface Fleet {
  extrapolation: true;
  approach: string;
  read_rps_needed: number;
  write_rps_needed: number;
  read_rps_per_replica: number;
  write_rps_per_primary: number;
  /** Where the two rates come from. */
  source: string;
  shards: number;
  replicas_per_shard: number;
  servers: number;
  records_per_shard: number;
  model: string[];
  engines: string;
}

const fmt = (n: number) => Math.round(n).toLocaleString("en");

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

/** How stale a plain replica read was, at worst, in the run: the longer of lag and staleness. */
const stalest = (w: ReplicaWrites) => Math.max(w.stale_ms_max ?? 0, w.lag_ms_max ?? 0);

/**
 * Whether writes must wait for the replicas (remote_apply): when reads may never be stale,
 * or when plain replicas were measured staler than the profile allows. A string: not even
 * waiting kept every read fresh.
 */
function commitMode(p: Profile, run: ReplicaRun): { wait: boolean; why: string } | string {
  const plain = run.write;
  const worst = stalest(plain);
  const staleNote = `${fmt(plain.stale_reads)} of ${fmt(plain.probes)} reads through the other server were stale, for up to ${fmt(worst)} ms, with ${run.replicas} replica${run.replicas > 1 ? "s" : ""}`;
  if (p.stale_read_ms > 0 && worst <= p.stale_read_ms)
    return {
      wait: false,
      why: `${staleNote}: within the ${fmt(p.stale_read_ms)} ms the app allows`,
    };
  const ryw = run.write_read_your_writes;
  if (ryw.stale_reads > 0 || ryw.applied < ryw.probes)
    return `even with every write waiting for the replicas (remote_apply), ${fmt(ryw.stale_reads)} of ${fmt(ryw.probes)} reads were stale`;
  const allowed =
    p.stale_read_ms === 0
      ? "the app allows no stale read"
      : `the app allows ${fmt(p.stale_read_ms)} ms`;
  return {
    wait: true,
    why: `${staleNote}, and ${allowed}; with every write waiting for the replicas (remote_apply), ${fmt(ryw.stale_reads)} of ${fmt(ryw.probes)} were stale`,
  };
}

/** One primary alone: enough, and then nothing else is needed. */
function onePrimary(approach: string, p: Profile, rps: number, peak: number): ReplicaPlan {
  return {
    ...{ approach, kind: "one primary", replicas: 0, capacity_rps: rps, headroom: rps / peak },
    reason: `one primary carries the peak on its own: ${fmt(rps)} requests/s against ${fmt(peak)} needed (npm run bench)`,
    rejected: [
      `read replicas: not needed at this load, and a read from one may trail a write (the app allows ${fmt(p.stale_read_ms)} ms)`,
    ],
    predicted: false,
  };
}

/**
 * The setup of `approach`'s server for an app on several servers: one primary, or a primary
 * with the fewest replicas that carry the reads, with writes waiting for them where reads
 * may not be stale. Undefined when it does not apply (one server, or no replica runs).
 */
export function planReplicas(
  approach: string,
  p: Profile,
  runs: readonly ReplicaRun[] | undefined,
  onePrimaryRps: number,
): ReplicaPlan | undefined {
  const mine = (runs ?? []).filter((r) => r.approach === approach);
  const none = mine.find((r) => r.replicas === 0);
  const most = runFor(mine, Infinity);
  if (p.servers <= 1 || !none || !most) return undefined;
  const t = trafficOf(p);
  if (onePrimaryRps >= t.peak) return onePrimary(approach, p, onePrimaryRps, t.peak);
  const perReplica = none.read_rps;
  const replicas = Math.max(1, Math.ceil(t.reads / perReplica));
  const measured = runFor(mine, replicas) ?? most;
  const mode = commitMode(p, measured);
  const failed = (reason: string): ReplicaPlan => ({
    ...{ approach, kind: "none carries it", replicas, capacity_rps: 0, headroom: 0, reason },
    ...{
      rejected: [`one primary: ${fmt(onePrimaryRps)} requests/s against ${fmt(t.peak)} needed`],
    },
    predicted: replicas > measured.replicas,
  });
  if (typeof mode === "string") return failed(`read replicas: ${mode} (npm run topology)`);
  if (replicas > REPLICAS_PER_PRIMARY_MAX)
    return failed(
      `the reads (${fmt(t.reads)}/s) need ${fmt(replicas)} replicas at ${fmt(perReplica)} reads/s each, more than the ${REPLICAS_PER_PRIMARY_MAX} one primary streams to`,
    );
  const writes = mode.wait ? measured.write_read_your_writes.rps : measured.write.rps;
  const capacity = mixCapacity(p, replicas, perReplica, writes);
  if (capacity < t.peak)
    return failed(
      `the primary took ${fmt(writes)} writes/s with ${measured.replicas} replica${measured.replicas > 1 ? "s" : ""}${mode.wait ? ", each waiting for them" : ""}, against ${fmt(t.writes)} needed (npm run topology)`,
    );
  return {
    ...{ approach, kind: mode.wait ? "replicas with read-your-writes" : "replicas", replicas },
    ...{ capacity_rps: capacity, headroom: capacity / t.peak },
    reason: `${fmt(t.reads)} reads/s need ${replicas} replica${replicas > 1 ? "s" : ""} at ${fmt(perReplica)} reads/s each (one PostgreSQL's reads, measured with none), and the primary took ${fmt(writes)} writes/s with ${measured.replicas} attached against ${fmt(t.writes)} needed; ${mode.why} (npm run topology)`,
    rejected: [
      `one primary: ${fmt(onePrimaryRps)} requests/s against ${fmt(t.peak)} needed (npm run bench)`,
      ...(mode.wait
        ? ["replicas without waiting: their reads may be staler than the app allows"]
        : []),
    ],
    predicted: replicas > measured.replicas,
  };
}

/** The rates a fleet estimate scales: measured with replicas where it can, else on one server. */
export interface FleetRates {
  read_rps_per_replica: number;
  write_rps_per_primary: number;
  source: string;
}

export function fleetRates(approach: string, p: Profile, topology: TopologyResults | undefined) {
  const mine = (topology?.replica_runs ?? []).filter((r) => r.approach === approach);
  const none = mine.find((r) => r.replicas === 0);
  const most = runFor(mine, Infinity);
  if (!none || !most) return undefined;
  const mode = commitMode(p, most);
  const wait = typeof mode === "string" || mode.wait;
  return {
    read_rps_per_replica: none.read_rps,
    write_rps_per_primary: wait ? most.write_read_your_writes.rps : most.write.rps,
    source: `npm run topology at ${fmt(topology?.records ?? 0)} records: reads of one PostgreSQL with no replica; writes of the primary with ${most.replicas} replicas${wait ? ", each waiting for them (remote_apply)" : ""}`,
  } satisfies FleetRates;
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
    ...{ read_rps_per_replica: perReplica, write_rps_per_primary: rates.write_rps_per_primary },
    ...{ source: rates.source, shards, replicas_per_shard },
    servers: shards * (1 + replicas_per_shard),
    records_per_shard: Math.ceil(p.records / shards),
    model: [
      `shards = the writes (${fmt(t.writes)}/s) over one primary's ${fmt(rates.write_rps_per_primary)} writes/s, or more if a shard's reads would need more than ${REPLICAS_PER_PRIMARY_MAX} replicas: ${fmt(shards)}`,
      `replicas per shard = a shard's reads (${fmt(t.reads / shards)}/s) over one replica's ${fmt(perReplica)} reads/s, at least one (it is also the shard's standby): ${fmt(replicas_per_shard)}`,
      "each database server is as fast as PostgreSQL was here, where it shared this machine's cores with the app servers and the load generator: a server of its own is likely faster, so the count is likely high",
      "traffic and data spread evenly over the shards",
      "no request spans two shards (a user's orders live on the user's shard), and the network between servers adds latency but takes no throughput",
      "app servers, load balancers and backups are not counted",
    ],
    engines: DISTRIBUTED_ENGINES,
  };
}
