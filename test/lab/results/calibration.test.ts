// The calibration's pure parts: the ladder each profile draws from, and the rule that gives a
// profile's mix of reads and writes from cells measured once, checked against a mixed cell
// the rule never saw.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Results } from "../../../src/lab/results/bench.ts";
import {
  checkRule,
  harmonic,
  mixAt,
  ruleError,
  rungsFor,
} from "../../../src/lab/results/calibration.ts";
import { runOf } from "../_fixtures.ts";

describe("the ladder", () => {
  it("takes every rung up to the profile's size, and the first at or above it", () => {
    assert.deepEqual(rungsFor(200), [1_000]);
    assert.deepEqual(rungsFor(50_000), [1_000, 10_000, 100_000]);
    assert.deepEqual(rungsFor(100_000), [1_000, 10_000, 100_000]);
    assert.deepEqual(rungsFor(3_000_000_000), [1_000, 10_000, 100_000, 1_000_000]);
  });
});

describe("the mixing rule", () => {
  it("is the harmonic mix of the read and write rates", () => {
    assert.equal(harmonic(10_000, 1_000, 0), 10_000);
    assert.equal(harmonic(10_000, 1_000, 1), 1_000);
    // 90% of a read's 100 µs and 10% of a write's 1 ms: 190 µs a request.
    assert.ok(Math.abs(harmonic(10_000, 1_000, 0.1) - 1e6 / 190) < 1e-6);
  });

  const cells = (approach: string, read: number, write: number, mixed?: number) => [
    runOf({ approach, workload: "read", records: 1_000, rps: read, rps_samples: [read] }),
    runOf({ approach, workload: "write", records: 1_000, rps: write, rps_samples: [write] }),
    ...(mixed === undefined
      ? []
      : [
          runOf({
            approach,
            workload: "mixed",
            records: 1_000,
            rps: mixed,
            rps_samples: [mixed],
            write_share: 0.1,
          }),
        ]),
  ];

  it("is checked against each mixed cell at the check share, and the error widens the bands", () => {
    const runs = [...cells("a", 10_000, 1_000, 1e6 / 190 / 1.25), ...cells("b", 20_000, 2_000)];
    const checks = checkRule(runs);
    assert.equal(checks.length, 1);
    assert.ok(
      Math.abs((checks[0]?.error ?? 0) - 0.25) < 1e-9,
      "the rule said 1.25× what was measured",
    );
    assert.ok(Math.abs(ruleError(checks, "a") - 0.25) < 1e-9);
    assert.ok(
      Math.abs(ruleError(checks, "b") - 0.25) < 1e-9,
      "an unchecked store takes the worst check",
    );
    const mixed = mixAt({ runs } as unknown as Results, 0.05).runs.filter(
      (r) => r.workload === "mixed",
    );
    assert.deepEqual(
      mixed.map((r) => [
        r.approach,
        r.write_share,
        Math.round((r.derived?.error ?? 0) * 1e6) / 1e6,
      ]),
      [
        ["a", 0.05, 0.25],
        ["b", 0.05, 0.25],
      ],
    );
    const b = mixed.find((r) => r.approach === "b");
    assert.ok(Math.abs((b?.rps ?? 0) - harmonic(20_000, 2_000, 0.05)) < 1e-6);
    assert.ok(
      Math.min(...(b?.rps_samples ?? [])) < (b?.rps ?? 0) * 0.8,
      "the band is widened by the error",
    );
  });

  it("keeps a mixed cell measured at exactly the profile's share", () => {
    const runs = cells("a", 10_000, 1_000, 4_000);
    const mixed = mixAt({ runs } as unknown as Results, 0.1).runs.filter(
      (r) => r.workload === "mixed",
    );
    assert.deepEqual(
      mixed.map((r) => [r.rps, r.derived]),
      [[4_000, undefined]],
    );
  });
});
