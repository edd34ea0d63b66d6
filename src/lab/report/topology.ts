// The topology section: two app servers on one PostgreSQL, and on one SQLite file each.
import type { ReplicaRun, TopologyResults } from "../results/topology.ts";
import { code, fixed, int, pct, source } from "./format.ts";
import { type Section, section, table, text } from "./model.ts";
import { pairCells, pairHeader } from "./pair.ts";

/** The two-servers table, as topology.md and the benchmark report show it. */
function topologyTable(r: TopologyResults) {
  return table(
    ["app servers on", "sharing", ...pairHeader()],
    r.runs.map((x) => [code(x.approach), x.shares, ...pairCells(x)]),
  );
}

/** PostgreSQL on one app server against the `null` ceiling. */
function postgresVsNullTable(r: TopologyResults) {
  return table(
    ["workload", "postgres req/s", "null req/s", "× null"],
    r.postgres_vs_null.map((v) => [
      v.workload,
      int(v.postgres_rps),
      int(v.null_rps),
      fixed(v.ratio, 2),
    ]),
  );
}

function topologyNotes(r: TopologyResults): string {
  return (
    `Each app server takes half of ${r.connections} connections of write load for ${r.duration_s} s, from ${int(r.records)} seeded records; ` +
    "a probe creates users through server A and reads each through server B straight after its 201, and afterwards both servers' counts " +
    `and every probe user are compared. Network: ${r.network}.`
  );
}

const ms = (x: number | null) => (x === null ? "-" : int(x));

/** One row per replica count and kind of write: what reads and writes each setup gives. */
function replicaTable(runs: readonly ReplicaRun[]) {
  const rows = runs.flatMap((r) =>
    (
      [
        ["plain", r.write],
        ["read-your-writes", r.write_read_your_writes],
      ] as const
    ).map(([kind, w]) => [
      int(r.replicas),
      kind === "plain" ? int(r.read_rps) : "",
      kind,
      int(w.rps),
      fixed(w.p99_ms),
      r.replicas ? `${ms(w.lag_ms_p50)} / ${ms(w.lag_ms_max)}` : "-",
      r.replicas ? int(w.lag_bytes_max ?? 0) : "-",
      `${int(w.stale_reads)} / ${int(w.probes)} (${pct(w.stale_reads, w.probes)})`,
      fixed(w.stale_ms_max),
      kind === "plain" ? "" : `${int(w.applied)} / ${int(w.probes)}`,
      int(w.errors_5xx),
    ]),
  );
  return table(
    [
      "replicas",
      "reads req/s",
      "writes",
      "writes req/s",
      "write p99 ms",
      "lag ms (median / worst)",
      "lag bytes (worst)",
      "stale reads / probes",
      "stale for, ms (worst)",
      "applied",
      "5xx",
    ],
    rows,
  );
}

function replicaNotes(r: TopologyResults): string {
  return (
    "Two app servers on one PostgreSQL with 0, 1 and 2 hot standbys (`POSTGRES_REPLICAS`), all on this machine: the replicas share its cores with the primary, the app servers and the load generator, so here a replica cannot add the read capacity it adds on a machine of its own (`npm run advise` counts each replica at the reads one PostgreSQL served with none). " +
    "Reads go to the replicas that keep up (within 1 s), writes to the primary. " +
    `Reads: ${r.connections} connections of reads, half at each server. Writes: the same write load and probe as above, ` +
    "the probe creating through server A and reading through server B, which reads from a replica. " +
    "Lag is the most any replica was behind in each /health sample (every 200 ms) while the writes ran. " +
    '"Stale for" is how long the longest stale read lasted: from A\'s 201 until B, reading again and again, found the user. ' +
    '"read-your-writes": every write, the probe\'s too, sent `Prefer: read-your-writes`, so it commits with `synchronous_commit = remote_apply` and waits until every replica has applied it; ' +
    '"applied" counts the probe creates whose 201 said so (`Preference-Applied`).'
  );
}

export function topologySection(r: TopologyResults, file?: string): Section {
  const replicas = r.replica_runs?.length
    ? [text("PostgreSQL with read replicas:"), replicaTable(r.replica_runs), text(replicaNotes(r))]
    : [];
  return section("Several servers, measured", [
    ...(file ? [text(source(file, "topology"))] : []),
    topologyTable(r),
    text("PostgreSQL on one app server, against the `null` ceiling:"),
    postgresVsNullTable(r),
    text(topologyNotes(r)),
    ...replicas,
  ]);
}
