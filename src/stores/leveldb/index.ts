// LevelDB (npm `classic-level`), the engine behind the idea of our `lsm` store: a log, a
// memtable, sorted tables and compaction, written in C++ and tuned for years. A user is one
// batch, synced; a read is one synchronous lookup (`getSync`), the memtable first.
import { join } from "node:path";
import { prepareFromSeed } from "../../lib/engines/seeded.ts";
import { oldestFirst } from "../../lib/user.ts";
import type { Engine, OpenStore, Simplicity, StoreModule } from "../_types.ts";
import { buildLevelDb, keys, LEVELDB_DIR, openLevel, SyncedWriter, userPuts } from "./engine.ts";
import { LevelOrderBook } from "./orders.ts";

export const engine: Engine = { name: "LevelDB (npm classic-level)", like: "lsm" };

export const simplicity: Simplicity = "engine";

export const processes = {
  many: false,
  why: "LevelDB lets one process at a time open a database (its LOCK file); a second process cannot even start",
};

export const files = [LEVELDB_DIR];

export const prepare: StoreModule["prepare"] = prepareFromSeed(
  "leveldb",
  LEVELDB_DIR,
  buildLevelDb,
);

export const open: OpenStore = async ({ dataDir }) => {
  const db = await openLevel(join(dataDir, LEVELDB_DIR));
  const writer = new SyncedWriter(db);
  // LevelDB keeps no count: the users are counted once here (about a second at a million).
  let users = 0;
  for await (const _ of db.keys(keys.within("u:"))) users++;
  return {
    durability: {
      survives: "power-loss",
      claim:
        "Survives a power loss: each write is a batch with sync: true, fsynced into LevelDB's log before it is acknowledged.",
    },
    details: { email_lookup: "second keys, email then id, written in the same batch" },
    get: (id) => db.getSync(keys.user(id)),
    async findByEmail(email) {
      const found = await db.values(keys.within(keys.email(email, ""))).all();
      return found.sort(oldestFirst);
    },
    async insert(user, json) {
      await writer.write(userPuts(user.id, user.email, json));
      users++;
    },
    count: () => users,
    fenced: writer.fenced,
    orders: new LevelOrderBook(db, writer),
    close: () => db.close(),
  };
};
