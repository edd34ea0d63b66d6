// What recovery does with bytes it cannot use: it moves them aside, never destroys them.
//
// A torn last line, a hole a power cut left, a part-written line another process skipped:
// start-up must cut such bytes out of a file before it appends to it again, but they may
// hold the only copy of something (a record whose end was lost, or a write a store had
// acknowledged without an fsync). So each run of cut bytes is first copied, durably, into
// DATA_DIR/recovered/, under the file's own path inside DATA_DIR, named by the byte range it
// came from and a checksum of its bytes:
//
//   recovered/users.jsonl.bytes-72942-77334.crc-5f3a09c1
//   recovered/lsm/log-000003.jsonl.bytes-0-812.crc-00c1e2f7
//
// The name is a function of the bytes and where they were, so setting the same bytes aside
// twice (a crash between the copy and the cut, or map-shared, which never cuts, reading its
// file again at the next start) finds the copy already there and writes nothing. Only then
// does the caller cut the file. A crash in between leaves the bytes in both places, never in
// neither.
import { existsSync, readdirSync, readSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { crc32 } from "node:zlib";
import { AtomicFile } from "./durable-fs.ts";

export const RECOVERED_DIR = "recovered";
/** Bytes are copied in pieces of this size, so a large cut never sits in memory whole. */
const COPY_CHUNK_BYTES = 1 << 20;
/** GET /health lists at most this many set-aside files by name (it counts them all). */
const LISTED_MAX = 10;

/** A range of bytes cut out of a file at start-up, and why. */
export interface Cut {
  start: number;
  end: number;
  why: string;
}

/** Where one store's recovery sets bytes aside, and the log it reports them to. */
export class SetAside {
  readonly dataDir: string;
  readonly log: (message: string) => void;

  constructor(dataDir: string, log: (message: string) => void) {
    this.dataDir = dataDir;
    this.log = log;
  }

  /**
   * Copies `cut` of the file at `path` (open as `fd`) into recovered/ and makes the copy
   * durable, unless the same bytes are there already. Returns the copy's path, relative to
   * DATA_DIR. Throws if it cannot copy: then the caller must not cut the file.
   */
  keep(path: string, fd: number, cut: Cut): string {
    if (!(cut.start >= 0 && cut.end > cut.start)) {
      throw new Error(`${path}: nothing to set aside in bytes ${cut.start}-${cut.end}`);
    }
    const crc = checksum(fd, cut).toString(16).padStart(8, "0");
    const name = `${relative(this.dataDir, path)}.bytes-${cut.start}-${cut.end}.crc-${crc}`;
    const target = join(this.dataDir, RECOVERED_DIR, name);
    const bytes = cut.end - cut.start;
    const where = `${RECOVERED_DIR}/${name}`;
    if (existsSync(target) && statSync(target).size === bytes) {
      this.log(
        `${path}: ${bytes} bytes from offset ${cut.start} (${cut.why}) were set aside before, in ${where}`,
      );
      return where;
    }
    const out = new AtomicFile(target);
    try {
      forEachChunk(fd, cut, (chunk) => out.write(chunk));
      out.commit();
    } catch (err) {
      out.abort();
      throw err;
    }
    this.log(`${path}: set aside ${bytes} bytes from offset ${cut.start} in ${where}: ${cut.why}`);
    return where;
  }
}

function forEachChunk(fd: number, cut: Cut, use: (chunk: Buffer) => void): void {
  const buf = Buffer.allocUnsafe(Math.min(COPY_CHUNK_BYTES, cut.end - cut.start));
  for (let at = cut.start; at < cut.end; ) {
    const n = readSync(fd, buf, 0, Math.min(buf.length, cut.end - at), at);
    if (n === 0) throw new Error(`the file ended at ${at}, inside the bytes to set aside`);
    use(buf.subarray(0, n));
    at += n;
  }
}

function checksum(fd: number, cut: Cut): number {
  let crc = 0;
  forEachChunk(fd, cut, (chunk) => {
    crc = crc32(chunk, crc);
  });
  return crc;
}

/** What GET /health says about DATA_DIR/recovered/, or undefined when nothing is there. */
export interface SetAsideSummary {
  dir: string;
  files: number;
  bytes: number;
  /** The first LISTED_MAX names, relative to the directory. */
  names: string[];
}

/** Lists DATA_DIR/recovered/ (it is small: one file per cut, and cuts are rare). */
export function setAsideSummary(dataDir: string): SetAsideSummary | undefined {
  const dir = join(dataDir, RECOVERED_DIR);
  if (!existsSync(dir)) return undefined;
  const names = readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((name) => /\.bytes-\d+-\d+\.crc-[0-9a-f]{8}$/.test(name))
    .sort();
  if (names.length === 0) return undefined;
  let bytes = 0;
  for (const name of names) bytes += statSync(join(dir, name)).size;
  return { dir: RECOVERED_DIR, files: names.length, bytes, names: names.slice(0, LISTED_MAX) };
}
