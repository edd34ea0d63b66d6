import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { SetAside } from "../../src/lib/files/set-aside.ts";
import { openUserLog } from "../../src/lib/files/user-log.ts";
import { GroupCommit } from "../../src/lib/group-commit.ts";
import { DiskFullError, FencedError, OverloadedError } from "../../src/lib/storage-errors.ts";
import { tempDir } from "../_helpers.ts";

const dir = tempDir("group");
const json = (i: number) => JSON.stringify({ n: i });

/** A flush that records its batches and takes `ms` like a slow disk. */
function recorder(ms = 2) {
  const batches: number[][] = [];
  const flush = async (batch: number[]) => {
    await new Promise((r) => setTimeout(r, ms));
    batches.push(batch);
  };
  return { batches, flush };
}

describe("GroupCommit", () => {
  it("flushes a lone item at once, without waiting for company", async () => {
    const { batches, flush } = recorder();
    const gc = new GroupCommit(flush, { maxBatch: 64, maxQueue: 100, start: "now" });
    await gc.submit(1);
    assert.deepEqual(batches, [[1]]);
  });

  it("batches what arrives during a flush, in order, never more than maxBatch", async () => {
    const { batches, flush } = recorder();
    const gc = new GroupCommit(flush, { maxBatch: 16, maxQueue: 1000, start: "now" });
    await Promise.all(Array.from({ length: 100 }, (_, i) => gc.submit(i)));
    assert.deepEqual(
      batches.flat(),
      Array.from({ length: 100 }, (_, i) => i),
    );
    assert.deepEqual(batches[0], [0], "the first goes alone, the rest gather behind it");
    assert.ok(batches.every((b) => b.length <= 16));
    assert.ok(batches.length <= 8, `${batches.length} flushes`);
    assert.deepEqual(gc.stats, { flushes: batches.length, items: 100, maxBatch: 16 });
  });

  it("resolves an item only after the flush that covers it", async () => {
    const flushed = new Set<number>();
    const gc = new GroupCommit(
      async (batch: number[]) => {
        await new Promise((r) => setTimeout(r, 1));
        for (const n of batch) flushed.add(n);
      },
      { maxBatch: 8, maxQueue: 100, start: "now" },
    );
    await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        gc.submit(i).then(() => assert.ok(flushed.has(i), `${i} was flushed`)),
      ),
    );
  });

  it("after-io: a blocking flush still gets batches from requests already read", async () => {
    const batches: number[][] = [];
    const gc = new GroupCommit((batch: number[]) => void batches.push(batch), {
      maxBatch: 64,
      maxQueue: 100,
      start: "after-io",
    });
    // Ten submits in one turn of the event loop, as ten requests read in one poll phase.
    await Promise.all(Array.from({ length: 10 }, (_, i) => gc.submit(i)));
    assert.deepEqual(batches, [[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]]);
  });

  it("refuses items past the queue bound with OverloadedError", async () => {
    const { flush } = recorder(5);
    const gc = new GroupCommit(flush, { maxBatch: 1, maxQueue: 5, start: "now" });
    const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => gc.submit(i)));
    const refused = results.filter((r) => r.status === "rejected");
    assert.ok(refused.length >= 10, `${refused.length} refused`);
    for (const r of refused)
      assert.ok((r as PromiseRejectedResult).reason instanceof OverloadedError);
    assert.equal(results.length - refused.length, gc.stats.items, "the rest were flushed");
  });

  it("stops for good after a failed flush, rejecting what waits and what comes", async () => {
    let calls = 0;
    const gc = new GroupCommit(
      async () => {
        calls++;
        await new Promise((r) => setTimeout(r, 1));
        if (calls === 2) throw new Error("EIO");
      },
      { maxBatch: 2, maxQueue: 100, start: "now" },
    );
    assert.equal(gc.fenced(), undefined);
    const results = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => gc.submit(i)));
    assert.equal(results[0]?.status, "fulfilled");
    for (const r of results.slice(1)) {
      assert.equal(r.status, "rejected");
      const reason = (r as PromiseRejectedResult).reason;
      assert.ok(reason instanceof FencedError);
      assert.match(String(reason), /could not be made durable \(EIO\).*restart to recover/);
    }
    await assert.rejects(gc.submit(9), FencedError);
    assert.equal(calls, 2, "no flush after the failure");
    assert.match(gc.fenced() ?? "", /could not be made durable \(EIO\)/);
  });

  it("fails only the batch that met a full disk, and takes writes again after it", async () => {
    let full = true;
    const { batches, flush } = recorder(1);
    const gc = new GroupCommit(
      async (batch: number[]) => {
        if (full) throw new DiskFullError("the disk is full");
        await flush(batch);
      },
      { maxBatch: 4, maxQueue: 100, start: "now" },
    );
    await assert.rejects(gc.submit(1), DiskFullError);
    full = false;
    await gc.submit(2);
    assert.deepEqual(batches, [[2]]);
    assert.equal(gc.fenced(), undefined);
  });
});

describe("AppendLog.durableAppender", () => {
  it("writes every record once, in order, with fewer fsyncs than records under load", async () => {
    const path = join(dir, "users.jsonl");
    const log = openUserLog(path, new SetAside(dir, () => {}));
    const appender = log.durableAppender({ maxBatch: 64, maxQueue: 1000 });
    await Promise.all(Array.from({ length: 300 }, (_, i) => appender.submit(json(i))));
    await appender.drain();
    log.close();
    const got = readFileSync(path, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l).n);
    assert.deepEqual(
      got,
      Array.from({ length: 300 }, (_, i) => i),
    );
    assert.ok(appender.stats.flushes < 300, `${appender.stats.flushes} fsyncs for 300 records`);
  });
});
