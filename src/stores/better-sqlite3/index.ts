// better-sqlite3, the SQLite binding most Node developers pick (npm better-sqlite3), run as
// its README has its users run it: WAL mode, and otherwise its own defaults, which in WAL
// mode mean synchronous=NORMAL: a commit survives a crash of the process, and after a power
// loss the last ones may roll back. SQLITE_SYNCHRONOUS=FULL is the setting that keeps them,
// measured beside it. The same users database, schema and orders as `sqlite`.
import { join } from "node:path";
import { DB_FILE, synchronousFrom, UsersDb } from "../../lib/engines/sqlite.ts";
import type { Engine, LabTraits, OpenStore, Simplicity } from "../_types.ts";
import { storeOn } from "../sqlite/index.ts";
import { betterSqlite3 } from "./engine.ts";

export const engine: Engine = { name: "SQLite (npm better-sqlite3)", like: "sqlite" };
export const simplicity: Simplicity = "engine";

export const lab: LabTraits = {
  variants: [{ name: "better-sqlite3-full", env: { SQLITE_SYNCHRONOUS: "FULL" } }],
};

export const processes = {
  many: true,
  why: "SQLite coordinates processes through file locks; better-sqlite3 waits up to 5 s for another's write lock",
};

export const files = [DB_FILE];

export const open: OpenStore = ({ dataDir, env }) => {
  const path = join(dataDir, DB_FILE);
  const synchronous = env.SQLITE_SYNCHRONOUS ? synchronousFrom(env) : undefined;
  const users = new UsersDb(betterSqlite3(path), path, {
    ...(synchronous ? { synchronous } : {}),
    tuned: false,
  });
  return storeOn(users, { journal_mode: "WAL", busy_timeout_ms: "5000, waited inside the call" });
};
