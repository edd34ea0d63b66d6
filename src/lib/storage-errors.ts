/**
 * What a failed write tells the client. Three cases, because the client can do three
 * different things about them:
 *
 * - RefusedWrite: nothing of the write is left on disk and the store is as it was, so the
 *   same write may pass later. OverloadedError (a full queue, a lock held too long: retry
 *   in a moment, 503 with Retry-After) and DiskFullError (no space: retry once space is
 *   freed, 507) are the two kinds.
 * - FencedError: the store stopped taking writes, because a write failed in a way it cannot
 *   take back (a failed fsync: the kernel may have dropped the dirty pages, so trying again
 *   could report success for data that is gone). Only a restart, which reads back what is
 *   really on disk, recovers. 503 without Retry-After, and GET /health says "degraded".
 * - anything else: a bug or an unknown fault, answered 500.
 *
 * The stores translate their engines' errors (errno, SQLite's result codes, PostgreSQL's
 * SQLSTATE) into these with `classify` below, so app.ts needs to know none of them.
 */
export class RefusedWrite extends Error {}

/** Refused before anything was written, because the store is busy: retry shortly. */
export class OverloadedError extends RefusedWrite {
  readonly retryAfterS: number;
  constructor(message: string, retryAfterS: number) {
    super(message);
    this.name = "OverloadedError";
    this.retryAfterS = retryAfterS;
  }
}

/** Refused because the disk is full; whatever part was written has been taken back. */
export class DiskFullError extends RefusedWrite {
  constructor(message: string) {
    super(message);
    this.name = "DiskFullError";
  }
}

/** The store refuses writes until it is restarted; `reason` says what failed. */
export class FencedError extends Error {
  readonly reason: string;
  constructor(reason: string) {
    super(`writes are stopped until the server is restarted: ${reason}; restart to recover`);
    this.name = "FencedError";
    this.reason = reason;
  }
}

/**
 * The write may or may not have been stored: the connection to the database broke after the
 * commit was sent, and before its answer came. It is not acknowledged, and not a refusal
 * either: the client must look before it writes again.
 */
export class OutcomeUnknownError extends Error {
  /** The path a GET can ask to learn whether the write was stored, once the app knows it. */
  location: string | undefined;
  constructor(message: string) {
    super(message);
    this.name = "OutcomeUnknownError";
  }
}

const DISK_FULL_ERRNO = new Set(["ENOSPC", "EDQUOT"]);
/** SQLite's primary result codes (the low byte of an extended code). */
const SQLITE_IOERR = 10;
const SQLITE_FULL = 13;
/** PostgreSQL's SQLSTATE for disk_full, and the class of insufficient resources it is in. */
const PG_DISK_FULL = "53100";

interface EngineError {
  code?: unknown;
  errcode?: unknown;
}

/** What kind of storage failure `err` is: "full", "io" (the device failed), or undefined. */
export function classify(err: unknown): "full" | "io" | undefined {
  if (typeof err !== "object" || err === null) return undefined;
  const { code, errcode } = err as EngineError;
  if (typeof code === "string" && DISK_FULL_ERRNO.has(code)) return "full";
  if (code === PG_DISK_FULL) return "full";
  if (code === "EIO") return "io";
  // better-sqlite3 and libsql say SQLite's result code by name.
  if (typeof code === "string" && code.startsWith("SQLITE_FULL")) return "full";
  if (typeof code === "string" && code.startsWith("SQLITE_IOERR")) return "io";
  if (typeof errcode === "number") {
    if ((errcode & 0xff) === SQLITE_FULL) return "full";
    if ((errcode & 0xff) === SQLITE_IOERR) return "io";
  }
  return undefined;
}

/** The message of a DiskFullError about `what`, which says what the client can do. */
export function diskFullMessage(what: string): string {
  return `the disk is full: ${what} could not be written; nothing was stored. Free space on the server's disk, then retry`;
}

/** An error's code and message, for a reason a client may read: no stack, no paths beyond the file's name. */
export function describe(err: unknown): string {
  const { code, message } = err as { code?: unknown; message?: unknown };
  const text = typeof message === "string" ? (message.split("\n")[0] ?? "") : String(err);
  return typeof code === "string" && !text.startsWith(code) ? `${code}: ${text}` : text;
}
