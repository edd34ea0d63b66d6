// The topology section: two app servers on one PostgreSQL, and on one SQLite file each.
import type { TopologyResults } from "../results/topology.ts";
import { code, int, source } from "./format.ts";
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
      v.ratio.toFixed(2),
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

export function topologySection(r: TopologyResults, file?: string): Section {
  return section("Several servers, measured", [
    ...(file ? [text(source(file, "topology"))] : []),
    topologyTable(r),
    text("PostgreSQL on one app server, against the `null` ceiling:"),
    postgresVsNullTable(r),
    text(topologyNotes(r)),
  ]);
}
