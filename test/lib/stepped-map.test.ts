import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, it } from "node:test";
import { SHARDS, SteppedMap, shardOf } from "../../src/lib/stepped-map.ts";

describe("SteppedMap", () => {
  it("keeps and counts what a Map keeps, and overwrites in place", () => {
    const m = new SteppedMap<string>();
    const plain = new Map<string, string>();
    for (let i = 0; i < 5_000; i++) {
      const key = i % 7 === 0 && i > 0 ? `key-${i - 7}` : `key-${i}`; // some keys set twice
      m.set(key, `v${i}`);
      plain.set(key, `v${i}`);
    }
    assert.equal(m.size, plain.size);
    for (const [key, value] of plain) {
      assert.equal(m.get(key), value);
      assert.ok(m.has(key));
    }
    assert.equal(m.get("absent"), undefined);
    assert.equal(m.has("absent"), false);
  });

  it("spreads ids and emails that share their ends evenly over the shards", () => {
    for (const make of [
      () => randomUUID(),
      (i: number) => `user${i}@example.com`, // the seed's emails: one prefix, one suffix
    ]) {
      const counts = new Array<number>(SHARDS).fill(0);
      const n = 64_000;
      for (let i = 0; i < n; i++) {
        const shard = shardOf(make(i));
        counts[shard] = (counts[shard] ?? 0) + 1;
      }
      const mean = n / SHARDS;
      assert.ok(Math.min(...counts) > mean * 0.8, `the emptiest shard has ${Math.min(...counts)}`);
      assert.ok(Math.max(...counts) < mean * 1.2, `the fullest shard has ${Math.max(...counts)}`);
    }
  });
});
