// SQLite as the baseline: node:sqlite in WAL mode, one row and one transaction per request.
// Each write is a BEGIN IMMEDIATE transaction, so a second process holding the lock makes
// it wait (without blocking other requests) rather than fail; GET /health counts the waits.
// Whether a commit survives a power loss depends on the synchronous level; see lib/engines/sqlite.ts.
import { join } from "node:path";
import {
  DB_FILE,
  EMAIL_LOOKUP,
  nodeSqlite,
  sqliteDurability,
  synchronousFrom,
  UsersDb,
} from "../../lib/engines/sqlite.ts";
import { SqliteOrderBook } from "../../lib/engines/sqlite-orders.ts";
import type { LabTraits, OpenStore, Simplicity, Store } from "../_types.ts";

export const simplicity: Simplicity = "sqlite";
export const settings = { SQLITE_SYNCHRONOUS: "FULL" };

export const lab: LabTraits = {
  // The faster level, measured beside it: what a power loss costs at synchronous=NORMAL.
  variants: [{ name: "sqlite-normal", env: { SQLITE_SYNCHRONOUS: "NORMAL" } }],
};

export const processes = {
  many: true,
  why: "SQLite coordinates processes through file locks; in WAL mode readers never block and writers take turns",
};

export const files = [DB_FILE];

export const open: OpenStore = ({ dataDir, env }) => {
  const path = join(dataDir, DB_FILE);
  const users = new UsersDb(nodeSqlite(path), path, {
    synchronous: synchronousFrom(env),
    tuned: true,
  });
  return storeOn(users, { journal_mode: "WAL" });
};

/**
 * The store over a users database, one transaction per write: this one on node:sqlite, and
 * the engines from npm that speak SQLite (better-sqlite3, libsql) on theirs.
 */
export function storeOn(users: UsersDb, details: Record<string, string>): Store {
  return {
    durability: sqliteDurability(users.synchronous),
    details: { synchronous: users.synchronous, ...details, email_lookup: EMAIL_LOOKUP },
    get: (id) => users.find(id),
    findByEmail: (email) => users.findByEmail(email),
    insert: (user) => users.insertAll([user]),
    count: () => users.count(),
    stats: () => ({ sqlite_busy: users.busy }),
    fenced: () => users.fenced(),
    orders: new SqliteOrderBook(users),
    close: () => users.close(),
  };
}
