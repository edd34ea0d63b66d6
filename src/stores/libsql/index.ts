// libsql, Turso's fork of SQLite (npm libsql), run with its defaults: WAL mode keeps
// synchronous=FULL, so a commit survives a power loss. Its busy timeout of 0 would answer a
// second process's lock with an error; the store waits it out on a timer instead, as `sqlite`
// does. The same users database, schema and orders as `sqlite`.
import { join } from "node:path";
import { DB_FILE, synchronousFrom, UsersDb } from "../../lib/engines/sqlite.ts";
import type { Engine, OpenStore, Simplicity } from "../_types.ts";
import { storeOn } from "../sqlite/index.ts";
import { libsql } from "./engine.ts";

export const engine: Engine = { name: "SQLite (npm libsql)", like: "sqlite" };
export const simplicity: Simplicity = "engine";

export const processes = {
  many: true,
  why: "SQLite coordinates processes through file locks; the store waits out another's write lock on a timer",
};

export const files = [DB_FILE];

export const open: OpenStore = ({ dataDir, env }) => {
  const path = join(dataDir, DB_FILE);
  const synchronous = env.SQLITE_SYNCHRONOUS ? synchronousFrom(env) : undefined;
  const users = new UsersDb(libsql(path), path, {
    ...(synchronous ? { synchronous } : {}),
    tuned: false,
  });
  return storeOn(users, { journal_mode: "WAL" });
};
