import { statSync } from "node:fs";
import { DatabaseSync } from "node:sqlite";
import { setTimeout as sleep } from "node:timers/promises";
import {
  classify,
  DiskFullError,
  describe,
  diskFullMessage,
  FencedError,
  OverloadedError,
} from "../storage-errors.ts";
import type { User } from "../user.ts";

export const DB_FILE = "users.db";

/**
 * How long a request waits for another process's write lock before it gets 503. SQLite's
 * own busy timeout would wait by sleeping inside the call, which blocks the event loop and
 * every other request with it, and it cannot tell anyone how often it waited. So the
 * connection's timeout stays 0: SQLite answers SQLITE_BUSY at once, and UsersDb waits
 * between attempts on a timer, counts each SQLITE_BUSY, and gives up after this long.
 */
export const BUSY_TIMEOUT_MS = 5_000;
/** The first wait after SQLITE_BUSY; each further one doubles, up to BUSY_MAX_WAIT_MS. */
const BUSY_FIRST_WAIT_MS = 1;
const BUSY_MAX_WAIT_MS = 32;

/**
 * With WAL, FULL fsyncs the log at every commit: a commit survives a power loss, and the
 * rate is bounded by the disk's fsync latency. NORMAL fsyncs only at checkpoints: a commit
 * survives a process crash but the last ones may roll back after a power loss. FULL is
 * node:sqlite's default, so it is what the course measured; SQLITE_SYNCHRONOUS=NORMAL
 * chooses the other side of the trade-off.
 */
export type Synchronous = "FULL" | "NORMAL";

/** What a connection runs at: PRAGMA synchronous's answer, as a name. */
export type SyncLevel = "OFF" | "NORMAL" | "FULL" | "EXTRA";
const SYNC_LEVELS: readonly SyncLevel[] = ["OFF", "NORMAL", "FULL", "EXTRA"];

/**
 * What an acknowledged commit survives at a synchronous level, in WAL mode: FULL (and EXTRA)
 * fsyncs the WAL at every commit; NORMAL only at checkpoints, so the last commits may roll
 * back after a power loss; OFF never, so only a crash of the process is survived.
 */
export function sqliteDurability(level: SyncLevel): {
  survives: "power-loss" | "process-crash";
  claim: string;
} {
  return level === "FULL" || level === "EXTRA"
    ? {
        survives: "power-loss",
        claim: `Survives a power loss: synchronous=${level} fsyncs the WAL at every commit.`,
      }
    : {
        survives: "process-crash",
        claim: `Survives a process crash; after a power loss the last commits may roll back (synchronous=${level}).`,
      };
}

/** A prepared statement, as every binding here has one. */
export interface SqliteStatement {
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  run(...params: unknown[]): unknown;
}

/**
 * What UsersDb and SqliteOrderBook need of a SQLite binding. node:sqlite's is below; the
 * engines from npm (better-sqlite3, libsql) bring their own, beside their stores.
 */
export interface SqliteConnection {
  exec(sql: string): void;
  prepare(sql: string): SqliteStatement;
  /** The same, with each row as an array of its columns. */
  prepareArrays(sql: string): SqliteStatement;
  inTransaction(): boolean;
  close(): void;
}

/** node:sqlite, Node's own: a busy timeout of 0, so that SQLITE_BUSY comes back at once. */
export function nodeSqlite(path: string): SqliteConnection {
  const db = new DatabaseSync(path, { timeout: 0 });
  return {
    exec: (sql) => db.exec(sql),
    prepare: (sql) => db.prepare(sql) as unknown as SqliteStatement,
    prepareArrays(sql) {
      const stmt = db.prepare(sql);
      stmt.setReturnArrays(true);
      return stmt as unknown as SqliteStatement;
    },
    inTransaction: () => db.isTransaction,
    close: () => db.close(),
  };
}

/** How UsersDb sets a connection up: with our tuning (see below), or as the engine comes. */
export interface UsersDbOptions {
  /** Set PRAGMA synchronous to this; left out, the engine's own default stands. */
  synchronous?: Synchronous;
  /**
   * Ours: a memory map for reads, and checkpoints UsersDb runs itself so that their errors are
   * seen. Off: only WAL, as an engine's README has its users run it.
   */
  tuned: boolean;
}

export function synchronousFrom(env: Record<string, string | undefined>): Synchronous {
  const value = (env.SQLITE_SYNCHRONOUS ?? "FULL").toUpperCase();
  if (value === "FULL" || value === "NORMAL") return value;
  throw new Error(`SQLITE_SYNCHRONOUS must be FULL or NORMAL, not "${env.SQLITE_SYNCHRONOUS}"`);
}

/**
 * SQLite reads the database through a memory map of up to this size instead of one read(2)
 * per page. Measured at 1M records (166 MB), point reads served ~13% more requests per
 * second. Writes still go through the WAL with write(2) and fsync, so durability is the same.
 * RSS then counts the mapped pages that reads touched.
 */
export const MMAP_SIZE_BYTES = 1 << 30;

/**
 * The WAL is checkpointed into the database once it is this large (SQLite's own automatic
 * checkpoint is at 1,000 pages, about this). UsersDb runs the checkpoints itself, because
 * SQLite ignores the errors of its automatic ones: measured in the crash lab, an fsync of
 * the database that failed during one (EIO) went unnoticed, the next checkpoint's fsync
 * "succeeded", SQLite reset the WAL, and a power cut then left 390 acknowledged rows
 * corrupt. A checkpoint UsersDb runs reports its error, and an I/O error fences the store.
 */
const CHECKPOINT_WAL_BYTES = 4 * 1024 * 1024;

export const USERS_TABLE = `
  CREATE TABLE IF NOT EXISTS users (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    created_at TEXT NOT NULL
  )`;
/** The second lookup field's index. A bulk load (the seed) builds it after the rows, sorted. */
export const USERS_EMAIL_INDEX = "CREATE INDEX IF NOT EXISTS users_by_email ON users (email)";
export const USERS_SCHEMA = `${USERS_TABLE};\n${USERS_EMAIL_INDEX}`;

/** What GET /health says of how SQLite finds users by email. */
export const EMAIL_LOOKUP = "CREATE INDEX users_by_email ON users (email)";

const SQLITE_BUSY = 5;
/** Between attempts at a busy start-up step. */
const BUSY_RETRY_MS = 10;

/** SQLITE_BUSY, as node:sqlite (errcode) or better-sqlite3 and libsql (code) say it. */
function isBusy(err: unknown): boolean {
  const e = err as { errcode?: number; code?: unknown };
  return (
    (e.errcode ?? 0) % 256 === SQLITE_BUSY ||
    (typeof e.code === "string" && e.code.startsWith("SQLITE_BUSY"))
  );
}

/**
 * The connection's synchronous level. Read after a transaction: some bindings (better-sqlite3)
 * set their compiled-in WAL default only once the first one has run, and answer the general
 * default before it.
 */
function syncLevelOf(db: SqliteConnection): SyncLevel {
  retryWhileBusy(() => {
    db.exec("BEGIN");
    db.prepareArrays("SELECT count(*) FROM users").get();
    db.exec("COMMIT");
  });
  const [level] = db.prepareArrays("PRAGMA synchronous").get() as [number];
  return SYNC_LEVELS[Number(level)] ?? "FULL";
}

/** Runs `fn` again while SQLite answers SQLITE_BUSY, for up to BUSY_TIMEOUT_MS. Start-up only: it blocks. */
function retryWhileBusy(fn: () => void): void {
  const deadline = Date.now() + BUSY_TIMEOUT_MS;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    try {
      fn();
      return;
    } catch (err) {
      if (!isBusy(err) || Date.now() > deadline) throw err;
      Atomics.wait(pause, 0, 0, BUSY_RETRY_MS);
    }
  }
}

/** The users table in WAL mode, through prepared statements. */
export class UsersDb {
  readonly db: SqliteConnection;
  /** The level the connection runs at, read back from SQLite once a transaction has run. */
  readonly synchronous: SyncLevel;
  private readonly findStmt: SqliteStatement;
  private readonly insertStmt: SqliteStatement;
  private readonly countStmt: SqliteStatement;
  private readonly byEmailStmt: SqliteStatement;
  /** SQLITE_BUSY answers absorbed by waiting and trying again, since the database was opened. */
  busy = 0;
  private fence: FencedError | undefined;
  private readonly walPath: string | undefined;

  /** Opens (or creates) the users database on `db`, a connection to `path`. */
  constructor(db: SqliteConnection, path: string, o: UsersDbOptions) {
    // Turning a new database to WAL takes an exclusive lock that the busy timeout does not
    // wait for, so two processes starting on a fresh DATA_DIR at once would see one fail.
    // The losing process retries, within the same bound.
    retryWhileBusy(() => {
      db.exec("PRAGMA journal_mode = WAL");
      db.exec(USERS_SCHEMA);
    });
    if (o.synchronous) db.exec(`PRAGMA synchronous = ${o.synchronous}`);
    if (o.tuned) {
      db.exec(`PRAGMA mmap_size = ${MMAP_SIZE_BYTES}`);
      db.exec("PRAGMA wal_autocheckpoint = 0");
      // After a checkpoint SQLite writes the WAL again from its start, but keeps the file at
      // its largest size unless told to cut it; then the WAL's size, which checkpointIfLarge
      // reads, would stay past the threshold, and every commit would checkpoint (measured: 183
      // checkpoints in 200 commits of 50 rows at a million records; 11 with this limit).
      db.exec("PRAGMA journal_size_limit = 0");
    }
    this.db = db;
    this.walPath = o.tuned ? `${path}-wal` : undefined;
    this.synchronous = syncLevelOf(db);
    // SQLite builds the JSON text itself; its escaping matches JSON.stringify's (tested).
    // Rows come back as arrays, not objects: measured in-process at a million records, a
    // lookup took 7.3 µs of CPU that way against 9.2 with a row object built per read.
    this.findStmt = db.prepareArrays(
      "SELECT json_object('id', id, 'name', name, 'email', email, 'created_at', created_at) FROM users WHERE id = ?",
    );
    this.insertStmt = db.prepare(
      "INSERT INTO users (id, name, email, created_at) VALUES (?, ?, ?, ?)",
    );
    this.countStmt = db.prepareArrays("SELECT count(*) FROM users");
    // The index answers the WHERE; rowid order is insertion order, oldest first.
    this.byEmailStmt = db.prepareArrays(
      "SELECT json_object('id', id, 'name', name, 'email', email, 'created_at', created_at) FROM users WHERE email = ? ORDER BY rowid",
    );
  }

  /** Applies more schema (idempotent statements), waiting out another process doing the same. */
  migrate(sql: string): void {
    retryWhileBusy(() => this.db.exec(sql));
  }

  /**
   * The user's record as JSON text, or undefined. In WAL mode a reader does not wait for
   * writers, so this answers synchronously unless SQLite is busy recovering its log.
   */
  find(id: string): string | undefined | Promise<string | undefined> {
    return this.whenFree(() => (this.findStmt.get(id) as unknown as [string] | undefined)?.[0]);
  }

  /** The users with exactly this email, as JSON texts, oldest first. */
  findByEmail(email: string): string[] | Promise<string[]> {
    return this.whenFree(() =>
      (this.byEmailStmt.all(email) as unknown as [string][]).map((r) => r[0]),
    );
  }

  count(): number | Promise<number> {
    return this.whenFree(() => Number((this.countStmt.get() as [number | bigint])[0]));
  }

  /**
   * Runs `fn` in one transaction: all of it commits, or none of it. BEGIN IMMEDIATE takes
   * the write lock at the start, so another process's lock shows up there as SQLITE_BUSY,
   * before anything is written, and the whole attempt can wait and run again. (A plain
   * BEGIN would take the lock at the first write instead, mid-transaction.)
   *
   * BEGIN, `fn` and COMMIT run in one synchronous call, so no other request on this
   * connection can slip in between them.
   */
  transaction<T>(fn: () => T): T | Promise<T> {
    if (this.fence) throw this.fence;
    return this.whenFree(() => {
      this.db.exec("BEGIN IMMEDIATE");
      try {
        const result = fn();
        this.db.exec("COMMIT");
        this.checkpointIfLarge();
        return result;
      } catch (err) {
        // SQLite rolls some failures back by itself (SQLITE_FULL does); a ROLLBACK then
        // would fail with "no transaction is active" and hide the real cause.
        if (this.db.inTransaction()) this.db.exec("ROLLBACK");
        throw this.storageError(err);
      }
    });
  }

  /**
   * Copies the WAL into the database once it has grown past CHECKPOINT_WAL_BYTES. It runs
   * after a commit that has already succeeded, so it never fails that commit: a full disk
   * leaves the WAL as it is, to be tried again after the next commit; an I/O error fences
   * the store (see CHECKPOINT_WAL_BYTES for why).
   */
  private checkpointIfLarge(): void {
    if (!this.walPath) return; // SQLite checkpoints by itself
    let walBytes: number;
    try {
      walBytes = statSync(this.walPath).size;
    } catch {
      return; // no WAL file: nothing to copy
    }
    if (walBytes < CHECKPOINT_WAL_BYTES) return;
    try {
      this.db.exec("PRAGMA wal_checkpoint(PASSIVE)");
    } catch (err) {
      if (classify(err) === "io")
        this.fence = new FencedError(`a checkpoint of ${DB_FILE} failed (${describe(err)})`);
    }
  }

  /** Why writes are refused until a restart, or undefined while they are taken. */
  fenced(): string | undefined {
    return this.fence?.reason;
  }

  /**
   * A full disk is a refusal: SQLite rolled the transaction back, and the next may pass
   * once space returns. An I/O error (a failed fsync among them) fences the database for
   * this process: whether the commit reached the disk is unknown, and a restart, which
   * runs SQLite's recovery, is what finds out.
   */
  private storageError(err: unknown): unknown {
    const kind = classify(err);
    if (kind === "full") return new DiskFullError(diskFullMessage(DB_FILE));
    if (kind !== "io") return err;
    this.fence = new FencedError(`SQLite could not write ${DB_FILE} (${describe(err)})`);
    return this.fence;
  }

  /** Inserts `users` in one transaction. */
  insertAll(users: Iterable<User>): void | Promise<void> {
    return this.transaction(() => {
      for (const u of users) this.insertStmt.run(u.id, u.name, u.email, u.created_at);
    });
  }

  /**
   * Runs `fn` now; if SQLite answers SQLITE_BUSY, counts it and tries again after a short
   * wait on a timer, for up to BUSY_TIMEOUT_MS, then refuses with OverloadedError (503).
   * Synchronous when the database is free, which is nearly always.
   */
  private whenFree<T>(fn: () => T): T | Promise<T> {
    try {
      return fn();
    } catch (err) {
      if (!isBusy(err)) throw err;
      this.busy++;
      return this.retryLater(fn);
    }
  }

  private async retryLater<T>(fn: () => T): Promise<T> {
    const deadline = performance.now() + BUSY_TIMEOUT_MS;
    for (let wait = BUSY_FIRST_WAIT_MS; ; wait = Math.min(wait * 2, BUSY_MAX_WAIT_MS)) {
      if (performance.now() + wait > deadline) {
        throw new OverloadedError(
          `the database has been locked by another process for ${BUSY_TIMEOUT_MS} ms; retry shortly`,
          1,
        );
      }
      await sleep(wait);
      try {
        return fn();
      } catch (err) {
        if (!isBusy(err)) throw err;
        this.busy++;
      }
    }
  }

  /**
   * Closes the database. The last connection to close checkpoints the WAL, so a fenced
   * database is left open: a checkpoint whose fsync "succeeds" after one that failed could
   * reset the WAL over pages that never reached the disk. The next start recovers from it.
   */
  close(): void {
    if (!this.fence) this.db.close();
  }
}
