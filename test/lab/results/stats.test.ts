import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { median, percentile, ratio } from "../../../src/lab/results/stats.ts";

describe("median", () => {
  it("takes the middle value, or the mean of the middle two", () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.equal(median([7]), 7);
    assert.ok(Number.isNaN(median([])));
  });
  it("does not reorder its input", () => {
    const values = [3, 1, 2];
    median(values);
    assert.deepEqual(values, [3, 1, 2]);
  });
});

describe("percentile (nearest rank)", () => {
  const hundred = Array.from({ length: 100 }, (_, i) => i + 1); // 1..100
  it("picks the smallest value with p% at or below it", () => {
    assert.equal(percentile(hundred, 50), 50);
    assert.equal(percentile(hundred, 99), 99);
    assert.equal(percentile(hundred, 99.9), 100);
    assert.equal(percentile(hundred, 100), 100);
    assert.equal(percentile(hundred, 0), 1);
    assert.equal(percentile([5, 1, 9, 3], 50), 3);
  });
  it("refuses percentiles outside 0..100", () => {
    assert.throws(() => percentile(hundred, 101), RangeError);
  });
});

describe("ratio", () => {
  it("divides, or gives null without a usable base", () => {
    assert.equal(ratio(30, 60), 0.5);
    assert.equal(ratio(30, undefined), null);
    assert.equal(ratio(30, 0), null);
  });
});
