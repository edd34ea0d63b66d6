// LevelDB through classic-level: the LSM tree that the `lsm` store reinvents, in one
// directory that one process at a time may open (its LOCK file). One ordered key space,
// split by prefix:
//
//   u:<id>                                 the user's JSON
//   e:<email> NUL <id>                     the same JSON again, for lookups by email
//   p:<id>                                 the product's JSON, with its stock now
//   o:<id>                                 the order's JSON
//   uo:<user id> NUL <created_at> NUL <id> nothing: the join's index, oldest order first
//
// NUL cannot occur in an email or an id (the API refuses it), so it ends each part.
//
// When a write is durable: a batch written with `sync: true` is fsynced into LevelDB's log
// before its promise resolves (the default, `sync: false`, leaves it in the page cache).
// A failed log write is not taken back: LevelDB may have appended part of a record, and
// what it appends next lands after that part. So the first failed write fences the store;
// a restart recovers the log up to its last whole record and starts a new one.
import { ClassicLevel } from "classic-level";
import { inBatches } from "../../lib/batches.ts";
import type { Seeded } from "../../lib/engines/seeded.ts";
import { classify, FencedError } from "../../lib/storage-errors.ts";

export const LEVELDB_DIR = "users.leveldb";
/** Rows written per batch while loading the seed. */
const LOAD_ROWS_PER_BATCH = 20_000;

export type Level = ClassicLevel<string, string>;

export const keys = {
  user: (id: string) => `u:${id}`,
  email: (email: string, id: string) => `e:${email}\0${id}`,
  product: (id: string) => `p:${id}`,
  order: (id: string) => `o:${id}`,
  userOrder: (userId: string, createdAt: string, orderId: string) =>
    `uo:${userId}\0${createdAt}\0${orderId}`,
  userOrders: (userId: string) => `uo:${userId}\0`,
  /** Every key that starts with `prefix`, as an iterator's range. */
  within: (prefix: string) => ({ gte: prefix, lt: `${prefix}\uffff` }),
};

export type Put = { type: "put"; key: string; value: string };
const put = (key: string, value: string): Put => ({ type: "put", key, value });

/** The puts that store one user. */
export function userPuts(id: string, email: string, json: string): Put[] {
  return [put(keys.user(id), json), put(keys.email(email, id), json)];
}

export async function openLevel(path: string): Promise<Level> {
  const db = new ClassicLevel<string, string>(path);
  try {
    await db.open();
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause;
    if (cause?.code === "LEVEL_LOCKED")
      throw new Error(
        `${path} is open in another process or thread (LevelDB's LOCK file): LevelDB serves one opener at a time. Stop the other server first.`,
      );
    throw err;
  }
  return db;
}

/** Loads the seed into a new LevelDB at `path`, then compacts it, as a long-lived one would be. */
export async function buildLevelDb(path: string, seeded: Seeded): Promise<void> {
  const db = await openLevel(path);
  try {
    for (const batch of inBatches(seeded.users, LOAD_ROWS_PER_BATCH))
      await db.batch(batch.flatMap(({ user, json }) => userPuts(user.id, user.email, json)));
    const puts: Put[] = seeded.products.map((p) => put(keys.product(p.id), JSON.stringify(p)));
    for (const o of seeded.orders) {
      puts.push(put(keys.order(o.id), JSON.stringify(o)));
      puts.push(put(keys.userOrder(o.user_id, o.created_at, o.id), ""));
    }
    for (const batch of inBatches(puts, LOAD_ROWS_PER_BATCH)) await db.batch(batch);
    await db.compactRange("", "\uffff");
  } finally {
    await db.close();
  }
}

/** Writes batches with `sync: true`; the first that fails fences every later one. */
export class SyncedWriter {
  #fenced: string | undefined;
  readonly #db: Level;
  constructor(db: Level) {
    this.#db = db;
  }

  fenced = () => this.#fenced;

  async write(puts: Put[]): Promise<void> {
    if (this.#fenced) throw new FencedError(this.#fenced);
    try {
      await this.#db.batch(puts, { sync: true });
    } catch (err) {
      const cause = (err as { cause?: unknown }).cause ?? err;
      const what =
        classify(cause) === "full" || /No space left/.test(String(cause))
          ? "the disk is full"
          : String((cause as Error).message ?? cause);
      this.#fenced ??= `LevelDB could not write its log in ${LEVELDB_DIR} (${what}), and cannot take back a part-written record`;
      throw new FencedError(this.#fenced);
    }
  }
}
