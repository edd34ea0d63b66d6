import { DatabaseSync, type StatementSync } from "node:sqlite";
import type { User } from "./user.ts";

export const DB_FILE = "users.db";

/**
 * How long a writer waits for another connection's lock before SQLITE_BUSY. node:sqlite's
 * default is 0, which fails at once the moment a second process holds the lock.
 */
export const BUSY_TIMEOUT_MS = 5_000;

/**
 * With WAL, FULL fsyncs the log at every commit: a commit survives a power loss, and the
 * rate is bounded by the disk's fsync latency. NORMAL fsyncs only at checkpoints: a commit
 * survives a process crash but the last ones may roll back after a power loss. FULL is
 * node:sqlite's default, so it is what the course measured; SQLITE_SYNCHRONOUS=NORMAL
 * chooses the other side of the trade-off.
 */
export type Synchronous = "FULL" | "NORMAL";

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

export const USERS_SCHEMA = `
  CREATE TABLE IF NOT EXISTS users (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    created_at TEXT NOT NULL
  )`;

const SQLITE_BUSY = 5;
/** Between attempts at a busy start-up step. */
const BUSY_RETRY_MS = 10;

/** Runs `fn` again while SQLite answers SQLITE_BUSY, for up to BUSY_TIMEOUT_MS. Start-up only: it blocks. */
function retryWhileBusy(fn: () => void): void {
  const deadline = Date.now() + BUSY_TIMEOUT_MS;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    try {
      fn();
      return;
    } catch (err) {
      if ((err as { errcode?: number }).errcode !== SQLITE_BUSY || Date.now() > deadline) throw err;
      Atomics.wait(pause, 0, 0, BUSY_RETRY_MS);
    }
  }
}

/** The users table in WAL mode, through prepared statements. */
export class UsersDb {
  readonly db: DatabaseSync;
  readonly synchronous: Synchronous;
  private readonly findStmt: StatementSync;
  private readonly insertStmt: StatementSync;
  private readonly countStmt: StatementSync;

  /** Opens (or creates) the users database. */
  constructor(path: string, synchronous: Synchronous) {
    const db = new DatabaseSync(path, { timeout: BUSY_TIMEOUT_MS });
    // Turning a new database to WAL takes an exclusive lock that the busy timeout does not
    // wait for, so two processes starting on a fresh DATA_DIR at once would see one fail.
    // The losing process retries, within the same bound.
    retryWhileBusy(() => {
      db.exec("PRAGMA journal_mode = WAL");
      db.exec(USERS_SCHEMA);
    });
    db.exec(`PRAGMA synchronous = ${synchronous}`);
    db.exec(`PRAGMA mmap_size = ${MMAP_SIZE_BYTES}`);
    this.db = db;
    this.synchronous = synchronous;
    // SQLite builds the JSON text itself; its escaping matches JSON.stringify's (tested).
    this.findStmt = db.prepare(
      "SELECT json_object('id', id, 'name', name, 'email', email, 'created_at', created_at) AS json FROM users WHERE id = ?",
    );
    this.insertStmt = db.prepare(
      "INSERT INTO users (id, name, email, created_at) VALUES (?, ?, ?, ?)",
    );
    this.countStmt = db.prepare("SELECT count(*) AS n FROM users");
  }

  /** The user's record as JSON text, or undefined. */
  find(id: string): string | undefined {
    return (this.findStmt.get(id) as { json: string } | undefined)?.json;
  }

  insert(u: User): void {
    this.insertStmt.run(u.id, u.name, u.email, u.created_at);
  }

  count(): number {
    return Number((this.countStmt.get() as { n: number | bigint }).n);
  }

  /**
   * Runs `fn` in one transaction: all of it commits, or none of it. BEGIN IMMEDIATE takes
   * the write lock at the start, where the busy timeout applies; a plain BEGIN would take it
   * at the first write, and SQLite answers SQLITE_BUSY at once there rather than wait.
   */
  transaction<T>(fn: () => T): T {
    this.db.exec("BEGIN IMMEDIATE");
    try {
      const result = fn();
      this.db.exec("COMMIT");
      return result;
    } catch (err) {
      this.db.exec("ROLLBACK");
      throw err;
    }
  }

  /** Inserts `users` in one transaction. */
  insertAll(users: Iterable<User>): void {
    this.transaction(() => {
      for (const u of users) this.insert(u);
    });
  }

  close(): void {
    this.db.close();
  }
}
