import { closeSync, fstatSync, openSync, writeSync } from "node:fs";
import { basename } from "node:path";
import {
  classify,
  DiskFullError,
  describe,
  diskFullMessage,
  FencedError,
} from "../storage-errors.ts";
import { isUser, type User } from "../user.ts";
import { openAppend } from "./durable-fs.ts";
import { CorruptLineError, jsonDecoder, scanLines } from "./jsonl.ts";
import type { SetAside } from "./set-aside.ts";

/** Every record line starts with this: toLine() writes `id` first, and inside a JSON string a quote is always escaped. */
const RECORD_START = Buffer.from('{"id":"');
/** The first read of a catch-up; a longer new tail grows the buffer. */
const CATCH_UP_CHUNK_BYTES = 64 * 1024;

/**
 * A JSONL file of users that several processes append to and read at once, each keeping
 * its own index of what it has read.
 *
 * What Linux gives, and what this relies on:
 * - O_APPEND moves to the end of the file and writes as one step, so two processes'
 *   appends never land on the same bytes (POSIX requires this for regular files).
 * - On local filesystems such as ext4 and xfs, a buffered write(2) to a regular file holds
 *   the inode's lock for the whole call, so two appends never interleave their bytes. POSIX
 *   does not promise this (its atomicity guarantee, PIPE_BUF, is for pipes), and NFS does
 *   not give it. So each record goes out in exactly one write(2); a short write is an error.
 * - A reader takes no lock, so it can see a write half done: the last line can be partial.
 *   A catch-up consumes only up to the last newline and reads the rest next time.
 * - A process killed in the middle of a write (SIGKILL between two pages) can leave a torn
 *   line with no newline, and the next record, appended by anyone, lands right after it.
 *   Such a line holds the torn bytes, then a complete record that starts with RECORD_START;
 *   the record is kept and the torn bytes are skipped.
 *
 * Nothing here is truncated, unlike the single-process log: a partial last line may be a
 * write in progress in another process. What a reader skips (torn bytes, or a line with a
 * hole a power cut left) is set aside in recovered/ all the same, once, however many
 * processes and starts read past it (lib/files/set-aside.ts names a copy by its bytes).
 */
export class SharedUserLog {
  readonly path: string;
  private readonly appendFd: number;
  private readonly readFd: number;
  /** Byte offset just past the last complete line read. */
  private readOffset = 0;
  private lineNo = 0;
  private readonly onRecord: (user: User, json: string) => void;
  private readonly aside: SetAside;
  private fence: FencedError | undefined;

  /** Opens `path` (creating it) and reads every complete record in it. */
  constructor(path: string, aside: SetAside, onRecord: (user: User, json: string) => void) {
    this.path = path;
    this.aside = aside;
    this.onRecord = onRecord;
    this.appendFd = openAppend(path);
    this.readFd = openSync(path, "r");
    this.catchUp();
  }

  /**
   * Appends one record in one write(2); see the class comment for why it must be one.
   * A full disk can take part of the line. That part stays, because another process may
   * already have appended after it; every reader drops it as torn bytes (see `take`). Any
   * other failure fences this process's appends.
   */
  append(json: string): void {
    if (this.fence) throw this.fence;
    const line = Buffer.from(`${json}\n`);
    let written: number;
    try {
      written = writeSync(this.appendFd, line);
    } catch (err) {
      if (classify(err) === "full") throw new DiskFullError(diskFullMessage(basename(this.path)));
      this.fence = new FencedError(`an append to ${basename(this.path)} failed (${describe(err)})`);
      throw this.fence;
    }
    // A short write is what a disk that fills up halfway through the line gives.
    if (written !== line.length) throw new DiskFullError(diskFullMessage(basename(this.path)));
  }

  /** Why appends are refused until a restart, or undefined if they are not. */
  fenced(): string | undefined {
    return this.fence?.reason;
  }

  /**
   * Reads the records that were appended since the last call, by this process or any other,
   * and hands each to `onRecord`. Costs one fstat when nothing is new.
   */
  catchUp(): void {
    const size = fstatSync(this.readFd).size;
    if (size <= this.readOffset) return;
    const scan = scanLines(
      this.readFd,
      this.readOffset,
      (buf, begin, end, offset) => {
        this.lineNo++;
        if (begin < end) this.take(buf.subarray(begin, end), offset);
        return undefined;
      },
      Math.min(size - this.readOffset, CATCH_UP_CHUNK_BYTES),
    );
    this.readOffset = scan.end;
  }

  /** One complete line at `offset`: a record, or torn bytes before one, or a hole. */
  private take(line: Buffer, offset: number): void {
    const record = parseUser(line.toString("utf8"));
    if (record) {
      this.onRecord(record, line.toString("utf8"));
      return;
    }
    const start = line.lastIndexOf(RECORD_START);
    const rest = start > 0 ? line.toString("utf8", start) : "";
    const recovered = rest && parseUser(rest);
    if (recovered) {
      this.skip(
        offset,
        start,
        "torn bytes of a record an interrupted write left; the record after them is intact",
      );
      this.onRecord(recovered, rest);
      return;
    }
    // NUL bytes are a hole a power cut left in writes that were never synced (see
    // loadRecords in jsonl.ts); nothing acknowledged after an fsync can be in one.
    if (!line.includes(0)) throw new CorruptLineError(this.path, this.lineNo, "not a valid record");
    this.skip(offset, line.length + 1, "a line with a hole of NUL bytes a power cut left");
  }

  /** Sets aside `bytes` at `offset` that this reader skips; they stay in the file too. */
  private skip(offset: number, bytes: number, why: string): void {
    this.aside.keep(this.path, this.readFd, {
      start: offset,
      end: offset + bytes,
      why: `line ${this.lineNo}: ${why}`,
    });
  }

  close(): void {
    closeSync(this.appendFd);
    closeSync(this.readFd);
  }
}

const decodeUser = jsonDecoder(isUser);

function parseUser(text: string): User | undefined {
  try {
    const decoded = decodeUser(text);
    return "value" in decoded ? decoded.value : undefined;
  } catch {
    return undefined; // not valid JSON
  }
}
