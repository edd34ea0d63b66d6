// The LSM store's immutable sorted segments: the course's sorted file and 58-byte index
// (lib/sorted-file.ts), plus a Bloom filter. Segments are written and merged on a worker
// thread, so a flush or a compaction never stalls the requests the server is answering.
import { closeSync, existsSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { BloomFilter } from "./bloom.ts";
import { AtomicFile } from "./durable-fs.ts";
import { iterateLines } from "./jsonl.ts";
import { SortedFile, writeSortedLines } from "./sorted-file.ts";
import { ID_LENGTH } from "./user.ts";

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

/** An open segment: its sorted file and, when it has one, its Bloom filter. */
export class Segment {
  readonly name: string;
  readonly files: SegmentFiles;
  private readonly sorted: SortedFile | undefined;
  private readonly bloom: BloomFilter | undefined;

  constructor(name: string, files: SegmentFiles) {
    this.name = name;
    this.files = files;
    this.sorted = SortedFile.open(files.data, files.index);
    this.bloom =
      files.bloom && existsSync(files.bloom)
        ? BloomFilter.fromBytes(new Uint8Array(readFileSync(files.bloom)))
        : undefined;
  }

  get entries(): number {
    return this.sorted?.entries ?? 0;
  }

  find(id: string): string | undefined {
    if (this.bloom && !this.bloom.mayContain(id)) return undefined;
    return this.sorted?.find(id);
  }

  close(): void {
    this.sorted?.close();
  }
}

type Job =
  | { kind: "write"; files: SegmentFiles; records: [string, string][] }
  | { kind: "merge"; files: SegmentFiles; inputs: string[]; maxKeys: number };

/** What the worker thread does with one job; see segment-worker.ts. */
export function runJob(job: Job): number {
  return job.kind === "write"
    ? writeSegment(job.files, job.records, job.records.length)
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
    this.worker.on("message", (m: { id: number; entries?: number; error?: string }) => {
      const w = this.waiting.get(m.id);
      this.waiting.delete(m.id);
      if (m.error !== undefined) w?.reject(new Error(m.error));
      else w?.resolve(m.entries ?? 0);
      if (this.waiting.size === 0) this.worker.unref();
    });
    this.worker.on("error", (err) => {
      for (const w of this.waiting.values()) w.reject(err);
      this.waiting.clear();
    });
    this.worker.unref();
  }

  /** Writes a segment from records sorted by id. */
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
