import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { generateUsers } from "../../../src/lab/harness/seed.ts";
import {
  INDEX_ENTRY_BYTES,
  SortedFile,
  writeSortedFiles,
} from "../../../src/lib/files/sorted-file.ts";
import { tempDir } from "../../_helpers.ts";

const byId = <T extends { id: string }>(a: T, b: T) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

describe("sorted file and fixed-width index", () => {
  const dir = tempDir("sorted");

  // Sizes around the leaf size (128) and far above it, so both the probe and leaf paths run.
  for (const count of [0, 1, 2, 127, 128, 129, 5_000]) {
    it(`finds every record, and only those, among ${count}`, () => {
      const users = generateUsers(count, count + 1).sort(byId);
      const data = join(dir, `d${count}.jsonl`);
      const index = join(dir, `d${count}.idx`);
      writeSortedFiles(data, index, users);
      const sorted = SortedFile.open(data, index);
      assert.ok(sorted);
      assert.equal(sorted.entries, count);
      for (const user of users) assert.equal(sorted.find(user.id), JSON.stringify(user));
      for (const other of generateUsers(50, 999_999))
        assert.equal(sorted.find(other.id), undefined);
      sorted.close();
    });
  }

  it("writes the course's 58-byte entries", () => {
    const users = generateUsers(3, 7).sort(byId);
    writeSortedFiles(join(dir, "f.jsonl"), join(dir, "f.idx"), users);
    const idx = readFileSync(join(dir, "f.idx"), "latin1");
    assert.equal(idx.length, 3 * INDEX_ENTRY_BYTES);
    assert.match(idx.slice(0, INDEX_ENTRY_BYTES), /^[0-9a-f-]{36}:0{20}\n$/);
    const second = Number(idx.slice(INDEX_ENTRY_BYTES + 37, INDEX_ENTRY_BYTES + 57));
    assert.equal(second, Buffer.byteLength(`${JSON.stringify(users[0])}\n`));
  });

  it("refuses unsorted input", () => {
    const users = generateUsers(10, 3);
    users.sort(byId).reverse();
    assert.throws(
      () => writeSortedFiles(join(dir, "u.jsonl"), join(dir, "u.idx"), users),
      /out of order/,
    );
  });

  it("refuses a damaged index with a message that says how to rebuild it", () => {
    writeFileSync(join(dir, "bad.jsonl"), "");
    writeFileSync(join(dir, "bad.idx"), "x".repeat(INDEX_ENTRY_BYTES + 3));
    assert.throws(
      () => SortedFile.open(join(dir, "bad.jsonl"), join(dir, "bad.idx")),
      /npm run seed/,
    );
  });

  it("reads a record longer than its first read, whole", () => {
    const [user] = generateUsers(1, 7);
    assert.ok(user);
    const long = { ...user, name: "n".repeat(5_000) };
    const data = join(dir, "long.jsonl");
    const index = join(dir, "long.idx");
    writeSortedFiles(data, index, [long]);
    const sorted = SortedFile.open(data, index);
    assert.equal(sorted?.find(long.id), JSON.stringify(long));
    sorted?.close();
  });
});
