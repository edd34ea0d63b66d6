// The course's fast-but-lying store. A write is acknowledged as soon as it is in a memory
// buffer; the buffer goes to SQLite in one transaction when it holds FLUSH_SIZE rows or
// every FLUSH_INTERVAL_MS. A graceful stop flushes it; a SIGKILL or a crash loses it.

import { join } from "node:path";
import {
  DB_FILE,
  EMAIL_LOOKUP,
  nodeSqlite,
  synchronousFrom,
  UsersDb,
} from "../../lib/engines/sqlite.ts";
import { DiskFullError, FencedError } from "../../lib/storage-errors.ts";
import type { User } from "../../lib/user.ts";
import type { OpenStore, Simplicity } from "../_types.ts";

export const FLUSH_SIZE = 100;
export const FLUSH_INTERVAL_MS = 50;

export const simplicity: Simplicity = "sqlite";
export const settings = { SQLITE_SYNCHRONOUS: "FULL" };

export const ordersUnsupported =
  "sqlite-batched acknowledges writes before they reach SQLite, so an order could not check the stock that earlier, still-buffered orders took";

export const processes = {
  many: false,
  why: "each process buffers its own unflushed writes, so for up to 50 ms a user exists in one process and not the others",
};

export const files = [DB_FILE];

/**
 * Rows acknowledged but not yet in SQLite: `pending` fills until the next flush takes it
 * whole; a batch whose transaction waits for another process's lock stays in `flushing`
 * until it lands. Reads look in both first, or a user would 404 for up to
 * FLUSH_INTERVAL_MS after its 201.
 */
class WriteBuffer {
  private pending = new Map<string, User>();
  private readonly flushing = new Map<Map<string, User>, Promise<void>>();
  /** Set while SQLite cannot take the buffered rows for lack of space. */
  full: DiskFullError | undefined;

  private readonly users: UsersDb;
  private readonly log: (message: string) => void;

  constructor(users: UsersDb, log: (message: string) => void) {
    this.users = users;
    this.log = log;
  }

  add(user: User): void {
    if (this.full) throw this.full;
    const fence = this.users.fenced();
    if (fence) throw new FencedError(fence);
    this.pending.set(user.id, user);
    if (this.pending.size >= FLUSH_SIZE) this.flush();
  }

  find(id: string): User | undefined {
    const user = this.pending.get(id);
    if (user) return user;
    for (const batch of this.flushing.keys()) if (batch.has(id)) return batch.get(id);
  }

  withEmail(email: string): User[] {
    return [...this.flushing.keys(), this.pending].flatMap((batch) =>
      [...batch.values()].filter((u) => u.email === email),
    );
  }

  get size(): number {
    let n = this.pending.size;
    for (const batch of this.flushing.keys()) n += batch.size;
    return n;
  }

  flush(): Promise<void> | undefined {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    try {
      const done = this.users.insertAll(batch.values());
      if (!done) {
        this.full = undefined;
        return;
      }
      const settled = done
        .then(() => {
          this.full = undefined;
        })
        .catch((err) => this.failed(batch, err))
        .finally(() => this.flushing.delete(batch));
      this.flushing.set(batch, settled);
      return settled;
    } catch (err) {
      this.failed(batch, err);
    }
  }

  /** Flushes what is buffered and waits for every batch; returns the rows still not in SQLite. */
  async drain(): Promise<number> {
    await this.flush();
    await Promise.all(this.flushing.values());
    return this.pending.size;
  }

  private failed(batch: Map<string, User>, err: unknown): void {
    if (err instanceof DiskFullError) {
      // The rows were acknowledged, so they are kept and go out with the next flush, once
      // space returns; new writes are refused (507) meanwhile rather than piled up.
      if (!this.full)
        this.log(`sqlite-batched: ${err.message}; holding ${batch.size} rows until it is`);
      this.full = err;
      this.pending = new Map([...batch, ...this.pending]);
      return;
    }
    // The clients were told these rows exist. All we can do is say loudly that they don't.
    this.log(`sqlite-batched: lost ${batch.size} acknowledged rows: ${(err as Error).message}`);
  }
}

export const open: OpenStore = ({ dataDir, env, log }) => {
  const users = new UsersDb(nodeSqlite(join(dataDir, DB_FILE)), join(dataDir, DB_FILE), {
    synchronous: synchronousFrom(env),
    tuned: true,
  });
  const buffer = new WriteBuffer(users, log);
  const timer = setInterval(() => buffer.flush(), FLUSH_INTERVAL_MS);

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
    // Rows acknowledged but not yet in SQLite must be found too. They are taken first: a
    // flush that lands while SQLite is queried then finds them in both places, and they are
    // kept once.
    async findByEmail(email) {
      const unflushed = buffer.withEmail(email);
      const stored = await users.findByEmail(email);
      const seen = new Set(stored.map((json) => (JSON.parse(json) as User).id));
      return [...stored, ...unflushed.filter((u) => !seen.has(u.id)).map((u) => JSON.stringify(u))];
    },
    get(id) {
      const user = buffer.find(id);
      return user ? JSON.stringify(user) : users.find(id);
    },
    insert: (user) => buffer.add(user),
    async count() {
      const unflushed = buffer.size; // before the count, so a flush meanwhile is not counted twice
      return (await users.count()) + unflushed;
    },
    stats: () => ({ sqlite_busy: users.busy }),
    fenced: () => users.fenced(),
    orders: {
      unsupported: ordersUnsupported,
    },
    async close() {
      clearInterval(timer);
      const lost = await buffer.drain();
      if (lost > 0)
        log(`sqlite-batched: lost ${lost} acknowledged rows at the stop: ${buffer.full?.message}`);
      users.close();
    },
  };
};
