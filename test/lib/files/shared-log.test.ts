import assert from "node:assert/strict";
import {
  appendFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { CorruptLineError } from "../../../src/lib/files/jsonl.ts";
import { RECOVERED_DIR, SetAside } from "../../../src/lib/files/set-aside.ts";
import { SharedUserLog } from "../../../src/lib/files/shared-log.ts";
import { newUser, type User } from "../../../src/lib/user.ts";

const dir = mkdtempSync(join(tmpdir(), "needadb-shared-log-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function opened(path: string, logs: string[] = []) {
  const seen = new Map<string, string>();
  const log = new SharedUserLog(path, new SetAside(dir, (m) => logs.push(m)), (u, json) =>
    seen.set(u.id, json),
  );
  return { log, seen };
}

const json = (u: User) => JSON.stringify(u);

test("a record appended through one log is read by another after catchUp", () => {
  const path = join(dir, "two.jsonl");
  const a = opened(path);
  const b = opened(path);
  const user = newUser("Ada", "ada@example.com");
  a.log.append(json(user));
  assert.equal(b.seen.has(user.id), false);
  b.log.catchUp();
  assert.equal(b.seen.get(user.id), json(user));
  a.log.close();
  b.log.close();
});

test("a partial last line waits until its writer finishes it", () => {
  const path = join(dir, "partial.jsonl");
  const reader = opened(path);
  const user = newUser("Bo", "bo@example.com");
  const line = `${json(user)}\n`;
  appendFileSync(path, line.slice(0, 20));
  reader.log.catchUp();
  assert.equal(reader.seen.size, 0);
  appendFileSync(path, line.slice(20));
  reader.log.catchUp();
  assert.equal(reader.seen.get(user.id), json(user));
  // Nothing was cut from the file while the line was partial.
  assert.equal(readFileSync(path, "utf8"), line);
  reader.log.close();
});

/** The files recovery set aside for `name`, with their bytes. */
function setAside(name: string): Buffer[] {
  const where = join(dir, RECOVERED_DIR);
  if (!existsSync(where)) return [];
  return readdirSync(where)
    .filter((file) => file.startsWith(`${name}.bytes-`))
    .map((file) => readFileSync(join(where, file)));
}

test("a torn record followed by a whole one keeps the whole one, and sets the torn bytes aside once", () => {
  const path = join(dir, "torn.jsonl");
  const first = newUser("First", "first@example.com");
  const torn = newUser("Torn", "torn@example.com");
  const whole = newUser("Whole", "whole@example.com");
  const tornBytes = json(torn).slice(0, 30);
  const content = `${json(first)}\n${tornBytes}${json(whole)}\n`;
  appendFileSync(path, content);
  const logs: string[] = [];
  const reader = opened(path, logs);
  assert.deepEqual([...reader.seen.keys()], [first.id, whole.id]);
  const at = Buffer.byteLength(json(first)) + 1;
  assert.match(
    logs.join("\n"),
    new RegExp(
      `set aside 30 bytes from offset ${at} in recovered/torn\\.jsonl\\.bytes-${at}-${at + 30}\\.crc-[0-9a-f]{8}: line 2: torn bytes`,
    ),
  );
  assert.deepEqual(setAside("torn.jsonl"), [Buffer.from(tornBytes)]);
  assert.equal(readFileSync(path, "utf8"), content, "the shared file is never cut");
  // A second reader (another process, or the next start) skips them again, and keeps no second copy.
  const again: string[] = [];
  opened(path, again).log.close();
  assert.match(again.join("\n"), /were set aside before/);
  assert.equal(setAside("torn.jsonl").length, 1);
  reader.log.close();
});

test("a line with a hole of NUL bytes is skipped and set aside; the records after it are read", () => {
  const path = join(dir, "hole.jsonl");
  const [a, b, c] = [
    newUser("A", "a@example.com"),
    newUser("B", "b@example.com"),
    newUser("C", "c@example.com"),
  ];
  const hole = `${json(b).slice(0, 25)}${"\0".repeat(4096)}`;
  appendFileSync(path, `${json(a)}\n${hole}\n${json(c)}\n`);
  const reader = opened(path);
  assert.deepEqual([...reader.seen.keys()], [a.id, c.id]);
  assert.deepEqual(setAside("hole.jsonl"), [Buffer.from(`${hole}\n`)]);
  reader.log.close();
});

test("a damaged line with no record after it stops start-up, naming the line", () => {
  const path = join(dir, "bad.jsonl");
  appendFileSync(path, `${json(newUser("A", "a@example.com"))}\nnot json at all\n`);
  assert.throws(() => opened(path), CorruptLineError);
  assert.throws(() => opened(path), /line 2/);
});
