import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { CorruptLineError, loadJsonl, scanLines } from "../../src/lib/jsonl.ts";
import { isUser, type User } from "../../src/lib/user.ts";
import { toLine } from "../../src/lib/user-log.ts";
import { tempDir } from "../_helpers.ts";

const dir = tempDir("jsonl");
const user = (n: number): User => ({
  id: `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`,
  name: `User ${n}`,
  email: `u${n}@example.com`,
  created_at: "2026-01-01T00:00:00.000Z",
});
const lines = (n: number) => Array.from({ length: n }, (_, i) => toLine(user(i))).join("");

function load(path: string) {
  const ids: string[] = [];
  const logs: string[] = [];
  const result = loadJsonl(
    path,
    isUser,
    (u) => ids.push(u.id),
    (m) => logs.push(m),
  );
  return { ids, logs, result };
}

describe("loadJsonl", () => {
  it("reads every record of an intact file and changes nothing", () => {
    const path = join(dir, "intact.jsonl");
    writeFileSync(path, lines(3));
    const { ids, logs, result } = load(path);
    assert.deepEqual(ids, [user(0).id, user(1).id, user(2).id]);
    assert.deepEqual(logs, []);
    assert.equal(result.size, Buffer.byteLength(lines(3)));
    assert.equal(readFileSync(path, "utf8"), lines(3));
  });

  it("drops an unterminated last line, truncates the file and says so", () => {
    const path = join(dir, "torn.jsonl");
    const torn = toLine(user(9)).slice(0, 30);
    writeFileSync(path, lines(3) + torn);
    const { ids, logs, result } = load(path);
    assert.equal(ids.length, 3);
    assert.equal(logs.length, 1);
    assert.match(logs[0] ?? "", /torn\.jsonl: dropped a torn last record \(30 bytes/);
    assert.equal(readFileSync(path, "utf8"), lines(3));
    assert.equal(result.size, Buffer.byteLength(lines(3)));
  });

  it("drops a complete record that lost only its newline", () => {
    const path = join(dir, "no-newline.jsonl");
    writeFileSync(path, lines(2) + toLine(user(5)).trimEnd());
    const { ids } = load(path);
    assert.equal(ids.length, 2);
    assert.equal(readFileSync(path, "utf8"), lines(2));
  });

  it("drops a garbled last line, such as zeros left by a power cut", () => {
    const path = join(dir, "zeros.jsonl");
    writeFileSync(path, `${lines(2)}\0\0\0\0\n`);
    const { ids, logs } = load(path);
    assert.equal(ids.length, 2);
    assert.equal(logs.length, 1);
    assert.equal(readFileSync(path, "utf8"), lines(2));
  });

  it("cuts at a hole of NUL bytes even when whole records follow it (a torn write)", () => {
    // What lazyfs's torn mode leaves: part of the first unsynced write, zeros where the
    // rest never landed, then a later write whole.
    const path = join(dir, "hole.jsonl");
    const prefix = toLine(user(3)).slice(0, 20);
    writeFileSync(path, `${lines(2)}${prefix}${"\0".repeat(50)}${lines(3)}`);
    const { ids, logs, result } = load(path);
    assert.equal(ids.length, 2);
    assert.equal(logs.length, 1);
    assert.match(
      logs[0] ?? "",
      /hole\.jsonl: dropped \d+ bytes from offset \d+: a power cut left a hole/,
    );
    assert.equal(readFileSync(path, "utf8"), lines(2));
    assert.equal(result.size, Buffer.byteLength(lines(2)));
  });

  it("cuts at a torn line followed by a hole on the next line", () => {
    const path = join(dir, "hole-next.jsonl");
    writeFileSync(path, `${lines(2)}{"id": torn\n\0\0\0${lines(1)}`);
    const { ids } = load(path);
    assert.equal(ids.length, 2);
    assert.equal(readFileSync(path, "utf8"), lines(2));
  });

  it("stops on a corrupt line that is not the last, naming the file and line", () => {
    const path = join(dir, "corrupt.jsonl");
    const content = `${toLine(user(0))}{"id": broken\n${toLine(user(2))}`;
    writeFileSync(path, content);
    assert.throws(
      () => load(path),
      (err: Error) => {
        assert.ok(err instanceof CorruptLineError);
        assert.match(err.message, /corrupt\.jsonl, line 2: not valid JSON/);
        assert.match(err.message, /backup/);
        return true;
      },
    );
    assert.equal(readFileSync(path, "utf8"), content, "a corrupt file is left as it was");
  });

  it("rejects valid JSON that is not a record, in the middle of the file", () => {
    const path = join(dir, "not-record.jsonl");
    writeFileSync(path, `${toLine(user(0))}{"id":"short"}\n${toLine(user(2))}`);
    assert.throws(() => load(path), /line 2: valid JSON but not a complete record/);
  });

  it("treats a missing file as empty", () => {
    assert.deepEqual(load(join(dir, "absent.jsonl")).result, { records: 0, size: 0 });
  });
});

describe("scanLines", () => {
  it("finds lines that cross chunk boundaries and lines longer than a chunk", async () => {
    const path = join(dir, "long.jsonl");
    const long = "y".repeat(3 * 1024 * 1024); // three times the 1 MiB read chunk
    writeFileSync(path, `a\n${long}\nb\n`);
    const { openSync, closeSync } = await import("node:fs");
    const fd = openSync(path, "r");
    const seen: number[] = [];
    const result = scanLines(fd, 0, (_buf, begin, end) => {
      seen.push(end - begin);
    });
    closeSync(fd);
    assert.deepEqual(seen, [1, long.length, 1]);
    assert.equal(result.tail, 0);
  });
});
