// Short real crash trials. The lab must see loss where there is loss (map under a power cut)
// and none where writes are durable (jsonl-group), or its durability table means nothing.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import {
  claimHolds,
  flushWindowNote,
  runTrial,
  summariseTrials,
  TARGETS,
  type Trial,
} from "../../src/lab/crash.ts";
import { ensureDataset } from "../../src/lab/datasets.ts";
import { powerCutUnavailable } from "../../src/lab/powercut/mount.ts";
import { tempDir } from "../_helpers.ts";

const target = (name: string) => TARGETS.find((t) => t.name === name) ?? assert.fail(name);
const noFuse = powerCutUnavailable();

describe("crash trials", () => {
  const work = tempDir("crash");
  let dataset: string;
  before(() => {
    dataset = ensureDataset(work, 200, 42).dir;
  });

  it("map loses nothing it acknowledged to a process crash", async () => {
    const t = await runTrial(target("map"), "sigkill", 1, dataset, work);
    assert.equal(t.claim, "process-crash");
    assert.ok(t.acked > 50, `${t.acked} acknowledged`);
    assert.equal(t.restarted, true);
    assert.equal(t.lost_acked, 0);
    assert.equal(t.corrupt, 0);
  });

  it("jsonl-group loses nothing it acknowledged to a process crash", async () => {
    const t = await runTrial(target("jsonl-group"), "sigkill", 1, dataset, work);
    assert.equal(t.claim, "power-loss");
    assert.ok(t.acked > 50, `${t.acked} acknowledged`);
    assert.deepEqual([t.restarted, t.lost_acked, t.corrupt], [true, 0, 0]);
  });

  it("map loses acknowledged writes to a power cut", {
    skip: noFuse && `power cuts skipped: ${noFuse}`,
  }, async () => {
    const t = await runTrial(target("map"), "powercut", 1, dataset, work);
    assert.ok(t.acked > 10, `${t.acked} acknowledged`);
    assert.equal(t.restarted, true);
    assert.ok(t.lost_acked > 0, "the power cut dropped writes that were never fsynced");
    assert.match(t.cut ?? "", /dropped \d+ unsynced writes/);
  });

  it("lsm loses nothing it acknowledged to a power cut that lands among flushes and compactions", {
    skip: noFuse && `power cuts skipped: ${noFuse}`,
  }, async () => {
    const t = await runTrial(target("lsm"), "powercut", 1, dataset, work);
    // The crash lab runs lsm with a 200-record memtable, so this many writes flushed several.
    assert.ok(t.acked > 400, `${t.acked} acknowledged`);
    assert.deepEqual([t.restarted, t.lost_acked, t.corrupt], [true, 0, 0]);
  });

  it("jsonl-group loses nothing it acknowledged to a power cut", {
    skip: noFuse && `power cuts skipped: ${noFuse}`,
  }, async () => {
    const t = await runTrial(target("jsonl-group"), "powercut", 1, dataset, work);
    assert.ok(t.acked > 10, `${t.acked} acknowledged`);
    assert.deepEqual([t.restarted, t.lost_acked, t.corrupt], [true, 0, 0]);
  });
});

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

describe("the flush-window check", () => {
  const run = (worst: number) => ({
    approach: "sqlite-batched",
    fault: "sigkill" as const,
    trials: 5,
    acked: 900,
    lost_acked: worst,
    corrupt: 0,
    restarted: 5,
    repaired: 0,
    max_lost_in_a_trial: worst,
    claim: "nothing",
    claim_held: true,
  });
  it("says whether sqlite-batched lost more than one flush window", () => {
    assert.match(flushWindowNote([run(99)]).join(""), /stayed within one window/);
    assert.match(flushWindowNote([run(250)]).join(""), /exceeded one window/);
    assert.deepEqual(flushWindowNote([{ ...run(5), approach: "map" }]), []);
  });
});
