// Short real crash trials, and the lab's list of stores to crash. The lab must see loss where there is loss (map under a power cut)
// and none where writes are durable (jsonl-group), or its durability table means nothing.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { runTrial, type Target } from "../../../src/lab/experiments/crash-trial.ts";
import { crashTargets } from "../../../src/lab/experiments/durability.ts";
import { powerCutUnavailable } from "../../../src/lab/faults/powercut/mount.ts";
import { ensureDataset } from "../../../src/lab/harness/datasets.ts";
import { tempDir } from "../../_helpers.ts";

const targets = await crashTargets();
const target = (name: string): Target => targets.find((t) => t.name === name) ?? assert.fail(name);
const noFuse = powerCutUnavailable();

// Each trial waits for a minimum of acknowledged writes before its fault, a little above what
// it asserts, so that a busy machine makes the trial longer rather than the test fail.
describe("crash trials", () => {
  const work = tempDir("crash");
  let dataset: string;
  before(() => {
    dataset = ensureDataset(work, 200, 42).dir;
  });

  it("map loses nothing it acknowledged to a process crash", async () => {
    const t = await runTrial(target("map"), "sigkill", 1, dataset, work, undefined, 60);
    assert.equal(t.claim, "process-crash");
    assert.ok(t.acked > 50, `${t.acked} acknowledged`);
    assert.equal(t.restarted, true);
    assert.equal(t.lost_acked, 0);
    assert.equal(t.corrupt, 0);
  });

  it("jsonl-group loses nothing it acknowledged to a process crash", async () => {
    const t = await runTrial(target("jsonl-group"), "sigkill", 1, dataset, work, undefined, 60);
    assert.equal(t.claim, "power-loss");
    assert.ok(t.acked > 50, `${t.acked} acknowledged`);
    assert.deepEqual([t.restarted, t.lost_acked, t.corrupt], [true, 0, 0]);
  });

  it("map loses acknowledged writes to a power cut", {
    skip: noFuse && `power cuts skipped: ${noFuse}`,
  }, async () => {
    const t = await runTrial(target("map"), "powercut", 1, dataset, work, undefined, 20);
    assert.ok(t.acked > 10, `${t.acked} acknowledged`);
    assert.equal(t.restarted, true);
    assert.ok(t.lost_acked > 0, "the power cut dropped writes that were never fsynced");
    assert.match(t.cut ?? "", /dropped \d+ unsynced writes/);
  });

  it("lsm loses nothing it acknowledged to a power cut that lands among flushes and compactions", {
    skip: noFuse && `power cuts skipped: ${noFuse}`,
  }, async () => {
    const t = await runTrial(target("lsm"), "powercut", 1, dataset, work, undefined, 450);
    // The crash lab runs lsm with a 200-record memtable, so this many writes flushed several.
    assert.ok(t.acked > 400, `${t.acked} acknowledged`);
    assert.deepEqual([t.restarted, t.lost_acked, t.corrupt], [true, 0, 0]);
  });

  for (const engine of ["lmdb", "leveldb"])
    it(`${engine}, an engine from npm, loses nothing it acknowledged to a power cut`, {
      skip: noFuse && `power cuts skipped: ${noFuse}`,
    }, async () => {
      const t = await runTrial(target(engine), "powercut", 1, dataset, work, undefined, 20);
      assert.equal(t.claim, "power-loss");
      assert.ok(t.acked > 10, `${t.acked} acknowledged`);
      assert.deepEqual([t.restarted, t.lost_acked, t.corrupt], [true, 0, 0]);
    });

  it("jsonl-group loses nothing it acknowledged to a power cut", {
    skip: noFuse && `power cuts skipped: ${noFuse}`,
  }, async () => {
    const t = await runTrial(target("jsonl-group"), "powercut", 1, dataset, work, undefined, 20);
    assert.ok(t.acked > 10, `${t.acked} acknowledged`);
    assert.deepEqual([t.restarted, t.lost_acked, t.corrupt], [true, 0, 0]);
  });
});

describe("the stores the crash lab runs", () => {
  it("are derived from the stores' declarations: those with data of their own in DATA_DIR", () => {
    const names = targets.map((t) => t.name);
    assert.ok(!names.includes("null"), "null keeps nothing");
    assert.ok(!names.includes("postgres"), "postgres keeps its data in its service");
    for (const name of ["map", "jsonl-group", "sqlite", "lsm", "sqlite-normal", "lmdb", "leveldb"])
      assert.ok(names.includes(name), name);
  });
});
