// libsql (Turso's fork of SQLite, npm libsql, better-sqlite3's API) as a SQLite connection
// for UsersDb. Its busy timeout is 0 by default, and stays 0: SQLITE_BUSY comes back at once,
// and UsersDb waits on a timer and tries again, as for `sqlite`. Its rows as objects carry a
// `_metadata` field of libsql's own, which is taken off.
import Database from "libsql";
import type { SqliteConnection, SqliteStatement } from "../../lib/engines/sqlite.ts";

const bare = (row: unknown) => {
  if (row && typeof row === "object" && "_metadata" in row)
    delete (row as { _metadata?: unknown })._metadata;
  return row;
};

export function libsql(path: string): SqliteConnection {
  const db = new Database(path, { timeout: 0 });
  return {
    exec: (sql) => void db.exec(sql),
    prepare(sql): SqliteStatement {
      const stmt = db.prepare(sql);
      return {
        get: (...p) => bare(stmt.get(...p)),
        all: (...p) => stmt.all(...p).map(bare),
        run: (...p) => stmt.run(...p),
      };
    },
    prepareArrays: (sql) => db.prepare(sql).raw(true),
    inTransaction: () => db.inTransaction,
    close: () => db.close(),
  };
}
