import {
  closeSync,
  existsSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  openSync,
  readSync,
} from "node:fs";
import { open as openAsync } from "node:fs/promises";

/** Files are read in chunks of this size; a longer line grows the buffer. */
const CHUNK_BYTES = 1 << 20;
const NEWLINE = 0x0a;

/**
 * Called for each complete line, without its "\n". `offset` is the line's byte position in
 * the file. Returning `true` stops the scan.
 */
export type OnLine = (
  buf: Buffer,
  begin: number,
  end: number,
  offset: number,
) => boolean | undefined;

/** Where a scan stopped: `end` is just past the last complete line; `tail` counts bytes after it. */
export interface ScanResult {
  end: number;
  tail: number;
  stopped: boolean;
}

/**
 * Feeds the complete lines in `buf[0, n)` to `onLine`. Returns how many bytes were consumed,
 * or -1 if `onLine` asked to stop.
 */
function _splitLines(buf: Buffer, n: number, fileOffset: number, onLine: OnLine): number {
  const view = buf.subarray(0, n);
  let begin = 0;
  for (let nl = view.indexOf(NEWLINE); nl !== -1; nl = view.indexOf(NEWLINE, begin)) {
    if (onLine(buf, begin, nl, fileOffset + begin)) return -1;
    begin = nl + 1;
  }
  return begin;
}

/**
 * The chunked read loop, shared by the sync and async readers. A partial line at the end of
 * a chunk is moved to the front of the buffer and completed by the next read. Only a read
 * of zero bytes means end of file: a short read (FUSE may give one) just reads again.
 */
class _LineReader {
  private buf: Buffer;
  private filled = 0;
  /** File offset of buf[0]. */
  private base: number;
  readPos: number;
  private readonly onLine: OnLine;

  constructor(start: number, onLine: OnLine, chunkBytes = CHUNK_BYTES) {
    this.buf = Buffer.allocUnsafe(chunkBytes);
    this.onLine = onLine;
    this.base = start;
    this.readPos = start;
  }

  /** Where the next read goes; grows the buffer when one line fills all of it. */
  target(): { buf: Buffer; at: number; length: number } {
    if (this.filled === this.buf.length) {
      const bigger = Buffer.allocUnsafe(this.buf.length * 2);
      this.buf.copy(bigger, 0, 0, this.filled);
      this.buf = bigger;
    }
    return { buf: this.buf, at: this.filled, length: this.buf.length - this.filled };
  }

  /** Takes the result of a read into target(); returns a result once the scan is over. */
  took(n: number): ScanResult | undefined {
    if (n === 0) return { end: this.base, tail: this.filled, stopped: false };
    this.readPos += n;
    this.filled += n;
    const consumed = _splitLines(this.buf, this.filled, this.base, this.onLine);
    if (consumed === -1) return { end: this.base, tail: 0, stopped: true };
    this.buf.copy(this.buf, 0, consumed, this.filled);
    this.filled -= consumed;
    this.base += consumed;
    return undefined;
  }
}

/**
 * Scans an open file's lines from `start`, synchronously. `chunkBytes` sizes the first read:
 * small when only a short new tail is expected.
 */
export function scanLines(
  fd: number,
  start: number,
  onLine: OnLine,
  chunkBytes = CHUNK_BYTES,
): ScanResult {
  const reader = new _LineReader(start, onLine, Math.max(1, chunkBytes));
  for (;;) {
    const { buf, at, length } = reader.target();
    const result = reader.took(readSync(fd, buf, at, length, reader.readPos));
    if (result) return result;
  }
}

/** The complete lines of an open file from its start, pulled one at a time. */
export function* iterateLines(fd: number): Generator<string> {
  const ready: string[] = [];
  const reader = new _LineReader(0, (buf, begin, end) => {
    ready.push(buf.toString("utf8", begin, end));
    return undefined;
  });
  for (;;) {
    const { buf, at, length } = reader.target();
    const result = reader.took(readSync(fd, buf, at, length, reader.readPos));
    yield* ready;
    ready.length = 0;
    if (result) return;
  }
}

/** Scans a file's lines without blocking the event loop. A missing file has no lines. */
export async function scanLinesAsync(path: string, onLine: OnLine): Promise<ScanResult> {
  const handle = await openAsync(path, "r").catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return undefined;
    throw err;
  });
  if (!handle) return { end: 0, tail: 0, stopped: false };
  try {
    const reader = new _LineReader(0, onLine);
    for (;;) {
      const { buf, at, length } = reader.target();
      const { bytesRead } = await handle.read(buf, at, length, reader.readPos);
      const result = reader.took(bytesRead);
      if (result) return result;
    }
  } finally {
    await handle.close();
  }
}

/** A line that is not a valid record, somewhere a crash cannot explain. */
export class CorruptLineError extends Error {
  constructor(file: string, lineNo: number, reason: string) {
    super(
      `${file}, line ${lineNo}: ${reason}. Only the last line of a file can be torn by a crash, ` +
        `so this file was damaged some other way. Restore it from a backup, or remove that line ` +
        `by hand if you accept losing the record.`,
    );
    this.name = "CorruptLineError";
  }
}

export interface LoadResult {
  /** Records loaded. */
  records: number;
  /** The file's length after any torn tail was cut off: where the next append lands. */
  size: number;
}

/** What a decoder makes of one line: the record, or why the line is not one. A throw counts as "not valid JSON". */
export type Decoded<T> = { value: T } | { reason: string };

/**
 * Reads every record of a JSONL file in order, and repairs what a crash can leave behind.
 *
 * The rule for damage: a crash can only tear the *end* of an append-only file. So an
 * unterminated last line, or a last line that is not a valid record, is dropped: the file
 * is truncated before it (a write that never finished was never acknowledged) and `log`
 * says so. A bad line anywhere else is not crash damage, and start-up stops with a
 * CorruptLineError that names the file and the line.
 *
 * One exception: a line holding a NUL byte. No record holds one (JSON escapes it), so it
 * is a hole that a power cut left where pages of an unsynced write never reached the disk,
 * while later pages did (a torn write). Synced data has no holes, and one fsync covers the
 * whole file, so everything from the hole on was written after the last fsync: none of it
 * was acknowledged by a store that waits for fsync. The file is cut at the hole.
 */
export function loadJsonl<T>(
  path: string,
  isRecord: (value: unknown) => value is T,
  onRecord: (record: T, json: string, offset: number) => void,
  log: (message: string) => void,
): LoadResult {
  return loadRecords(path, jsonDecoder(isRecord), onRecord, log);
}

/** A decoder of plain JSON lines that holds each to `isRecord`. It throws on invalid JSON. */
export function jsonDecoder<T>(
  isRecord: (value: unknown) => value is T,
): (line: string) => Decoded<T> {
  return (line) => {
    const value = JSON.parse(line) as unknown;
    return isRecord(value) ? { value } : { reason: "valid JSON but not a complete record" };
  };
}

/** loadJsonl with a decoder of one's own, for lines that are more than plain JSON (such as framed, checksummed records). */
export function loadRecords<T>(
  path: string,
  decode: (line: string) => Decoded<T>,
  onRecord: (record: T, line: string, offset: number) => void,
  log: (message: string) => void,
): LoadResult {
  if (!existsSync(path)) return { records: 0, size: 0 };
  const fd = openSync(path, "r+");
  try {
    let lineNo = 0;
    let records = 0;
    let bad: { lineNo: number; offset: number; reason: string } | undefined;
    let hole: number | undefined;
    const scan = scanLines(fd, 0, (buf, begin, end, offset) => {
      lineNo++;
      if (begin === end) return; // a blank line carries nothing
      const nul = buf.indexOf(0, begin);
      if (nul !== -1 && nul < end) {
        hole = bad?.offset ?? offset;
        return true;
      }
      if (bad) throw new CorruptLineError(path, bad.lineNo, bad.reason);
      const text = buf.toString("utf8", begin, end);
      let decoded: Decoded<T>;
      try {
        decoded = decode(text);
      } catch {
        decoded = { reason: "not valid JSON" };
      }
      if ("reason" in decoded) {
        bad = { lineNo, offset, reason: decoded.reason };
        return;
      }
      onRecord(decoded.value, text, offset);
      records++;
    });
    const keep = hole ?? (bad ? bad.offset : scan.end);
    const size = hole === undefined ? scan.end + scan.tail : fstatSync(fd).size;
    if (keep < size) {
      log(
        hole === undefined
          ? `${path}: dropped a torn last record (${size - keep} bytes at offset ${keep}), ` +
              "left by a write that never finished"
          : `${path}: dropped ${size - keep} bytes from offset ${keep}: a power cut left a hole ` +
              "of NUL bytes there (an unsynced write reached the disk only in part)",
      );
      ftruncateSync(fd, keep);
      fsyncSync(fd);
    }
    return { records, size: keep };
  } finally {
    closeSync(fd);
  }
}
