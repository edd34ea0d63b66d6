// better-sqlite3 as a SQLite connection for UsersDb, with its defaults: a busy timeout of
// 5 s, which it waits out inside the call (blocking the event loop), and, in WAL mode, the
// synchronous level it is built with (SQLITE_DEFAULT_WAL_SYNCHRONOUS=1: NORMAL).
import Database from "better-sqlite3";
import type { SqliteConnection } from "../../lib/engines/sqlite.ts";

export function betterSqlite3(path: string): SqliteConnection {
  const db = new Database(path);
  return {
    exec: (sql) => void db.exec(sql),
    prepare: (sql) => db.prepare(sql),
    prepareArrays: (sql) => db.prepare(sql).raw(true),
    inTransaction: () => db.inTransaction,
    close: () => db.close(),
  };
}
