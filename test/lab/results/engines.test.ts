// The engines' rows and the speed goals: ratios between cells of one run, at its largest
// size, with "our fastest durable store" chosen from what the stores declare and claim.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Results, Run } from "../../../src/lab/results/bench.ts";
import {
  engineRows,
  fastestDurable,
  floorRows,
  goalRows,
  OUR_FASTEST_DURABLE,
  OVERHEAD_US_MAX,
} from "../../../src/lab/results/engines.ts";
import { runOf, sampleOf } from "../_fixtures.ts";

function run(approach: string, workload: Run["workload"], records: number, rps: number): Run {
  const durable = ["sqlite", "jsonl-group", "lmdb", "leveldb", "postgres", "lsm"];
  return runOf({
    ...{ approach, workload, records, rps },
    durability:
      approach === "map" ? "process-crash" : durable.includes(approach) ? "power-loss" : "nothing",
  });
}

// At 1,000 records every store is slow; the goals read the largest size only.
const READS: Record<string, number> = {
  null: 10_000,
  map: 9_500,
  sqlite: 6_000,
  binary: 7_500,
  lsm: 8_000,
  "jsonl-group": 9_000,
  postgres: 9_900,
  lmdb: 9_800,
  leveldb: 7_000,
};
const approaches = Object.keys(READS);
const runs = approaches.flatMap((a) => [
  run(a, "read", 1_000, 100),
  run(a, "read", 100_000, READS[a] as number),
  run(a, "write", 100_000, a === "jsonl-group" ? 9_500 : 5_000),
]);
// LMDB's write warm-up at the largest size: wrk starting, a partial first answer, then a
// slow first second (as on a file full of free pages) that climbs to its pace.
const lmdbWrites = sampleOf({
  ...{ approach: "lmdb", workload: "write", records: 100_000, rps: 5_000 },
  series: {
    interval_ms: 250,
    warmup_rps: [0, 0, 40, 200, 400, 600, 800, 3_000, 5_000, 5_000],
    window_rps: [5_000, 5_000, 5_000, 5_000],
  },
});
const results = {
  runs,
  samples: [lmdbWrites],
  settings: { approaches, workloads: ["read", "write"], records: [1_000, 100_000] },
  declared: {
    ...Object.fromEntries(approaches.map((a) => [a, { service: false, many: false }])),
    postgres: { service: true, many: true },
    lmdb: { service: false, many: true, engine: { name: "LMDB (npm lmdb)" } },
    leveldb: { service: false, many: false, engine: { name: "LevelDB", like: "lsm" } },
  },
} as unknown as Results;

describe("the engines and the speed goals", () => {
  it("picks our fastest durable store: no engine, no service, claims a power loss", () => {
    // postgres (a service) and lmdb (an engine) read faster, and map does not claim power loss.
    assert.equal(fastestDurable(results, "read"), "jsonl-group");
  });

  it("measures each goal as a ratio at the largest size, and says whether it is met", () => {
    const goals = goalRows(results);
    const find = (approach: string, versus: string) =>
      goals.find((g) => g.approach === approach && g.versus === versus);
    assert.equal(find("map", "null")?.ratio, 0.95);
    assert.equal(find("map", "null")?.met, true);
    assert.equal(find("sqlite", "null")?.met, false, "0.60× is short of 0.7×");
    assert.equal(find("lsm", "leveldb")?.ratio, 8_000 / 7_000);
    const durable = find(OUR_FASTEST_DURABLE, "lmdb");
    assert.equal(durable?.measured, "jsonl-group");
    assert.equal(durable?.ratio, 9_000 / 9_800);
    assert.equal(durable?.met, true);
    assert.equal(find("jsonl-group", "null")?.ratio, 9_500 / 5_000);
  });

  it("lists only the engines, each with our store like it and its ratios to null", () => {
    const rows = engineRows(results);
    assert.deepEqual(
      rows.map((r) => [r.approach, r.like]),
      [
        ["lmdb", null],
        ["leveldb", "lsm"],
      ],
    );
    assert.equal(rows[0]?.ratios.read, 0.98);
    assert.equal(rows[1]?.durability, "power-loss");
    assert.equal(rows[0]?.first_second_write_rps, 500, "the first second after its first answer");
    assert.equal(rows[0]?.write_rps, 5_000);
    assert.equal(rows[1]?.first_second_write_rps, null, "no series: not measured");
  });

  it("leaves a goal unmeasured when a side was not run", () => {
    const without = { ...results, runs: runs.filter((r) => r.approach !== "leveldb") };
    const lsm = goalRows(without).find((g) => g.versus === "leveldb");
    assert.equal(lsm?.ratio, null);
    assert.equal(lsm?.met, null);
  });
});

describe("what HTTP adds to a store beyond null", () => {
  // null's server spends 15 µs on a read; each store's floor and server µs are set so the
  // overhead's band lands clearly under, clearly over, or across the 2 µs goal.
  const cell = (approach: string, us: number, samples?: number[]) =>
    runOf({
      ...{ approach, workload: "read", records: 1_000, cpu_us_per_request: us },
      ...(samples ? { cpu_us_samples: samples } : {}),
    });
  const floor = (approach: string, us: number, samples: number[]) => ({
    ...{ approach, records: 1_000 },
    read: { cpu_us: us, rps: 1e5, cpu_us_samples: samples },
    write: { cpu_us: us, rps: 1e5, cpu_us_samples: samples },
  });
  const floored = {
    ...results,
    runs: [
      cell("null", 100, [99, 100, 100]),
      cell("tight", 150, [150, 150, 150]),
      cell("heavy", 400, [395, 400, 405]),
      cell("loose", 150),
    ],
    floors: [floor("tight", 50, [50, 50]), floor("heavy", 100, [98, 101]), floor("loose", 49, [])],
  } as unknown as Results;
  const read = (a: string) =>
    floorRows(floored).find((r) => r.approach === a && r.workload === "read");

  it("subtracts the store's floor and null's µs from the server's, with a band from all three", () => {
    const heavy = read("heavy");
    assert.equal(heavy?.overhead_us, 400 - 100 - 100);
    // Each band is its samples, and at least ±10% of its value.
    const near = (a: number | null | undefined, b: number) => Math.abs((a ?? NaN) - b) < 1e-9;
    assert.ok(near(heavy?.overhead_low_us, 360 - 110 - 110), JSON.stringify(heavy));
    assert.ok(near(heavy?.overhead_high_us, 440 - 90 - 90), JSON.stringify(heavy));
    assert.equal(heavy?.goal, "fail");
  });

  it("calls the goal unknown where the band straddles it, met only where all of it is under", () => {
    const tight = read("tight");
    assert.equal(tight?.overhead_us, 0);
    assert.equal(tight?.goal, "unknown", "±10% of 150 µs is wider than 2 µs");
    assert.equal(read("loose")?.goal, "unknown");
    const cheap = {
      ...floored,
      runs: [cell("null", 5, [5]), cell("tight", 5.5, [5.5])],
      floors: [floor("tight", 0.2, [0.2])],
    } as unknown as Results;
    const row = floorRows(cheap).find((r) => r.workload === "read");
    assert.ok((row?.overhead_high_us ?? 99) <= OVERHEAD_US_MAX, JSON.stringify(row));
    assert.equal(row?.goal, "pass");
  });

  it("has no overhead where null was not run", () => {
    const alone = { ...floored, runs: floored.runs.filter((r) => r.approach !== "null") };
    const row = floorRows(alone).find((r) => r.approach === "tight");
    assert.equal(row?.overhead_us, null);
    assert.equal(row?.goal, "unknown");
  });
});
