// Group commit on SQLite: what sqlite-batched does for speed, without the lie. Writes queue
// up and are committed together in one transaction, so one WAL fsync (synchronous=FULL)
// covers them all; each write is acknowledged only after that COMMIT returns.
//
// node:sqlite's COMMIT blocks the event loop while SQLite fsyncs, and requests keep
// arriving on the network meanwhile. The next batch is started only after the event loop
// has read them (GroupCommit's "after-io"), so a busy server commits many rows per fsync and
// an idle one commits a lone row at once.
//
// A worker thread that owns the write connection would keep the event loop free during the
// fsync. Measured on this project's 2-core machine (wrk -t1 -c50, 1,000 records, two runs
// each): writes 22.4-23.3k/s with a worker against 22.5-23.8k/s without, mixed 30-35k/s
// both ways, with a slightly worse p99 for the worker. With the load generator on one core,
// a worker only competes with the main thread for the other, so it does not pay off here.
//
// At a million records a row costs SQLite about three times what it would with time-ordered
// ids, and the bytes it writes per row grow most (bench: 10.6 KB a write at 10,000 records,
// 61 KB at 1,000,000). The cause is the id, not the commit. The course's ids are random
// UUIDs, so each new row lands on a random leaf of the id index: that leaf goes to the WAL
// at the commit and to the database at the next checkpoint. Measured in process (UsersDb.insertAll, batches
// of 44 rows as the bench's 50 connections give, a copy of the seeded 1M database): 9.5 µs
// user + 23 µs system CPU and 60 KB written per row with random ids; 4.7 + 5.9 µs and 1.8 KB
// with time-ordered ids. A perf profile put 26% of the process in checkpoints and 24% in
// writing commit frames. Time-ordered ids (UUIDv7) would change what the API hands out, so
// the course's ids stay; a larger checkpoint threshold (16 MB: 11.2 + 19.7 µs) buys less.
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
import { GroupCommit } from "../../lib/group-commit.ts";
import type { User } from "../../lib/user.ts";
import type { OpenStore, Simplicity } from "../_types.ts";

/** Rows in one transaction. */
const MAX_BATCH_ROWS = 1024;
/** Rows waiting for a commit before new writes get 503 with Retry-After. */
const MAX_QUEUE_ROWS = 16_384;

export const simplicity: Simplicity = "sqlite";
export const settings = { SQLITE_SYNCHRONOUS: "FULL" };

export const processes = {
  many: true,
  why: "each batch is one SQLite transaction, and a write is acknowledged only once committed where every process sees it",
};

export const files = [DB_FILE];

export const open: OpenStore = ({ dataDir, env }) => {
  const users = new UsersDb(nodeSqlite(join(dataDir, DB_FILE)), join(dataDir, DB_FILE), {
    synchronous: synchronousFrom(env),
    tuned: true,
  });
  const committer = new GroupCommit<User>((batch) => users.insertAll(batch), {
    maxBatch: MAX_BATCH_ROWS,
    maxQueue: MAX_QUEUE_ROWS,
    start: "after-io",
  });
  const durability = sqliteDurability(users.synchronous);
  return {
    durability: {
      survives: durability.survives,
      claim: `${durability.claim} Rows that arrive together share one commit.`,
    },
    details: {
      synchronous: users.synchronous,
      journal_mode: "WAL",
      email_lookup: EMAIL_LOOKUP,
      max_batch_rows: MAX_BATCH_ROWS,
    },
    get: (id) => users.find(id),
    findByEmail: (email) => users.findByEmail(email),
    insert: (user) => committer.submit(user),
    count: () => users.count(),
    stats: () => ({ ...committer.report(), sqlite_busy: users.busy }),
    fenced: () => users.fenced() ?? committer.fenced(),
    // An order is one transaction of its own, not grouped: it must see the stock as every
    // earlier order left it, and group commit acknowledges only what has been committed.
    orders: new SqliteOrderBook(users),
    async close() {
      await committer.drain();
      users.close();
    },
  };
};
