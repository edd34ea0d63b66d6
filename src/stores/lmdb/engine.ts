// LMDB through lmdb-js: a memory-mapped B+tree in one file, shared safely by processes.
// Reads are synchronous lookups in the map. Writes are queued to lmdb-js's writer thread,
// which commits every transaction queued meanwhile together, as one LMDB transaction.
//
// When a write is durable. LMDB's own sync flags stay at their defaults (no MDB_NOSYNC, no
// MDB_NOMETASYNC): a commit fsyncs the data, then writes and fsyncs the meta page that makes
// it visible, before it returns. lmdb-js's "overlapping sync", on by default on Linux, moves
// that fsync after the commit instead, so a write's promise means "visible", and durability
// needs its separate `flushed` promise. Here it is off: then a write is acknowledged when
// its transaction has committed, which is LMDB's own durable commit, and nothing depends on
// lmdb-js deciding after a crash which commits were flushed. (Both ways once measured a
// few hundred writes/s at a million records; that was the free list the old build left,
// not the sync setting: see buildLmdb.) The crash lab checks the claim with power cuts.
//
// The layout, one named database each: users (id -> the user's JSON), emails (email ->
// ids, sorted duplicates), products (id -> JSON with the stock now), orders (id -> JSON) and
// user_orders (user id -> "created_at order_id", sorted duplicates: the join's index).
import { rmSync, statfsSync } from "node:fs";
import { dirname } from "node:path";
import { type Database, open, type RootDatabase } from "lmdb";
import { inBatches } from "../../lib/batches.ts";
import type { Seeded } from "../../lib/engines/seeded.ts";
import { classify, DiskFullError, diskFullMessage, FencedError } from "../../lib/storage-errors.ts";

export const LMDB_FILE = "users.lmdb";
/** LMDB keeps its reader table here, beside the data file: shared memory, not data. */
export const LMDB_LOCK_SUFFIX = "-lock";
/** Named databases in the file; LMDB needs the most there can be when it opens. */
const MAX_DBS = 8;
/** Rows written per transaction while loading the seed. */
const LOAD_ROWS_PER_TXN = 50_000;

export interface LmdbFile {
  root: RootDatabase;
  users: Database<string, string>;
  emails: Database<string, string>;
  products: Database<string, string>;
  orders: Database<string, string>;
  userOrders: Database<string, string>;
}

let ignoringBatchRejections = false;

/**
 * lmdb-js batches every write of one event turn into one transaction. The instruction that
 * starts a batch holds a promise that no one awaits, and a failed commit (a full disk)
 * rejects it; Node then ends the process for the unhandled rejection (the tmpfs full-disk
 * test saw it). Every write's own promise carries the same failure, and LmdbGuard handles
 * that, so these rejections, marked by lmdb-js's `commitError`, are dropped. Any other
 * unhandled rejection still ends the process, as Node's default does.
 *
 * Turning event-turn batching off would avoid the promise, but event-turn batching is
 * lmdb-js's default and the configuration the crash lab measured.
 */
function ignoreBatchRejections(): void {
  if (ignoringBatchRejections) return;
  ignoringBatchRejections = true;
  process.on("unhandledRejection", (reason) => {
    if (typeof reason === "object" && reason !== null && "commitError" in reason) return;
    throw reason;
  });
}

export function openLmdb(path: string): LmdbFile {
  ignoreBatchRejections();
  const root = open({ path, maxDbs: MAX_DBS, overlappingSync: false });
  const db = (name: string, dupSort = false) =>
    root.openDB<string, string>({ name, encoding: "string", dupSort });
  return {
    root,
    users: db("users"),
    emails: db("emails", true),
    products: db("products"),
    orders: db("orders"),
    userOrders: db("user_orders", true),
  };
}

/** The value kept in user_orders for an order: sorts by time, so the last is the newest. */
export const userOrderEntry = (createdAt: string, orderId: string) => `${createdAt} ${orderId}`;
export const orderIdOfEntry = (entry: string) => entry.slice(entry.indexOf(" ") + 1);

/**
 * Loads the seed into a new LMDB file at `path`: into a scratch file first, in transactions
 * of LOAD_ROWS_PER_TXN rows, in the order the users were created, then copied to `path`
 * compacted (mdb_env_copy2 with MDB_CP_COMPACT, what `mdb_copy -c` does), so that the file
 * starts with no free pages and with pages as full as the app's own writes leave them.
 *
 * Why creation order. Ids are random (UUIDv4), so that is random order for the B-tree, as
 * the app's inserts are; its leaves end about two-thirds full. Appending in id order
 * (MDB_APPEND) fills every leaf, and then the app's first random inserts split nearly every
 * leaf they touch: at a million users the first seconds of writes climbed from 4,900 to
 * 9,000/s over 20 s as the splits passed through the tree. Built in creation order, the
 * same 20 s held 5,900 to 6,900/s from the first second.
 *
 * Why the copy. Every transaction of the load copies the pages it changes and frees the old
 * ones (copy-on-write); random inserts into `emails` touch pages all over that tree, so the
 * load left about 43,000 free pages at a million users, a third of the file. LMDB then
 * merges that whole free list into each commit (mdb_freelist_save, mdb_midl_xmerge): a
 * profile of the writer thread had 85% of its time in mdb_midl_insert, and the first seconds
 * of writes ran at 200 to 900/s, climbing as the free list was used up. On the compacted
 * copy (337 MB instead of 501) the first two seconds ran at 6,700 writes/s.
 */
export async function buildLmdb(path: string, seeded: Seeded): Promise<void> {
  const scratch = `${path}.load`;
  const f = openLmdb(scratch);
  try {
    const { users, products, orders } = seeded;
    for (const batch of inBatches(users, LOAD_ROWS_PER_TXN)) {
      f.root.transactionSync(() => {
        for (const { user, json } of batch) {
          f.users.putSync(user.id, json);
          f.emails.putSync(user.email, user.id);
        }
      });
    }
    f.root.transactionSync(() => {
      for (const p of products) f.products.putSync(p.id, JSON.stringify(p));
      for (const o of orders) {
        f.orders.putSync(o.id, JSON.stringify(o));
        f.userOrders.putSync(o.user_id, userOrderEntry(o.created_at, o.id));
      }
    });
    await f.root.backup(path, true);
  } finally {
    await f.root.close();
    for (const leftover of [scratch, `${scratch}${LMDB_LOCK_SUFFIX}`, `${path}${LMDB_LOCK_SUFFIX}`])
      rmSync(leftover, { force: true });
  }
}

/** errno values LMDB reports as its error code: ENOSPC and EDQUOT, the disk is full. */
const FULL_ERRNO = new Set([28, 122]);
const EIO_ERRNO = 5;
/** A filesystem with less room than this counts as full: less than a few LMDB pages. */
const FULL_BELOW_BYTES = 64 * 1024;
/** LMDB's own code for a map that cannot grow. */
const MDB_MAP_FULL = -30792;
/**
 * LMDB's code once a write of its meta page failed: the environment is dead, for reads as
 * well, until it is opened again (a restart).
 */
const MDB_PANIC = -30795;

/**
 * The error a failed commit stands for. lmdb-js rejects each write of a failed transaction
 * with "Commit failed", and the cause (LMDB's code, an errno or one of its own) in the
 * promise `commitError`.
 */
async function causeOf(err: unknown): Promise<unknown> {
  const commitError = (err as { commitError?: Promise<unknown> }).commitError;
  if (!commitError) return err;
  return commitError.then(
    () => err,
    (cause: unknown) => cause,
  );
}

/**
 * Every read and write of the LMDB stores goes through this guard. `commit` runs `write`
 * (puts into f's databases) in the next transaction, and resolves once that transaction is
 * committed, which includes its fsync. A write that fails is translated: a full disk is a DiskFullError
 * (LMDB writes a transaction's pages copy-on-write and switches to them only in its last
 * step, so a transaction that fails leaves the file as it was and the next may succeed);
 * any other failure fences the file, since after a failed flush it is unknown what reached
 * the disk.
 */
export class LmdbGuard {
  #fenced: string | undefined;
  readonly #root: RootDatabase;
  readonly #dir: string;
  constructor(root: RootDatabase, path: string) {
    this.#root = root;
    this.#dir = dirname(path);
  }

  fenced = () => this.#fenced;

  /**
   * Runs a read. Reads fail only after LMDB's fatal error (MDB_PANIC); that fences the store
   * and the read gets a FencedError (503, "restart to recover") rather than a bare 500.
   */
  read<T>(read: () => T): T {
    try {
      return read();
    } catch (err) {
      // lmdb-js reports it with LMDB's code, or on some paths inside an "Invalid argument".
      const { code, message } = err as { code?: unknown; message?: unknown };
      if (code !== MDB_PANIC && !String(message).includes("MDB_PANIC")) throw err;
      this.#fenced ??= `LMDB's environment had a fatal error (${(err as Error).message})`;
      throw new FencedError(this.#fenced);
    }
  }

  #diskFull(): boolean {
    try {
      const fs = statfsSync(this.#dir);
      return fs.bavail * fs.bsize < FULL_BELOW_BYTES;
    } catch {
      return false;
    }
  }

  async commit<T>(write: () => T): Promise<T> {
    if (this.#fenced) throw new FencedError(this.#fenced);
    try {
      // With overlapping sync off, the commit has fsynced before this resolves.
      return await this.#root.transaction(write);
    } catch (err) {
      throw this.#translate(await causeOf(err));
    }
  }

  #translate(cause: unknown): Error {
    if (cause instanceof FencedError) return cause;
    const code = (cause as { code?: unknown }).code;
    if (classify(cause) === "full" || FULL_ERRNO.has(code as number) || code === MDB_MAP_FULL)
      return new DiskFullError(diskFullMessage(LMDB_FILE));
    // LMDB reports a short write as EIO, and a write comes up short when the disk fills
    // part way through it (seen on a full tmpfs). The data pages of a transaction that
    // failed there were never made live (a failed meta page write is MDB_PANIC instead), so
    // the next transaction may pass once there is space: when the disk is full now, this
    // EIO is the full disk. A failed fsync on a disk with room still fences.
    if (code === EIO_ERRNO && this.#diskFull())
      return new DiskFullError(diskFullMessage(LMDB_FILE));
    this.#fenced ??= `LMDB could not write ${LMDB_FILE}: ${(cause as Error).message}`;
    return new FencedError(this.#fenced);
  }
}
