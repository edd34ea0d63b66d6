// LMDB (npm `lmdb`), the engine a Node developer might pick instead of our stores: a
// memory-mapped B+tree, safe across processes, with batched durable commits. A user is one
// transaction writing users and emails; a read is one lookup in the map, no I/O.
import { join } from "node:path";
import { prepareFromSeed } from "../../lib/engines/seeded.ts";
import { oldestFirst } from "../../lib/user.ts";
import type { Engine, OpenStore, Simplicity, StoreModule } from "../_types.ts";
import { buildLmdb, LMDB_FILE, LMDB_LOCK_SUFFIX, LmdbGuard, openLmdb } from "./engine.ts";
import { LmdbOrderBook } from "./orders.ts";

export const engine: Engine = { name: "LMDB (npm lmdb)" };

export const simplicity: Simplicity = "engine";

export const processes = {
  many: true,
  why: "LMDB's lock file gives the processes one writer at a time and every reader the latest commit",
};

export const files = [LMDB_FILE];

export const prepare: StoreModule["prepare"] = prepareFromSeed("lmdb", LMDB_FILE, buildLmdb, [
  LMDB_LOCK_SUFFIX,
]);

export const open: OpenStore = ({ dataDir }) => {
  const path = join(dataDir, LMDB_FILE);
  const f = openLmdb(path);
  const guard = new LmdbGuard(f.root, path);
  return {
    durability: {
      survives: "power-loss",
      claim:
        "Survives a power loss: a write is acknowledged once the transaction holding it has committed, and LMDB fsyncs before a commit returns (lmdb-js's overlapping sync is off).",
    },
    details: {
      email_lookup: "a second LMDB database, email to ids, written in the same transaction",
      sync: "LMDB's default: fsync at every commit (lmdb-js's overlappingSync off)",
    },
    get: (id) => guard.read(() => f.users.get(id)),
    findByEmail: (email) =>
      guard.read(() =>
        [...f.emails.getValues(email)].flatMap((id) => f.users.get(id) ?? []).sort(oldestFirst),
      ),
    insert: (user, json) =>
      guard.commit(() => {
        f.users.put(user.id, json);
        f.emails.put(user.email, user.id);
      }),
    count: () => guard.read(() => (f.users.getStats() as { entryCount: number }).entryCount),
    fenced: guard.fenced,
    orders: new LmdbOrderBook(f, guard),
    close: () => f.root.close(),
  };
};
