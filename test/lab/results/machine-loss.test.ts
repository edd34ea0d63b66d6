// Surviving the loss of the database's machine: a store beside the app cannot; for one on a
// database server, the cheapest replication mode that lost nothing, stopped writes no longer
// than allowed; where the app wants no stale read and standbys served one, reads stay on the primary.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { failoverToMeasure, machineLoss } from "../../../src/lab/results/machine-loss.ts";
import { base } from "./_decision-evidence.ts";
import { allFailover, failoverResults } from "./_failover-fixture.ts";

const loss = { ...base, survive: "machine-loss" as const, failover_s_max: 30 };

describe("machine loss", () => {
  it("fails a store whose data live beside the app, with no measurement needed", () => {
    assert.deepEqual(machineLoss(false, undefined, loss), {
      valid: "fail",
      finding: { kind: "one-machine" },
    });
  });

  it("cannot judge a database server before the failover lab ran", () => {
    assert.equal(machineLoss(true, undefined, loss), undefined);
  });

  it("passes synchronous replication, after asynchronous lost writes in the stall", () => {
    const v = machineLoss(true, allFailover, loss);
    assert.equal(v?.valid, "pass");
    assert.ok(v?.finding.kind === "failover");
    assert.equal(v.finding.mode, "sync");
    const [async, sync] = v.finding.modes;
    assert.deepEqual([async?.valid, async?.problem, async?.lost], ["fail", "lost", 885]);
    assert.deepEqual([sync?.valid, sync?.lost, sync?.stopped_ms_max], ["pass", 0, 11_700]);
    assert.equal(sync?.write_share_of_async, 710 / 890);
  });

  it("keeps reads on the primary when the app must never read stale data and standbys served some", () => {
    const v = machineLoss(true, allFailover, { ...loss, stale_read_ms: 0 });
    assert.ok(v?.finding.kind === "failover");
    assert.equal(v.finding.mode, "sync");
    const sync = v.finding.modes[1];
    assert.deepEqual([sync?.valid, sync?.reads], ["pass", "primary"]);
    assert.ok((sync?.stale_reads ?? 0) > 0, "the fixture's sync standbys served stale reads");
    const allowed = machineLoss(true, allFailover, loss);
    assert.ok(allowed?.finding.kind === "failover");
    assert.equal(allowed.finding.modes[1]?.reads, "standbys");
  });

  it("fails every mode when writes must come back faster than any failover here", () => {
    const v = machineLoss(true, allFailover, { ...loss, failover_s_max: 5 });
    assert.equal(v?.valid, "fail");
    assert.ok(v?.finding.kind === "failover");
    assert.equal(v.finding.mode, null);
    assert.deepEqual(
      v.finding.modes.map((m) => m.problem),
      ["lost", "slow", "slow"],
    );
  });

  it("is unknown while the passing mode has one fault left to measure", () => {
    const half = failoverResults((m, f) => m === "async" || f === "stall-node");
    assert.equal(machineLoss(true, half, loss)?.valid, "unknown");
  });
});

describe("what to measure of failovers next", () => {
  it("the cheapest mode first, the stall first, and nothing once a mode passes", () => {
    assert.deepEqual(failoverToMeasure(undefined, loss), {
      mode: "async",
      faults: ["stall-node", "node"],
    });
    const asyncStall = failoverResults((m, f) => m === "async" && f === "stall-node");
    assert.deepEqual(failoverToMeasure(asyncStall, loss), {
      mode: "sync",
      faults: ["stall-node", "node"],
    });
    const syncStall = failoverResults(
      (m, f) => m === "async" || (m === "sync" && f === "stall-node"),
    );
    assert.deepEqual(failoverToMeasure(syncStall, loss), { mode: "sync", faults: ["node"] });
    assert.equal(failoverToMeasure(allFailover, loss), undefined);
  });
});
