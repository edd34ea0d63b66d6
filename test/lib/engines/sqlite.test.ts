// UsersDb over each SQLite binding: node:sqlite and libsql wait out another connection's
// lock on a timer; every binding answers a free database synchronously, and reports the
// synchronous level it really runs at.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { nodeSqlite, type SqliteConnection, UsersDb } from "../../../src/lib/engines/sqlite.ts";
import { newUser } from "../../../src/lib/user.ts";
import { betterSqlite3 } from "../../../src/stores/better-sqlite3/engine.ts";
import { libsql } from "../../../src/stores/libsql/engine.ts";

const dir = mkdtempSync(join(tmpdir(), "needadb-sqlite-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const BINDINGS: Record<string, (path: string) => SqliteConnection> = {
  "node:sqlite": nodeSqlite,
  "better-sqlite3": betterSqlite3,
  libsql,
};
const open = (
  binding: string,
  name: string,
  o: Partial<ConstructorParameters<typeof UsersDb>[2]> = {},
) => {
  const path = join(dir, `${binding}-${name}.db`);
  return new UsersDb((BINDINGS[binding] as (p: string) => SqliteConnection)(path), path, {
    tuned: true,
    ...o,
  });
};

for (const binding of ["node:sqlite", "libsql"])
  test(`${binding}: a write that meets another connection's lock waits on a timer, is counted, and commits`, async () => {
    const holder = open(binding, "busy", { synchronous: "FULL" });
    const writer = open(binding, "busy", { synchronous: "FULL" });
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

describe("every binding", () => {
  for (const binding of Object.keys(BINDINGS))
    test(`${binding}: a free database answers synchronously`, () => {
      const db = open(binding, "free", { synchronous: "NORMAL" });
      const user = newUser("Bo", "bo@example.com");
      assert.equal(db.insertAll([user]), undefined);
      assert.equal(db.count(), 1);
      assert.equal(db.find(user.id), JSON.stringify(user));
      assert.deepEqual(db.findByEmail("bo@example.com"), [JSON.stringify(user)]);
      assert.equal(db.busy, 0);
      db.close();
    });

  test("each reports the level it runs at in WAL mode, left to its own default", () => {
    const levels = Object.fromEntries(
      Object.keys(BINDINGS).map((b) => [b, open(b, "default", { tuned: false }).synchronous]),
    );
    // better-sqlite3 is built with SQLITE_DEFAULT_WAL_SYNCHRONOUS=1; the others keep FULL.
    assert.deepEqual(levels, { "node:sqlite": "FULL", "better-sqlite3": "NORMAL", libsql: "FULL" });
  });
});
