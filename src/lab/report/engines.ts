// "Engines you might pick instead": LMDB and LevelDB beside our stores, and the speed goals
// we hold our stores to, each a ratio between two cells of the same run.
import type { Results } from "../results/bench.ts";
import {
  engineRows,
  floorRows,
  goalRows,
  OUR_FASTEST_DURABLE,
  OVERHEAD_US_MAX,
} from "../results/engines.ts";
import { NOISE_MIN } from "../results/growth.ts";

const FASTEST_DURABLE_WORDS = "our fastest durable store";

/** Why each speed goal is what it is, by "approach workload versus". */
const GOAL_WHY: Record<string, string> = {
  "map read null": "a Map lookup costs next to nothing beside HTTP",
  "sqlite read null": "one indexed SELECT per request",
  "binary read null": "one index probe and one pread",
  "lsm read null": "a memtable, Bloom filters, one pread",
  "lsm read leveldb": "the engine it reinvents",
  [`${OUR_FASTEST_DURABLE} read lmdb`]: "the fastest engine a Node developer might pick",
  "sqlite-group write null": "group commit: one fsync for many writes",
  "jsonl-group write null": "group commit on an append-only file",
};

import { code, int, share, times, us, yesNo } from "./format.ts";
import { type Section, section, table, text } from "./model.ts";

export function enginesSection(results: Results): Section | undefined {
  const engines = engineRows(results);
  const goals = goalRows(results).filter((g) => g.ratio !== null);
  if (!engines.length && !goals.length) return undefined;
  const largest = Math.max(0, ...results.runs.map((r) => r.records));
  const workloads = results.settings.workloads;
  return section("Engines you might pick instead, and our stores beside them", [
    text(
      `Real embedded engines from npm, run in the same harness as our stores. Ratios are to \`null\` (HTTP only) at ${int(largest)} records, in this run. Beside them, each engine's write rate over the first second of load and over its measured window: an engine that starts slow shows it there.`,
    ),
    table(
      [
        "store",
        "engine",
        "our store like it",
        ...workloads.map((w) => `${w} × null`),
        "writes/s, first second",
        "writes/s, measured",
        "claims to survive",
      ],
      engines.map((e) => [
        code(e.approach),
        e.engine,
        e.like ? code(e.like) : "-",
        ...workloads.map((w) => times(e.ratios[w])),
        int(e.first_second_write_rps),
        int(e.write_rps),
        e.durability,
      ]),
    ),
    text(
      `The speed goals: each is one store's req/s over another's, at ${int(largest)} records, and for reads also the server CPU it adds per request over \`null\`'s, which holds whatever share of the cores the load generator took. "${FASTEST_DURABLE_WORDS}" is whichever of ours that claims to survive a power loss read fastest in this run. Writes near 1.00× \`null\` mean as fast as this machine can measure: the load generator and the loopback, on the same 2 cores, set that ceiling, not the store.`,
    ),
    table(
      [
        ...["store", "workload", "versus", "ratio", "goal", "server µs/req", "versus µs/req"],
        ...["µs added", "µs goal", "met", "why this goal"],
      ],
      goals.map((g) => [
        g.measured && g.measured !== g.approach
          ? `${code(g.measured)} (${FASTEST_DURABLE_WORDS})`
          : code(g.approach),
        g.workload,
        code(g.versus),
        times(g.ratio),
        `≥ ${times(g.min)}`,
        us(g.us),
        us(g.versus_us),
        g.added_us === null ? "-" : `${g.added_us >= 0 ? "+" : ""}${us(g.added_us)}`,
        g.max_added_us === undefined ? "-" : `≤ +${g.max_added_us}`,
        yesNo(Boolean(g.met)),
        GOAL_WHY[`${g.approach} ${g.workload} ${g.versus}`] ?? "",
      ]),
    ),
  ]);
}

const GOAL_WORDS = { pass: "yes", fail: "**no**", unknown: "unknown" } as const;

/** Each store in process beside its server: what HTTP and the app add to it, beyond `null`. */
export function floorSection(results: Results): Section | undefined {
  const rows = floorRows(results);
  if (!rows.length) return undefined;
  return section("Each store in process, with no HTTP: its own floor", [
    text(
      `Each store opened in a process of its own, with no HTTP in between, on a fresh copy of the largest dataset: lookups of seeded ids, then committed writes, 50 in flight as under the bench's load, in 3 timed rounds. CPU per operation is the process's, so an fsync's kernel time counts. The server's CPU per request less this, less \`null\`'s (HTTP and the app on no storage), is what HTTP costs this store beyond \`null\`: near 0 means the store adds nothing of its own to HTTP. Each of the three figures is a band (its repeats or rounds, and at least ±${share(NOISE_MIN)}, the least noise these machines show), so the overhead is one too; the goal of at most ${OVERHEAD_US_MAX} µs is met only where the whole band is below it, missed where the whole band is above it, and unknown where the band straddles it.`,
    ),
    table(
      [
        "store",
        "workload",
        "in process µs/op",
        "in process ops/s",
        "server µs/req",
        "null µs/req",
        "HTTP overhead µs",
        "its band",
        `≤ ${OVERHEAD_US_MAX} µs`,
      ],
      rows.map((r) => [
        code(r.approach),
        r.workload,
        us(r.in_process_us),
        int(r.in_process_rps),
        us(r.server_us),
        us(r.null_us),
        us(r.overhead_us),
        r.overhead_low_us === null ? "-" : `${us(r.overhead_low_us)} to ${us(r.overhead_high_us)}`,
        GOAL_WORDS[r.goal],
      ]),
    ),
  ]);
}
