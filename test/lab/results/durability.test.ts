// The judgement of a store's durability claim against what its crash trials lost.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { claimHolds, summariseTrials, type Trial } from "../../../src/lab/results/durability.ts";

describe("claims against measurements", () => {
  it("holds a store to what it claims", () => {
    assert.equal(claimHolds("power-loss", "powercut", 0, 0, true), true);
    assert.equal(claimHolds("power-loss", "sigkill", 1, 0, true), false);
    assert.equal(claimHolds("process-crash", "powercut", 40, 0, true), true);
    assert.equal(claimHolds("process-crash", "sigkill", 1, 0, true), false);
    assert.equal(claimHolds("nothing", "sigkill", 99, 0, true), true);
    assert.equal(
      claimHolds("nothing", "sigkill", 0, 1, true),
      false,
      "corruption breaks any claim",
    );
    assert.equal(
      claimHolds("power-loss", "sigkill", 0, 0, false),
      false,
      "so does failing to restart",
    );
  });

  it("sums trials per store and fault", () => {
    const t = (lost: number, restarted = true): Trial => ({
      target: "map",
      fault: "powercut",
      trial: 1,
      fault_after_ms: 1,
      claim: "process-crash",
      acked: 10,
      lost_acked: lost,
      corrupt: 0,
      restarted,
    });
    const [run] = summariseTrials([t(3), t(0), t(5)]);
    assert.deepEqual(
      {
        trials: run?.trials,
        acked: run?.acked,
        lost: run?.lost_acked,
        worst: run?.max_lost_in_a_trial,
        held: run?.claim_held,
      },
      { trials: 3, acked: 30, lost: 8, worst: 5, held: true },
    );
  });
});
