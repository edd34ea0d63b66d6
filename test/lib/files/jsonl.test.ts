import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { CorruptLineError, loadJsonl, scanLines } from "../../../src/lib/files/jsonl.ts";
import { RECOVERED_DIR, SetAside } from "../../../src/lib/files/set-aside.ts";
import { toLine } from "../../../src/lib/files/user-log.ts";
import { isUser, type User } from "../../../src/lib/user.ts";
import { tempDir } from "../../_helpers.ts";

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
    new SetAside(dir, (m) => logs.push(m)),
  );
  return { ids, logs, result };
}

/** Every file recovery set aside for `name`, by name, with its bytes. */
function setAside(name: string): Map<string, Buffer> {
  const found = new Map<string, Buffer>();
  const where = join(dir, RECOVERED_DIR);
  if (!existsSync(where)) return found;
  for (const file of readdirSync(where))
    if (file.startsWith(`${name}.bytes-`)) found.set(file, readFileSync(join(where, file)));
  return found;
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
    assert.equal(setAside("intact.jsonl").size, 0);
  });

  it("cuts an unterminated last line after setting it aside, byte for byte, once", () => {
    const path = join(dir, "torn.jsonl");
    const torn = toLine(user(9)).slice(0, 30);
    const offset = Buffer.byteLength(lines(3));
    writeFileSync(path, lines(3) + torn);
    const { ids, logs, result } = load(path);
    assert.equal(ids.length, 3);
    assert.equal(logs.length, 1);
    assert.match(
      logs[0] ?? "",
      new RegExp(
        `torn.jsonl: set aside 30 bytes from offset ${offset} in recovered/torn.jsonl.bytes-${offset}-${offset + 30}.crc-[0-9a-f]{8}: a torn last record`,
      ),
    );
    assert.equal(readFileSync(path, "utf8"), lines(3));
    assert.equal(result.size, offset);
    assert.deepEqual([...setAside("torn.jsonl").values()], [Buffer.from(torn)]);
    // A second start finds nothing to cut, and sets nothing aside again.
    assert.deepEqual(load(path).logs, []);
    assert.equal(setAside("torn.jsonl").size, 1);
  });

  it("cuts a complete record that lost only its newline", () => {
    const path = join(dir, "no-newline.jsonl");
    writeFileSync(path, lines(2) + toLine(user(5)).trimEnd());
    const { ids } = load(path);
    assert.equal(ids.length, 2);
    assert.equal(readFileSync(path, "utf8"), lines(2));
    assert.deepEqual(
      [...setAside("no-newline.jsonl").values()],
      [Buffer.from(toLine(user(5)).trimEnd())],
    );
  });

  it("cuts a garbled last line, such as zeros left by a power cut", () => {
    const path = join(dir, "zeros.jsonl");
    writeFileSync(path, `${lines(2)}\0\0\0\0\n`);
    const { ids, logs } = load(path);
    assert.equal(ids.length, 2);
    assert.match(logs.join("\n"), /a hole of NUL bytes/);
    assert.equal(readFileSync(path, "utf8"), lines(2));
  });

  it("cuts only the line of a hole of NUL bytes and keeps the whole records after it (a torn write)", () => {
    // What lazyfs's torn mode leaves: part of the first unsynced write, zeros where the
    // rest never landed, then a later write whole.
    const path = join(dir, "hole.jsonl");
    const holeLine = `${toLine(user(3)).slice(0, 20)}${"\0".repeat(4096)}${toLine(user(4)).slice(40)}`;
    const after = lines(8).split("\n").slice(5).join("\n"); // users 5 to 7
    writeFileSync(path, `${lines(2)}${holeLine}${after}`);
    const { ids, logs, result } = load(path);
    assert.deepEqual(
      ids,
      [0, 1, 5, 6, 7].map((n) => user(n).id),
    );
    assert.equal(logs.length, 1);
    assert.match(
      logs[0] ?? "",
      /hole\.jsonl: set aside 4\d{3} bytes from offset \d+ in recovered\/.*: a hole of NUL bytes/,
    );
    assert.equal(readFileSync(path, "utf8"), `${lines(2)}${after}`);
    assert.equal(result.size, Buffer.byteLength(`${lines(2)}${after}`));
    assert.deepEqual([...setAside("hole.jsonl").values()], [Buffer.from(holeLine)]);
    assert.deepEqual(load(path).logs, [], "a second start sets nothing aside again");
  });

  it("takes a torn line just before a hole as part of the hole", () => {
    const path = join(dir, "hole-next.jsonl");
    writeFileSync(path, `${lines(2)}{"id": torn\n\0\0\0${toLine(user(7)).slice(5)}`);
    const { ids } = load(path);
    assert.equal(ids.length, 2, "the record on the hole's line is not whole");
    assert.equal(readFileSync(path, "utf8"), lines(2));
    assert.deepEqual(
      [...setAside("hole-next.jsonl").values()],
      [Buffer.from(`{"id": torn\n\0\0\0${toLine(user(7)).slice(5)}`)],
    );
  });

  it("keeps a whole record that begins just where a hole ends", () => {
    // 4 KiB of NULs between two records, as a page that never reached the disk leaves them.
    const path = join(dir, "hole-aligned.jsonl");
    const nuls = "\0".repeat(4096);
    writeFileSync(path, `${lines(3)}${nuls}${toLine(user(3))}${toLine(user(4))}`);
    const { ids } = load(path);
    assert.deepEqual(
      ids,
      [0, 1, 2, 3, 4].map((n) => user(n).id),
    );
    assert.equal(readFileSync(path, "utf8"), lines(5));
    assert.deepEqual([...setAside("hole-aligned.jsonl").values()], [Buffer.from(nuls)]);
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
    assert.equal(setAside("corrupt.jsonl").size, 0);
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
