// The LSM store's immutable sorted segments: the course's sorted file and 58-byte index
// (lib/files/sorted-file.ts), plus a Bloom filter. Segments are written and merged on a worker
// thread, so a flush or a compaction never stalls the requests the server is answering.
import { closeSync, existsSync, fstatSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { ID_LENGTH } from "../user.ts";
import { BloomFilter } from "./bloom.ts";
import { AtomicFile } from "./durable-fs.ts";
import { iterateLines } from "./jsonl.ts";
import { readFully } from "./read-fully.ts";
import { INDEX_ENTRY_BYTES, writeSortedLines } from "./sorted-file.ts";

/** Every record line starts `{"id":"`, so its id is these characters of the line. */
const ID_START = '{"id":"'.length;

export interface SegmentFiles {
  data: string;
  index: string;
  bloom: string;
}

export function segmentFiles(dir: string, name: string): SegmentFiles {
  return {
    data: join(dir, `${name}.jsonl`),
    index: join(dir, `${name}.idx`),
    bloom: join(dir, `${name}.bloom`),
  };
}

/**
 * Writes a segment from `[id, json]` records sorted by id. Each of its three files is
 * written whole and made durable before it gets its name (write-temp, fsync, rename,
 * fsync-directory), so a crash leaves either no file or a complete one.
 */
export function writeSegment(
  files: SegmentFiles,
  records: Iterable<readonly [string, string]>,
  maxKeys: number,
): number {
  const bloom = BloomFilter.forKeys(maxKeys);
  function* withBloom() {
    for (const record of records) {
      bloom.add(record[0]);
      yield record;
    }
  }
  const entries = writeSortedLines(files.data, files.index, withBloom());
  const out = new AtomicFile(files.bloom);
  out.write(bloom.bits);
  out.commit();
  return entries;
}

/**
 * The records of several sorted data files, merged into one sorted sequence. `dataPaths`
 * go newest first; an id found in more than one file keeps its newest record.
 */
export function* mergeSegments(dataPaths: readonly string[]): Generator<readonly [string, string]> {
  const fds = dataPaths.map((p) => openSync(p, "r"));
  try {
    const inputs = fds.map((fd) => iterateLines(fd));
    const heads = inputs.map((it) => it.next().value as string | undefined);
    for (;;) {
      let best = -1;
      let bestId = "";
      for (const [i, line] of heads.entries()) {
        if (line === undefined) continue;
        const id = line.slice(ID_START, ID_START + ID_LENGTH);
        if (best === -1 || id < bestId) {
          best = i;
          bestId = id;
        }
      }
      if (best === -1) return;
      yield [bestId, heads[best] as string];
      // Drop this id from every input: the newest (lowest index) copy was the one kept.
      for (const [i, line] of heads.entries()) {
        if (line !== undefined && line.slice(ID_START, ID_START + ID_LENGTH) === bestId) {
          heads[i] = (inputs[i] as Generator<string>).next().value as string | undefined;
        }
      }
    }
  } finally {
    for (const fd of fds) closeSync(fd);
  }
}

/**
 * Records per block of the sparse index: the first id and the byte offset of every
 * BLOCK_RECORDS-th record stay in memory (about 1.6 MB at a million records), so a lookup
 * is a binary search in memory and ONE positional read of a block (~3.5 KB) of the data
 * file, where the dense 58-byte index takes two (a leaf of the index, then the record).
 */
const BLOCK_RECORDS = 32;
/** The dense index is read in chunks of this many entries to build the sparse one. */
const INDEX_CHUNK_ENTRIES = 16_384;
// readSparseIndex takes every BLOCK_RECORDS-th entry counting from each chunk's start: that
// is every BLOCK_RECORDS-th entry of the file only if chunks hold whole blocks.
if (INDEX_CHUNK_ENTRIES % BLOCK_RECORDS !== 0)
  throw new Error("INDEX_CHUNK_ENTRIES must be a multiple of BLOCK_RECORDS");

/** An open segment: its data file, a sparse index built from its dense one, and its Bloom filter. */
export class Segment {
  readonly name: string;
  readonly files: SegmentFiles;
  readonly entries: number;
  private readonly dataFd: number | undefined;
  private readonly dataBytes: number;
  /** The first id of each block, and where the block starts in the data file. */
  private readonly firstIds: string[] = [];
  private readonly starts: number[] = [];
  private readonly bloom: BloomFilter | undefined;
  private block = Buffer.allocUnsafe(8192);

  /** Opens the segment; a base whose files do not exist is empty. */
  constructor(name: string, files: SegmentFiles) {
    this.name = name;
    this.files = files;
    this.bloom =
      files.bloom && existsSync(files.bloom)
        ? BloomFilter.fromBytes(new Uint8Array(readFileSync(files.bloom)))
        : undefined;
    if (!existsSync(files.data) && !existsSync(files.index)) {
      this.entries = 0;
      this.dataBytes = 0;
      return;
    }
    this.dataFd = openSync(files.data, "r");
    this.dataBytes = fstatSync(this.dataFd).size;
    this.entries = this.readSparseIndex(files.index);
  }

  private readSparseIndex(path: string): number {
    const fd = openSync(path, "r");
    try {
      const size = fstatSync(fd).size;
      if (size % INDEX_ENTRY_BYTES !== 0) {
        throw new Error(
          `${path} is damaged: ${size} bytes is not a whole number of ${INDEX_ENTRY_BYTES}-byte entries`,
        );
      }
      const entries = size / INDEX_ENTRY_BYTES;
      const chunk = Buffer.allocUnsafe(INDEX_CHUNK_ENTRIES * INDEX_ENTRY_BYTES);
      for (let first = 0; first < entries; first += INDEX_CHUNK_ENTRIES) {
        const n = Math.min(INDEX_CHUNK_ENTRIES, entries - first);
        readFully(fd, chunk, n * INDEX_ENTRY_BYTES, first * INDEX_ENTRY_BYTES, path);
        // Blocks start at every BLOCK_RECORDS-th entry; chunks hold whole blocks (asserted above).
        for (let i = 0; i < n; i += BLOCK_RECORDS) {
          const at = i * INDEX_ENTRY_BYTES;
          this.firstIds.push(chunk.toString("latin1", at, at + ID_LENGTH));
          this.starts.push(
            Number(chunk.toString("latin1", at + ID_LENGTH + 1, at + INDEX_ENTRY_BYTES - 1)),
          );
        }
      }
      return entries;
    } finally {
      closeSync(fd);
    }
  }

  /** The record's JSON text, or undefined. */
  find(id: string): string | undefined {
    if (this.dataFd === undefined || this.firstIds.length === 0) return undefined;
    if (this.bloom && !this.bloom.mayContain(id)) return undefined;
    if (id < (this.firstIds[0] as string)) return undefined;
    // The last block whose first id is <= id.
    let lo = 0;
    let hi = this.firstIds.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if ((this.firstIds[mid] as string) <= id) lo = mid;
      else hi = mid - 1;
    }
    const start = this.starts[lo] as number;
    const length = (this.starts[lo + 1] ?? this.dataBytes) - start;
    if (this.block.length < length) this.block = Buffer.allocUnsafe(length * 2);
    readFully(this.dataFd, this.block, length, start, this.files.data);
    const view = this.block.subarray(0, length);
    const at = view.indexOf(`{"id":"${id}"`, 0, "latin1");
    if (at === -1) return undefined;
    return view.toString("utf8", at, view.indexOf(0x0a, at));
  }

  close(): void {
    if (this.dataFd !== undefined) closeSync(this.dataFd);
  }
}

type Job =
  /** `records` in any order: the worker sorts them, off the event loop. */
  | { kind: "write"; files: SegmentFiles; records: [string, string][] }
  | { kind: "merge"; files: SegmentFiles; inputs: string[]; maxKeys: number };

/** What the worker thread does with one job; see segment-worker.ts. */
export function runJob(job: Job): number {
  return job.kind === "write"
    ? writeSegment(
        job.files,
        job.records.sort((a, b) => (a[0] < b[0] ? -1 : 1)),
        job.records.length,
      )
    : writeSegment(job.files, mergeSegments(job.inputs), job.maxKeys);
}

/**
 * The main thread's side of the segment worker: one job at a time, in order. A job's
 * promise settles when its files are durable.
 */
export class SegmentWorker {
  private readonly worker: Worker;
  private next = 0;
  private readonly waiting = new Map<
    number,
    { resolve: (n: number) => void; reject: (e: Error) => void }
  >();

  constructor() {
    this.worker = new Worker(new URL("./segment-worker.ts", import.meta.url));
    this.worker.on(
      "message",
      (m: { id: number; entries?: number; error?: string; code?: string }) => {
        const w = this.waiting.get(m.id);
        this.waiting.delete(m.id);
        if (m.error !== undefined) w?.reject(Object.assign(new Error(m.error), { code: m.code }));
        else w?.resolve(m.entries ?? 0);
        if (this.waiting.size === 0) this.worker.unref();
      },
    );
    this.worker.on("error", (err) => {
      for (const w of this.waiting.values()) w.reject(err);
      this.waiting.clear();
    });
    this.worker.unref();
  }

  /** Writes a segment from records in any order. */
  write(files: SegmentFiles, records: [string, string][]): Promise<number> {
    return this.run({ kind: "write", files, records });
  }

  /** Writes one segment that merges the segments whose data files are `inputs`, newest first. */
  merge(files: SegmentFiles, inputs: string[], maxKeys: number): Promise<number> {
    return this.run({ kind: "merge", files, inputs, maxKeys });
  }

  private run(job: Job): Promise<number> {
    const id = this.next++;
    this.worker.ref();
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage({ id, job });
    });
  }

  close(): Promise<number> {
    return this.worker.terminate();
  }
}
