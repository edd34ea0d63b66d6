import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  checkAssumptions,
  DEFAULT_ASSUMPTIONS,
  dauFor,
  peakRpsFor,
} from "../../../src/lab/results/dau.ts";

describe("DAU arithmetic", () => {
  const a = { requestsPerUserPerDay: 50, peakFactor: 4, writeShare: 0.1 };

  it("turns peak capacity into daily active users", () => {
    // 1,000 req/s at peak = 250 req/s on average = 21,600,000 requests a day = 432,000 users.
    assert.equal(dauFor(1000, a), 432_000);
    assert.equal(dauFor(1000, { ...a, peakFactor: 1 }), 1_728_000);
  });

  it("is the inverse of the peak load a number of users makes", () => {
    assert.equal(peakRpsFor(432_000, a), 1000);
    for (const rps of [1, 37.5, 12_345])
      assert.equal(dauFor(peakRpsFor(dauFor(rps, a), a), a), dauFor(rps, a));
  });

  it("checks its assumptions", () => {
    assert.doesNotThrow(() => checkAssumptions(DEFAULT_ASSUMPTIONS));
    assert.throws(() => checkAssumptions({ ...a, peakFactor: 0.5 }), /--peak-factor/);
    assert.throws(() => checkAssumptions({ ...a, writeShare: 2 }), /--write-share/);
    assert.throws(
      () => checkAssumptions({ ...a, requestsPerUserPerDay: 0 }),
      /--requests-per-user/,
    );
  });
});
