import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { estimateLeftS, planCells } from "../../../src/lab/experiments/bench.ts";
import { formatComparison } from "../../../src/lab/report/compare.ts";
import type { Sample } from "../../../src/lab/results/bench.ts";
import { compareRuns } from "../../../src/lab/results/compare.ts";
import { summarise } from "../../../src/lab/results/summary.ts";
import { sampleOf } from "../_fixtures.ts";

function sample(approach: string, workload: "read" | "write", rps: number, repeat = 1): Sample {
  return sampleOf({
    ...{ approach, workload, repeat, rps, requests: rps * 2, duration_s: 2 },
    latency_ms: { p50: 1, p90: 2, p99: rps / 1000, p999: 9 },
    ...{ non2xx: 1, peak_rss_bytes: 100 * 2 ** 20 * repeat, cpu_cores: 1 },
    ...{ write_bytes: rps * 2 * 150, startup_ms: 100 * repeat },
  });
}

describe("summarise", () => {
  const samples = [
    sample("null", "read", 60_000),
    sample("null", "write", 40_000),
    sample("map", "read", 48_000, 1),
    sample("map", "read", 54_000, 2),
    sample("map", "read", 51_000, 3),
    sample("map", "write", 30_000),
  ];
  const runs = summarise(samples, "wrk", new Map([["map", "process-crash"]]), 5_000);
  const mapRead = runs.find((r) => r.approach === "map" && r.workload === "read");

  it("reports the median of the repeats, and keeps each", () => {
    assert.equal(mapRead?.rps, 51_000);
    assert.deepEqual(mapRead?.rps_samples, [48_000, 54_000, 51_000]);
    assert.equal(mapRead?.latency_ms.p99, 51);
    assert.equal(mapRead?.non2xx, 3, "errors add up across repeats");
    assert.equal(mapRead?.rss_mb, 300, "peak RSS is the highest of the repeats");
    assert.equal(mapRead?.durability, "process-crash");
  });

  it("sets ratios to null for the same workload, and to the fsync ceiling for writes", () => {
    assert.equal(mapRead?.ratio_to_null, 51_000 / 60_000);
    assert.equal(mapRead?.ratio_to_fsync, null);
    const mapWrite = runs.find((r) => r.approach === "map" && r.workload === "write");
    assert.equal(mapWrite?.ratio_to_null, 0.75);
    assert.equal(mapWrite?.ratio_to_fsync, 6);
    assert.equal(mapWrite?.bytes_written_per_request, 150);
  });
});

describe("compareRuns", () => {
  const old = summarise(
    [sample("map", "read", 50_000), sample("map", "write", 30_000)],
    "wrk",
    new Map(),
    1,
  );
  const now = summarise(
    [sample("map", "read", 40_000), sample("map", "write", 31_000), sample("sqlite", "read", 9)],
    "wrk",
    new Map(),
    1,
  );
  const changes = compareRuns(old, now);

  it("gives the change per cell and calls what is beyond noise", () => {
    const read = changes.find((c) => c.key === "map|read|1000");
    assert.equal(read?.rps_change_percent, -20);
    assert.equal(read?.verdict, "slower");
    assert.equal(changes.find((c) => c.key === "map|write|1000")?.verdict, "same");
    assert.equal(changes.find((c) => c.key === "sqlite|read|1000")?.verdict, "new");
  });

  it("prints a table that says how many cells got slower", () => {
    const text = formatComparison(changes);
    assert.match(text, /map\s+read\s+1,000\s+50,000\s+40,000\s+-20\.0%/);
    assert.match(text, /1 cell\(s\) slower/);
  });
});

describe("planCells", () => {
  it("runs every approach within a repeat before the next repeat, the node:http ceiling beside them for reads and writes", () => {
    const cells = planCells({
      approaches: ["null", "map"],
      workloads: ["read", "mixed"],
      records: [10, 20],
      repeat: 2,
    });
    assert.equal(cells.length, 20);
    assert.deepEqual(
      cells
        .filter((c) => c.workload === "read")
        .map((c) => `${c.repeat}:${c.records}:${c.approach}`),
      [
        ...["1:10:null", "1:10:map", "1:10:node:http", "1:20:null", "1:20:map", "1:20:node:http"],
        ...["2:10:null", "2:10:map", "2:10:node:http", "2:20:null", "2:20:map", "2:20:node:http"],
      ],
    );
    assert.ok(
      cells.filter((c) => c.workload === "mixed").every((c) => c.approach !== "node:http"),
      "the bare server answers reads and writes only",
    );
  });
});

describe("estimateLeftS", () => {
  const cell = (approach: string, records: number, repeat = 2) => ({
    approach: approach as "map",
    workload: "read" as const,
    records,
    repeat,
  });
  it("uses a cell's own earlier time, else its size's average, else the overall average", () => {
    const took = new Map([
      ["map|read|10", [2, 4]],
      ["null|read|10", [1]],
      ["map|read|99", [30]],
    ]);
    // own: map@10 -> 3; size average: sqlite@10 -> (2+4+1)/3; own: map@99 -> 30; overall: sqlite@5 -> 37/4
    const left = estimateLeftS(
      [cell("map", 10), cell("sqlite", 10), cell("map", 99), cell("sqlite", 5)],
      took,
    );
    assert.equal(left, 3 + 7 / 3 + 30 + 37 / 4);
    assert.ok(Number.isNaN(estimateLeftS([cell("map", 10)], new Map())));
  });
});
