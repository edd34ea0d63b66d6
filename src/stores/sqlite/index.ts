// SQLite as the baseline: node:sqlite in WAL mode, one row and one transaction per request.
// Each write is a BEGIN IMMEDIATE transaction, so a second process holding the lock makes
// it wait (without blocking other requests) rather than fail; GET /health counts the waits.
// Whether a commit survives a power loss depends on the synchronous level; see lib/engines/sqlite.ts.
import { join } from "node:path";
import {
  DB_FILE,
  EMAIL_LOOKUP,
  type Synchronous,
  synchronousFrom,
  UsersDb,
} from "../../lib/engines/sqlite.ts";
import { SqliteOrderBook } from "../../lib/engines/sqlite-orders.ts";
import type { Durability, LabTraits, OpenStore, Simplicity } from "../_types.ts";

export function sqliteDurability(synchronous: Synchronous): Durability {
  return synchronous === "FULL"
    ? {
        survives: "power-loss",
        claim: "Survives a power loss: synchronous=FULL fsyncs the WAL at every commit.",
      }
    : {
        survives: "process-crash",
        claim:
          "Survives a process crash; after a power loss the last commits may roll back (synchronous=NORMAL).",
      };
}

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
  const users = new UsersDb(join(dataDir, DB_FILE), synchronousFrom(env));
  return {
    durability: sqliteDurability(users.synchronous),
    details: { synchronous: users.synchronous, journal_mode: "WAL", email_lookup: EMAIL_LOOKUP },
    get: (id) => users.find(id),
    findByEmail: (email) => users.findByEmail(email),
    insert: (user) => users.insertAll([user]),
    count: () => users.count(),
    stats: () => ({ sqlite_busy: users.busy }),
    fenced: () => users.fenced(),
    orders: new SqliteOrderBook(users),
    close: () => users.close(),
  };
};
