// The run's own warnings: which side set the pace, how much repeats varied, and ratios that
// cannot be right. Judged here from made-up cells, so each rule is checked on its edge.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Run } from "../../../src/lab/results/bench.ts";
import { bottleneckOf, spreadOf } from "../../../src/lab/results/summary.ts";
import { trustWarnings } from "../../../src/lab/results/warnings.ts";
import { runOf } from "../_fixtures.ts";

function run(approach: string, o: Partial<Run> = {}): Run {
  return runOf({
    ...{ approach, repeats: 3, ratio_to_null: 1, spread: 0.05, generator_cpu_cores: 0.5 },
    ...o,
  });
}

describe("which side set the pace", () => {
  it("is the side that was saturated while the other was not", () => {
    assert.equal(bottleneckOf(0.4, 0.97, 1), "load-generator");
    assert.equal(bottleneckOf(1.0, 0.5, 1), "server");
    assert.equal(bottleneckOf(1.0, 0.95, 1), "unknown", "both busy: the machine");
    assert.equal(bottleneckOf(0.2, 0.2, 1), "unknown", "neither: waiting on the disk or network");
    assert.equal(bottleneckOf(0.4, 0.97, 2), "unknown", "two wrk threads have two cores");
    assert.equal(bottleneckOf(0.4, null, 1), "unknown");
  });

  it("measures spread as (max - min) / median, unknown with one repeat", () => {
    assert.equal(spreadOf([90, 100, 110]), 0.2);
    assert.equal(spreadOf([100]), null);
  });
});

describe("the run's warnings", () => {
  it("say nothing about a quiet, well-paced run with repeats", () => {
    assert.deepEqual(trustWarnings([run("null"), run("map", { ratio_to_null: 0.8 })], "wrk"), []);
  });

  it("name noisy cells, stores above the ceiling and cells the load generator paced", () => {
    const warnings = trustWarnings(
      [
        run("null", { spread: 0.05 }),
        run("map", { ratio_to_null: 5.4, spread: 0.3 }),
        run("sqlite", { ratio_to_null: 1.1, spread: 0.05 }),
        run("jsonl-group", { bottleneck: "load-generator", generator_cpu_cores: 0.98 }),
      ],
      "wrk",
    );
    const cell = (approach: string, figure: number, other?: number) => ({
      ...{ approach, workload: "read", records: 1_000, figure },
      ...(other === undefined ? {} : { other }),
    });
    assert.deepEqual(warnings, [
      { id: "noisy", cells: [cell("map", 0.3)] },
      // sqlite's 1.1× is within the spreads and the margin.
      { id: "above-null", cells: [cell("map", 5.4)] },
      { id: "generator-paced", cells: [cell("jsonl-group", 0.98, 0.5)] },
    ]);
  });

  it("say when no request finished in a cell's measured phase", () => {
    const warnings = trustWarnings(
      [run("linear", { rps: 0, latency_ms: { p50: 0, p90: 0, p99: 0, p999: 0 } })],
      "wrk",
    );
    assert.deepEqual(warnings, [
      {
        id: "stalled",
        cells: [{ approach: "linear", workload: "read", records: 1_000, figure: 0 }],
      },
    ]);
  });

  it("say when there was one repeat, and when autocannon was the load generator", () => {
    const warnings = trustWarnings([run("map", { repeats: 1, spread: null })], "autocannon");
    assert.deepEqual(
      warnings.map((w) => w.id),
      ["one-repeat", "autocannon"],
    );
  });
});
