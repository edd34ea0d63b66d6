import assert from "node:assert/strict";
import { closeSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { DurableAppender, OverloadedError } from "../../src/lib/durable-appender.ts";
import { tempDir } from "../_helpers.ts";

const dir = tempDir("appender");
const line = (i: number) => Buffer.from(`{"n":${i}}\n`);

function open(name: string, limits: { maxBatchRecords: number; maxQueueRecords: number }) {
  const path = join(dir, name);
  const fd = openSync(path, "a");
  return { path, fd, appender: new DurableAppender(fd, limits) };
}

describe("DurableAppender", () => {
  it("writes every record once, in arrival order", async () => {
    const { path, fd, appender } = open("order.jsonl", {
      maxBatchRecords: 64,
      maxQueueRecords: 1000,
    });
    await Promise.all(Array.from({ length: 300 }, (_, i) => appender.append(line(i))));
    closeSync(fd);
    const got = readFileSync(path, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l).n);
    assert.deepEqual(
      got,
      Array.from({ length: 300 }, (_, i) => i),
    );
  });

  it("with batches of one, gives every record its own fsync", async () => {
    const { fd, appender } = open("single.jsonl", { maxBatchRecords: 1, maxQueueRecords: 1000 });
    await Promise.all(Array.from({ length: 50 }, (_, i) => appender.append(line(i))));
    closeSync(fd);
    assert.equal(appender.stats.flushes, 50);
    assert.equal(appender.stats.maxBatch, 1);
  });

  it("batches what arrives while a flush is under way, never more than the limit", async () => {
    const { fd, appender } = open("group.jsonl", { maxBatchRecords: 16, maxQueueRecords: 1000 });
    await Promise.all(Array.from({ length: 200 }, (_, i) => appender.append(line(i))));
    closeSync(fd);
    assert.equal(appender.stats.records, 200);
    assert.ok(
      appender.stats.flushes < 200 / 4,
      `${appender.stats.flushes} flushes for 200 records`,
    );
    assert.ok(appender.stats.maxBatch <= 16);
  });

  it("flushes a lone record at once, without waiting for company", async () => {
    const { fd, appender } = open("lone.jsonl", { maxBatchRecords: 64, maxQueueRecords: 1000 });
    await appender.append(line(1));
    assert.deepEqual(appender.stats, { flushes: 1, records: 1, maxBatch: 1 });
    closeSync(fd);
  });

  it("refuses appends past the queue bound with OverloadedError", async () => {
    const { fd, appender } = open("full.jsonl", { maxBatchRecords: 1, maxQueueRecords: 5 });
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => appender.append(line(i))),
    );
    closeSync(fd);
    const refused = results.filter((r) => r.status === "rejected");
    assert.ok(refused.length >= 10, `${refused.length} refused`);
    for (const r of refused)
      assert.ok((r as PromiseRejectedResult).reason instanceof OverloadedError);
    assert.equal(results.length - refused.length, appender.stats.records, "the rest were written");
  });

  it("stops for good after a failed flush, rejecting what waits and what comes", async () => {
    const { fd, appender } = open("fail.jsonl", { maxBatchRecords: 4, maxQueueRecords: 100 });
    await appender.append(line(0));
    closeSync(fd); // the next write fails with EBADF, as a dying disk would fail it
    const waiting = await Promise.allSettled([appender.append(line(1)), appender.append(line(2))]);
    for (const r of waiting) {
      assert.equal(r.status, "rejected");
      assert.match(String((r as PromiseRejectedResult).reason), /could not be made durable/);
    }
    await assert.rejects(appender.append(line(3)), /could not be made durable/);
  });

  it("drain waits for what is queued", async () => {
    const { fd, appender } = open("drain.jsonl", { maxBatchRecords: 2, maxQueueRecords: 100 });
    for (let i = 0; i < 10; i++) void appender.append(line(i));
    await appender.drain();
    assert.equal(appender.stats.records, 10);
    closeSync(fd);
  });
});
