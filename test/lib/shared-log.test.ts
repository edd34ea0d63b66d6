import assert from "node:assert/strict";
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { CorruptLineError } from "../../src/lib/jsonl.ts";
import { SharedUserLog } from "../../src/lib/shared-log.ts";
import { newUser, type User } from "../../src/lib/user.ts";

const dir = mkdtempSync(join(tmpdir(), "needadb-shared-log-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function opened(path: string, logs: string[] = []) {
  const seen = new Map<string, string>();
  const log = new SharedUserLog(
    path,
    (m) => logs.push(m),
    (u, json) => seen.set(u.id, json),
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

test("a torn record followed by a whole one keeps the whole one and says so", () => {
  const path = join(dir, "torn.jsonl");
  const torn = newUser("Torn", "torn@example.com");
  const whole = newUser("Whole", "whole@example.com");
  appendFileSync(path, `${json(torn).slice(0, 30)}${json(whole)}\n`);
  const logs: string[] = [];
  const reader = opened(path, logs);
  assert.deepEqual([...reader.seen.keys()], [whole.id]);
  assert.match(logs.join("\n"), /torn record/);
  reader.log.close();
});

test("a damaged line with no record after it stops start-up, naming the line", () => {
  const path = join(dir, "bad.jsonl");
  appendFileSync(path, `${json(newUser("A", "a@example.com"))}\nnot json at all\n`);
  assert.throws(() => opened(path), CorruptLineError);
  assert.throws(() => opened(path), /line 2/);
});
