import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { UsersDb } from "../../../src/lib/engines/sqlite.ts";
import { newUser } from "../../../src/lib/user.ts";

const dir = mkdtempSync(join(tmpdir(), "needadb-sqlite-"));
after(() => rmSync(dir, { recursive: true, force: true }));

test("a write that meets another connection's lock waits on a timer, is counted, and commits", async () => {
  const path = join(dir, "busy.db");
  const holder = new UsersDb(path, "FULL");
  const writer = new UsersDb(path, "FULL");
  holder.db.exec("BEGIN IMMEDIATE");

  const user = newUser("Ada", "ada@example.com");
  const pending = writer.insertAll([user]);
  assert.ok(pending instanceof Promise, "a locked database must not be waited for synchronously");
  // The event loop stays free while the writer waits: this timer runs and releases the lock.
  setTimeout(() => holder.db.exec("COMMIT"), 30);
  await pending;

  assert.ok(writer.busy >= 1, `busy count ${writer.busy}`);
  assert.equal(holder.find(user.id), JSON.stringify(user));
  // Reads never waited: WAL readers do not take the write lock.
  assert.equal(holder.busy, 0);
  holder.close();
  writer.close();
});

test("a free database answers synchronously", () => {
  const db = new UsersDb(join(dir, "free.db"), "NORMAL");
  const user = newUser("Bo", "bo@example.com");
  assert.equal(db.insertAll([user]), undefined);
  assert.equal(db.count(), 1);
  assert.equal(db.busy, 0);
  db.close();
});
