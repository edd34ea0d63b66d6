// Start-up recovery through the real server: damage that a crash or a power cut leaves in
// each kind of file a store keeps, then a start. Whatever recovery cut must be found, byte for
// byte, in DATA_DIR/recovered/, and a second start must not set it aside again.
import assert from "node:assert/strict";
import { appendFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { createdId, health, post, userBody } from "../../src/lab/harness/client.ts";
import { seed } from "../../src/lab/harness/seed.ts";
import { startServer } from "../../src/lab/harness/server-process.ts";
import { tempDir } from "../_helpers.ts";

const RECOVERED = "recovered";
const HOLE = "\0".repeat(4096);

/** The pieces set aside for `file` (relative to DATA_DIR), each with the range it came from. */
function piecesOf(dataDir: string, file: string): { start: number; end: number; bytes: Buffer }[] {
  const dir = join(dataDir, RECOVERED);
  if (!existsSync(dir)) return [];
  const pieces = [];
  for (const name of readdirSync(dir, { recursive: true, encoding: "utf8" })) {
    const m = /^(.*)\.bytes-(\d+)-(\d+)\.crc-[0-9a-f]{8}$/.exec(name);
    if (m?.[1] !== file) continue;
    const bytes = readFileSync(join(dir, name));
    pieces.push({ start: Number(m[2]), end: Number(m[3]), bytes });
  }
  return pieces.sort((a, b) => a.start - b.start);
}

/** The file as it was before recovery cut it: what is left, with every piece put back. */
function putBack(now: Buffer, pieces: { start: number; end: number; bytes: Buffer }[]): Buffer {
  const parts: Buffer[] = [];
  let at = 0; // in `now`
  let cutSoFar = 0;
  for (const piece of pieces) {
    const keptUntil = piece.start - cutSoFar;
    parts.push(now.subarray(at, keptUntil), piece.bytes);
    at = keptUntil;
    cutSoFar += piece.end - piece.start;
  }
  parts.push(now.subarray(at));
  return Buffer.concat(parts);
}

interface Case {
  approach: string;
  file: string;
  /** Makes `file` (and whatever else the store needs) in `dataDir`, then damages it. */
  damage(dataDir: string): Promise<void>;
  /** Records the store serves after recovery. */
  records: number;
  /** map-shared never cuts its shared file: the pieces are copies of bytes still there. */
  cuts?: false;
}

/** Writes `n` users through a server, then SIGKILLs it: a real crash, the log left as it was. */
async function writeThenCrash(approach: string, dataDir: string, n: number): Promise<void> {
  const server = await startServer({ approach, dataDir });
  for (let i = 0; i < n; i++) {
    const answer = await post(server.url, "/users", userBody("Crash", String(i)));
    assert.equal(answer.status, 201, answer.text);
  }
  await server.kill();
}

const lineOf = (path: string, n: number) => readFileSync(path, "utf8").split("\n")[n] ?? "";

const CASES: Case[] = [
  {
    // The issue's own case: 4 KiB of NULs after record 500 of 1,000 in map's users.jsonl.
    approach: "map",
    file: "users.jsonl",
    records: 1_000,
    async damage(dir) {
      seed({ dataDir: dir, count: 1_000 });
      const lines = readFileSync(join(dir, "users.jsonl"), "utf8").split("\n");
      lines[500] = `${HOLE}${lines[500]}`;
      writeFileSync(join(dir, "users.jsonl"), lines.join("\n"));
    },
  },
  {
    approach: "jsonl-group",
    file: "orders.jsonl",
    records: 10,
    async damage(dir) {
      seed({ dataDir: dir, count: 10, orders: 5 });
      const path = join(dir, "orders.jsonl");
      // A torn last order: its frame's first half, no newline.
      appendFileSync(path, lineOf(path, 0).slice(0, 40));
    },
  },
  {
    approach: "binary",
    file: "users.tail.jsonl",
    records: 13,
    async damage(dir) {
      seed({ dataDir: dir, count: 10 });
      await writeThenCrash("binary", dir, 3);
      const path = join(dir, "users.tail.jsonl");
      appendFileSync(path, `${lineOf(path, 1).slice(0, 25)}\n`);
    },
  },
  {
    approach: "lsm",
    file: "lsm/log-000001.jsonl",
    records: 13, // the record the hole fell in is lost; the two after it are kept
    async damage(dir) {
      seed({ dataDir: dir, count: 10 });
      await writeThenCrash("lsm", dir, 4);
      const path = join(dir, "lsm/log-000001.jsonl");
      const lines = readFileSync(path, "utf8").split("\n");
      // A hole inside the second record (lost), and a torn tail after the fourth.
      lines[1] = `${lines[1]?.slice(0, 30)}${HOLE}`;
      writeFileSync(path, `${lines.join("\n")}{"id":"torn`);
    },
  },
  {
    approach: "map-shared",
    file: "users.jsonl",
    records: 10,
    cuts: false,
    async damage(dir) {
      seed({ dataDir: dir, count: 10 });
      const path = join(dir, "users.jsonl");
      const lines = readFileSync(path, "utf8").split("\n");
      // An interrupted append: torn bytes, then the next record, appended right after them.
      lines[5] = `${lines[2]?.slice(0, 33)}${lines[5]}`;
      writeFileSync(path, lines.join("\n"));
    },
  },
];

describe("recovery keeps what it cuts", () => {
  for (const c of CASES)
    it(`${c.approach}: ${c.file}`, async () => {
      const dataDir = tempDir(`recover-${c.approach}`);
      await c.damage(dataDir);
      const path = join(dataDir, c.file);
      const before = readFileSync(path);

      const server = await startServer({ approach: c.approach, dataDir });
      let listed: unknown;
      try {
        const h = await health(server.url);
        assert.equal(h.records, c.records);
        listed = h.recovered;
      } finally {
        await server.stop();
      }
      const pieces = piecesOf(dataDir, c.file);
      assert.ok(pieces.length > 0, "something was set aside");
      assert.match(
        server.stderr(),
        new RegExp(`set aside \\d+ bytes from offset \\d+ in ${RECOVERED}/`),
      );
      const after = readFileSync(path);
      if (c.cuts === false) {
        assert.deepEqual(after, before, "the shared file is left as it was");
        for (const p of pieces) assert.deepEqual(p.bytes, before.subarray(p.start, p.end));
      } else {
        assert.ok(after.length < before.length, "the damage was cut from the file");
        assert.deepEqual(putBack(after, pieces), before, "every byte cut is in what was set aside");
      }
      assert.deepEqual(listed, {
        dir: RECOVERED,
        files: pieces.length,
        bytes: pieces.reduce((n, p) => n + p.bytes.length, 0),
        names: readdirSync(join(dataDir, RECOVERED), { recursive: true, encoding: "utf8" })
          .filter((n) => /\.crc-/.test(n))
          .sort(),
      });

      const again = await startServer({ approach: c.approach, dataDir });
      try {
        assert.equal((await health(again.url)).records, c.records);
        const created = await post(again.url, "/users", userBody("After", "recovery"));
        assert.equal(created.status, 201, created.text);
        assert.ok(createdId(created.text));
      } finally {
        await again.stop();
      }
      assert.doesNotMatch(again.stderr(), /set aside \d+ bytes/, "nothing set aside twice");
      assert.deepEqual(piecesOf(dataDir, c.file), pieces);
    });
});
