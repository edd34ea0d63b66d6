import { closeSync, existsSync, fsyncSync, ftruncateSync, openSync, readSync } from "node:fs";
import { open as openAsync } from "node:fs/promises";
import { AtomicFile } from "./durable-fs.ts";
import type { Cut, SetAside } from "./set-aside.ts";

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

/**
 * The complete lines of an open file from its start, pulled one at a time, read in pieces of
 * `chunkBytes` (a line longer than that grows the buffer).
 */
export function* iterateLines(fd: number, chunkBytes = CHUNK_BYTES): Generator<string> {
  const ready: string[] = [];
  const reader = new _LineReader(
    0,
    (buf, begin, end) => {
      ready.push(buf.toString("utf8", begin, end));
      return undefined;
    },
    chunkBytes,
  );
  for (;;) {
    const { buf, at, length } = reader.target();
    const result = reader.took(readSync(fd, buf, at, length, reader.readPos));
    yield* ready;
    ready.length = 0;
    if (result) return;
  }
}

/**
 * The JSON records of a file's lines, one at a time, with their text: for a file that
 * loadJsonl has checked and repaired already (a missing file has none).
 */
export function* jsonRecordsIn<T>(path: string): Generator<{ value: T; json: string }> {
  if (!existsSync(path)) return;
  const fd = openSync(path, "r");
  try {
    for (const json of iterateLines(fd)) if (json) yield { value: JSON.parse(json) as T, json };
  } finally {
    closeSync(fd);
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
  /** The file's length after recovery cut what it could not read: where the next append lands. */
  size: number;
}

/** What a decoder makes of one line: the record, or why the line is not one. A throw counts as "not valid JSON". */
export type Decoded<T> = { value: T } | { reason: string };

/**
 * Reads every record of a JSONL file in order (see loadRecords for what it repairs, and how).
 */
export function loadJsonl<T>(
  path: string,
  isRecord: (value: unknown) => value is T,
  onRecord: (record: T, json: string) => void,
  aside: SetAside,
): LoadResult {
  return loadRecords(path, jsonDecoder(isRecord), onRecord, aside);
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

const TORN = "a torn last record, left by a write that never finished";
const HOLE =
  "a hole of NUL bytes a power cut left there (an unsynced write reached the disk only in part)";

/**
 * Reads every record of an append-only file in order, with a decoder of one's own (for
 * lines that are more than plain JSON, such as framed, checksummed orders), and repairs
 * what a crash can leave. Nothing it cuts is destroyed: each cut is set aside first
 * (lib/files/set-aside.ts), then the file is cut, and the log names both.
 *
 * - A crash tears only the *end* of an append-only file. So an unterminated last line, or
 *   a last line that is not a valid record, is cut off: that write never finished, so it
 *   was never acknowledged.
 * - A bad line anywhere else is not crash damage, and start-up stops with a CorruptLineError
 *   that names the file and the line.
 * - A line holding a NUL byte is a hole: pages of an unsynced write that never reached the
 *   disk while later pages did (a torn write at a power cut). No record holds a NUL (JSON
 *   escapes it). Only that line is cut; the whole records after it are kept, and the file
 *   is rewritten without the hole.
 *
 * Why records after a hole may be kept, unlike PostgreSQL, whose WAL ends at its first bad
 * record: a WAL record changes pages that earlier records left, so one replayed after a lost
 * one would apply to the wrong state. Each line here stands alone. A user is written once
 * and never changed, with an id the server made, so it cannot depend on a lost line or
 * repeat one. An order carries its own CRC and its own stock change: the orders kept are a
 * subset of the orders placed, and each was placed only if the stock allowed it with every
 * earlier order applied, so with fewer orders applied the stock can only be higher: never
 * negative, and still the seeded stock less exactly the units of the orders present.
 * What is kept was written after the last fsync, so a store that waits for fsync never
 * acknowledged it, and keeping it is allowed; a store that never fsyncs (map) did
 * acknowledge it, and would lose it if the file were cut at the hole.
 */
export function loadRecords<T>(
  path: string,
  decode: (line: string) => Decoded<T>,
  onRecord: (record: T, line: string) => void,
  aside: SetAside,
): LoadResult {
  if (!existsSync(path)) return { records: 0, size: 0 };
  const fd = openSync(path, "r+");
  try {
    const { records, cuts, size } = _readRecords(path, fd, decode, onRecord);
    for (const cut of cuts) aside.keep(path, fd, cut);
    const first = cuts[0];
    if (!first) return { records, size };
    const last = cuts.at(-1) as Cut;
    if (cuts.length === 1 && last.end === size) {
      ftruncateSync(fd, first.start);
      fsyncSync(fd);
      return { records, size: first.start };
    }
    return { records, size: _rewriteWithout(path, fd, cuts, size) };
  } finally {
    closeSync(fd);
  }
}

/** One pass over the file: each record to `onRecord`, and the ranges to cut. */
function _readRecords<T>(
  path: string,
  fd: number,
  decode: (line: string) => Decoded<T>,
  onRecord: (record: T, line: string) => void,
): { records: number; cuts: Cut[]; size: number } {
  let lineNo = 0;
  let records = 0;
  const cuts: Cut[] = [];
  let bad: { lineNo: number; offset: number; reason: string } | undefined;
  const scan = scanLines(fd, 0, (buf, begin, end, offset) => {
    lineNo++;
    if (begin === end) return; // a blank line carries nothing
    const lastNul = buf.subarray(begin, end).lastIndexOf(0);
    if (lastNul !== -1) {
      // A bad line just before a hole is the hole's own start: the page the torn write
      // reached only in part. The hole may end just where a whole record begins; that
      // record is kept (a user's starts with {"id":", which no record holds inside it,
      // and an order's checksum would not match a piece of one).
      const rest = begin + lastNul + 1;
      const record = rest < end ? _decoded(decode, buf.toString("utf8", rest, end)) : undefined;
      const keepFrom = record && "value" in record ? rest : end + 1;
      _addCut(cuts, { start: bad?.offset ?? offset, end: offset + keepFrom - begin, why: HOLE });
      bad = undefined;
      if (record && "value" in record) {
        onRecord(record.value, buf.toString("utf8", rest, end));
        records++;
      }
      return;
    }
    if (bad) throw new CorruptLineError(path, bad.lineNo, bad.reason);
    const text = buf.toString("utf8", begin, end);
    const decoded = _decoded(decode, text);
    if ("reason" in decoded) {
      bad = { lineNo, offset, reason: decoded.reason };
      return;
    }
    onRecord(decoded.value, text);
    records++;
  });
  const size = scan.end + scan.tail;
  const tailStart = bad?.offset ?? scan.end;
  if (tailStart < size) {
    const tail = Buffer.alloc(Math.min(scan.tail, 1 << 16));
    readSync(fd, tail, 0, tail.length, scan.end);
    const why = !bad && tail.includes(0) ? HOLE : TORN;
    _addCut(cuts, { start: tailStart, end: size, why });
  }
  return { records, cuts, size };
}

function _decoded<T>(decode: (line: string) => Decoded<T>, text: string): Decoded<T> {
  try {
    return decode(text);
  } catch {
    return { reason: "not valid JSON" };
  }
}

/** Appends `cut`, merged into the last one if it starts where that one ends. */
function _addCut(cuts: Cut[], cut: Cut): void {
  const last = cuts.at(-1);
  if (last && last.end === cut.start) last.end = cut.end;
  else cuts.push(cut);
}

/**
 * Writes the file again without `cuts`, beside it, durably, and renames it into place: a
 * crash meanwhile leaves the old file, whose cuts are already set aside. Returns the new size.
 */
function _rewriteWithout(path: string, fd: number, cuts: Cut[], size: number): number {
  const out = new AtomicFile(path);
  const buf = Buffer.allocUnsafe(CHUNK_BYTES);
  let written = 0;
  let at = 0;
  try {
    for (const next of [...cuts, { start: size, end: size, why: "" }]) {
      while (at < next.start) {
        const n = readSync(fd, buf, 0, Math.min(buf.length, next.start - at), at);
        if (n === 0) throw new Error(`${path} ended at ${at} while it was being rewritten`);
        out.write(buf.subarray(0, n));
        at += n;
        written += n;
      }
      at = next.end;
    }
    out.commit();
  } catch (err) {
    out.abort();
    throw err;
  }
  return written;
}
