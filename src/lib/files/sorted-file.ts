import { closeSync, existsSync, fstatSync, openSync, readSync } from "node:fs";
import { ID_LENGTH, type User } from "../user.ts";
import { AtomicFile } from "./durable-fs.ts";
import { readFully } from "./read-fully.ts";

/** The seeded pair that `npm run seed` writes: the records sorted by id, and their index. */
export const SORTED_FILE = "users.sorted.jsonl";
/** Users written since the sorted file was built, unsorted (the binary store's tail). */
export const TAIL_FILE = "users.tail.jsonl";
export const INDEX_FILE = "users.idx";

/**
 * The course's fixed-width index entry: `<36-char id>:<20-digit zero-padded offset>\n`.
 * Every entry is 58 bytes, so entry N starts at byte N * 58 and a binary search can jump
 * straight to any entry without reading the ones before it.
 */
export const INDEX_ENTRY_BYTES = 58;
const OFFSET_DIGITS = 20;

/** The first line read of a record; a longer record is read again with a bigger buffer. */
const FIRST_READ_BYTES = 512;

/**
 * Below this many entries the rest of the search is one positional read of the whole range
 * (at most 128 * 58 = 7,424 bytes, two pages) instead of one read per probe.
 */
const LEAF_ENTRIES = 128;

/**
 * Every lookup probes the same entries until its range is down to a leaf, so those probes
 * are kept in memory after their first read: about 2 * entries / LEAF_ENTRIES ids (16,000
 * at a million records, ~1 MB). Measured at 1M records, this took a lookup from three
 * positional reads to two. Past this bound, probes are read from disk every time.
 */
const MAX_CACHED_PROBES = 1 << 16;

export function indexEntry(id: string, offset: number): string {
  return `${id}:${String(offset).padStart(OFFSET_DIGITS, "0")}\n`;
}

/**
 * Writes a data file sorted by id and its index, each atomically: a crash leaves the old
 * pair or the new pair of files, never a half-written one. `users` must already be sorted.
 */
export function writeSortedFiles(dataPath: string, indexPath: string, users: Iterable<User>): void {
  writeSortedLines(dataPath, indexPath, asLines(users));
}

function* asLines(users: Iterable<User>): Generator<readonly [string, string]> {
  for (const user of users) yield [user.id, JSON.stringify(user)];
}

/**
 * writeSortedFiles for records that are already JSON text: `[id, json]` pairs, sorted by id
 * with no id twice. Returns the number of records written.
 */
export function writeSortedLines(
  dataPath: string,
  indexPath: string,
  records: Iterable<readonly [string, string]>,
): number {
  const data = new AtomicFile(dataPath);
  const index = new AtomicFile(indexPath);
  try {
    // Encode into large buffers: a million 58-byte writes would cost more than the sorting.
    const BATCH_BYTES = 1 << 20;
    let lines: Buffer[] = [];
    let lineBytes = 0;
    let entries = "";
    let offset = 0;
    let previous = "";
    let count = 0;
    for (const [id, json] of records) {
      if (id <= previous) throw new Error(`writeSortedFiles: ${id} is out of order`);
      previous = id;
      const line = Buffer.from(`${json}\n`);
      lines.push(line);
      lineBytes += line.length;
      entries += indexEntry(id, offset);
      offset += line.length;
      count++;
      if (lineBytes >= BATCH_BYTES) {
        data.write(Buffer.concat(lines, lineBytes));
        index.write(entries);
        lines = [];
        lineBytes = 0;
        entries = "";
      }
    }
    data.write(Buffer.concat(lines, lineBytes));
    index.write(entries);
    data.commit();
    index.commit();
    return count;
  } catch (err) {
    data.abort();
    index.abort();
    throw err;
  }
}

/**
 * Reads a sorted data file through its fixed-width index: a binary search over the index
 * with positional reads, then one read of the data line. Nothing is loaded up front.
 */
export class SortedFile {
  readonly entries: number;
  private readonly dataFd: number;
  private readonly indexFd: number;
  private readonly indexPath: string;
  private readonly probeCache = new Map<number, string>();
  private readonly entryBuf = Buffer.allocUnsafe(INDEX_ENTRY_BYTES);
  private leafBuf = Buffer.allocUnsafe(LEAF_ENTRIES * INDEX_ENTRY_BYTES);

  private constructor(dataFd: number, indexFd: number, indexPath: string, entries: number) {
    this.dataFd = dataFd;
    this.indexFd = indexFd;
    this.indexPath = indexPath;
    this.entries = entries;
  }

  /** Opens the pair; if neither file exists, the result is empty. */
  static open(dataPath: string, indexPath: string): SortedFile | undefined {
    if (!existsSync(dataPath) && !existsSync(indexPath)) return undefined;
    const indexFd = openSync(indexPath, "r");
    const dataFd = openSync(dataPath, "r");
    const size = fstatSync(indexFd).size;
    if (size % INDEX_ENTRY_BYTES !== 0) {
      closeSync(indexFd);
      closeSync(dataFd);
      throw new Error(
        `${indexPath} is damaged: ${size} bytes is not a whole number of ${INDEX_ENTRY_BYTES}-byte ` +
          `entries. Rebuild it with \`npm run seed\`.`,
      );
    }
    return new SortedFile(dataFd, indexFd, indexPath, size / INDEX_ENTRY_BYTES);
  }

  /** The id at entry `n`, from the probe cache when it has been read before. */
  private idAt(n: number): string {
    const cached = this.probeCache.get(n);
    if (cached !== undefined) return cached;
    readFully(this.indexFd, this.entryBuf, ID_LENGTH, n * INDEX_ENTRY_BYTES, this.indexPath);
    const id = this.entryBuf.toString("latin1", 0, ID_LENGTH);
    if (this.probeCache.size < MAX_CACHED_PROBES) this.probeCache.set(n, id);
    return id;
  }

  /** The byte offset of the record with `id` in the data file, or -1 if there is none. */
  private offsetOf(id: string): number {
    let lo = 0;
    let hi = this.entries - 1;
    while (hi - lo + 1 > LEAF_ENTRIES) {
      const mid = (lo + hi) >>> 1;
      const probe = this.idAt(mid);
      if (probe === id) return this.recordOffset(mid);
      if (probe < id) lo = mid + 1;
      else hi = mid - 1;
    }
    // The remaining range is small: one read brings all of it, the rest is in memory.
    const count = hi - lo + 1;
    if (count <= 0) return -1;
    const bytes = count * INDEX_ENTRY_BYTES;
    readFully(this.indexFd, this.leafBuf, bytes, lo * INDEX_ENTRY_BYTES, this.indexPath);
    let a = 0;
    let b = count - 1;
    while (a <= b) {
      const m = (a + b) >>> 1;
      const at = m * INDEX_ENTRY_BYTES;
      const probe = this.leafBuf.toString("latin1", at, at + ID_LENGTH);
      if (probe === id) return this.parseOffset(this.leafBuf, at);
      if (probe < id) a = m + 1;
      else b = m - 1;
    }
    return -1;
  }

  private recordOffset(n: number): number {
    readFully(
      this.indexFd,
      this.entryBuf,
      INDEX_ENTRY_BYTES,
      n * INDEX_ENTRY_BYTES,
      this.indexPath,
    );
    return this.parseOffset(this.entryBuf, 0);
  }

  private parseOffset(buf: Buffer, entryStart: number): number {
    const from = entryStart + ID_LENGTH + 1;
    return Number(buf.toString("latin1", from, from + OFFSET_DIGITS));
  }

  /** The record's line (its JSON text), or undefined. */
  find(id: string): string | undefined {
    if (this.entries === 0) return undefined;
    const offset = this.offsetOf(id);
    return offset < 0 ? undefined : this.readLine(offset);
  }

  /** The line at `offset`, read until its newline: a short read just reads on from there. */
  private readLine(offset: number): string {
    let buf = Buffer.allocUnsafe(FIRST_READ_BYTES);
    let got = 0;
    for (;;) {
      if (got === buf.length) {
        const bigger = Buffer.allocUnsafe(buf.length * 4);
        buf.copy(bigger, 0, 0, got);
        buf = bigger;
      }
      const n = readSync(this.dataFd, buf, got, buf.length - got, offset + got);
      if (n === 0) throw new Error(`the record at offset ${offset} has no end of line`);
      const nl = buf.subarray(got, got + n).indexOf(0x0a);
      if (nl !== -1) return buf.toString("utf8", 0, got + nl);
      got += n;
    }
  }

  close(): void {
    closeSync(this.dataFd);
    closeSync(this.indexFd);
  }
}
