import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { test } from "node:test";
import { BloomFilter } from "../../../src/lib/files/bloom.ts";

test("a Bloom filter never misses a key it holds, survives a round trip through bytes, and rarely says maybe to others", () => {
  const keys = Array.from({ length: 10_000 }, () => randomUUID());
  const filter = BloomFilter.forKeys(keys.length);
  for (const k of keys) filter.add(k);
  const back = BloomFilter.fromBytes(new Uint8Array(filter.bits));
  for (const k of keys) assert.ok(back.mayContain(k), k);
  let maybes = 0;
  const others = 10_000;
  for (let i = 0; i < others; i++) if (back.mayContain(randomUUID())) maybes++;
  // 10 bits per key and 7 hashes give about 1%; 3% leaves room for chance.
  assert.ok(maybes / others < 0.03, `false positive rate ${maybes / others}`);
});
