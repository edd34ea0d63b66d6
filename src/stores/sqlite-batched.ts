// The course's fast-but-lying store. A write is acknowledged as soon as it is in a memory
// buffer; the buffer goes to SQLite in one transaction when it holds FLUSH_SIZE rows or
// every FLUSH_INTERVAL_MS. A graceful stop flushes it; a SIGKILL or a crash loses it.

import { join } from "node:path";
import { ORDERS_ALTERNATIVES } from "../lib/order.ts";
import { DB_FILE, EMAIL_LOOKUP, synchronousFrom, UsersDb } from "../lib/sqlite.ts";
import { DiskFullError, FencedError } from "../lib/storage-errors.ts";
import type { User } from "../lib/user.ts";
import type { OpenStore } from "./_types.ts";

export const FLUSH_SIZE = 100;
export const FLUSH_INTERVAL_MS = 50;

export const processes = {
  many: false,
  why: "each process buffers its own unflushed writes, so for up to 50 ms a user exists in one process and not the others",
};

export const files = [DB_FILE];

export const open: OpenStore = ({ dataDir, env, log }) => {
  const users = new UsersDb(join(dataDir, DB_FILE), synchronousFrom(env));
  // Acknowledged but not yet in SQLite. Reads look here first, or a user would 404 for up
  // to FLUSH_INTERVAL_MS after its 201.
  let pending = new Map<string, User>();
  // Batches taken from `pending` whose transaction waits for another process's lock.
  const flushing = new Map<Map<string, User>, Promise<void>>();

  // Set while SQLite cannot take the buffered rows for lack of space.
  let full: DiskFullError | undefined;

  function failed(batch: Map<string, User>, err: unknown): void {
    if (err instanceof DiskFullError) {
      // The rows were acknowledged, so they are kept and go out with the next flush, once
      // space returns; new writes are refused (507) meanwhile rather than piled up.
      if (!full) log(`sqlite-batched: ${err.message}; holding ${batch.size} rows until it is`);
      full = err;
      pending = new Map([...batch, ...pending]);
      return;
    }
    // The clients were told these rows exist. All we can do is say loudly that they don't.
    log(`sqlite-batched: lost ${batch.size} acknowledged rows: ${(err as Error).message}`);
  }

  function flush(): Promise<void> | undefined {
    if (pending.size === 0) return;
    const batch = pending;
    pending = new Map();
    try {
      const done = users.insertAll(batch.values());
      if (!done) {
        full = undefined;
        return;
      }
      const settled = done
        .then(() => {
          full = undefined;
        })
        .catch((err) => failed(batch, err))
        .finally(() => flushing.delete(batch));
      flushing.set(batch, settled);
      return settled;
    } catch (err) {
      failed(batch, err);
    }
  }

  function waiting(id: string): User | undefined {
    const user = pending.get(id);
    if (user) return user;
    for (const batch of flushing.keys()) if (batch.has(id)) return batch.get(id);
  }

  const timer = setInterval(flush, FLUSH_INTERVAL_MS);

  return {
    durability: {
      survives: "nothing",
      claim: `Loses up to ${FLUSH_INTERVAL_MS} ms of acknowledged writes on a crash: they wait in memory for the next batch.`,
    },
    details: {
      synchronous: users.synchronous,
      flush_size: FLUSH_SIZE,
      flush_interval_ms: FLUSH_INTERVAL_MS,
      email_lookup: `${EMAIL_LOOKUP}, then the rows not yet flushed`,
    },
    // Rows acknowledged but not yet in SQLite must be found too, or a user would be missing
    // for up to a flush interval after its 201. They are taken first: a flush that lands
    // while SQLite is queried then finds them in both places, and they are kept once.
    async findByEmail(email) {
      const unflushed = [...flushing.keys(), pending].flatMap((batch) =>
        [...batch.values()].filter((u) => u.email === email),
      );
      const stored = await users.findByEmail(email);
      const seen = new Set(stored.map((json) => (JSON.parse(json) as User).id));
      return [...stored, ...unflushed.filter((u) => !seen.has(u.id)).map((u) => JSON.stringify(u))];
    },
    get(id) {
      const user = waiting(id);
      return user ? JSON.stringify(user) : users.find(id);
    },
    insert(user) {
      if (full) throw full;
      const fence = users.fenced();
      if (fence) throw new FencedError(fence);
      pending.set(user.id, user);
      if (pending.size >= FLUSH_SIZE) flush();
    },
    async count() {
      let unflushed = pending.size;
      for (const batch of flushing.keys()) unflushed += batch.size;
      return (await users.count()) + unflushed;
    },
    stats: () => ({ sqlite_busy: users.busy }),
    fenced: () => users.fenced(),
    orders: {
      unsupported: `sqlite-batched acknowledges writes before they reach SQLite, so an order could not check the stock that earlier, still-buffered orders took; ${ORDERS_ALTERNATIVES}`,
    },
    async close() {
      clearInterval(timer);
      await flush();
      await Promise.all(flushing.values());
      if (pending.size > 0)
        log(`sqlite-batched: lost ${pending.size} acknowledged rows at the stop: ${full?.message}`);
      users.close();
    },
  };
};
