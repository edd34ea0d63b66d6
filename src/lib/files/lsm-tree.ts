// The LSM store's tree: a write-ahead log and memtable per generation, immutable segments
// (lsm-segment.ts) and the manifest that says which of them are live. stores/lsm.ts tells
// the whole design; this file is its mechanics, one method per step.
//
// The manifest (lsm/MANIFEST.json, replaced atomically) is the one source of truth for
// which segments are live and which logs still matter. Every new file is durable before the
// manifest names it, and a file is deleted only after a durable manifest stopped naming it.
// So at start-up, anything else in lsm/ is the leftover of a crash and is removed, and the
// logs the manifest names are replayed: the memtables, never the whole data set.
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { EmailIndex, indexFileByEmail } from "../email-lookup.ts";
import type { GroupCommit } from "../group-commit.ts";
import {
  classify,
  DiskFullError,
  diskFullMessage,
  FencedError,
  OverloadedError,
} from "../storage-errors.ts";
import type { User } from "../user.ts";
import { AtomicFile, mkdirDurably } from "./durable-fs.ts";
import { Segment, SegmentWorker, segmentFiles } from "./lsm-segment.ts";
import { SetAside } from "./set-aside.ts";
import { INDEX_FILE, SORTED_FILE } from "./sorted-file.ts";
import { type AppendLog, openUserLog } from "./user-log.ts";

const DIR = "lsm";
const MANIFEST = "MANIFEST.json";
/** Live segments (besides the seeded base) before they are merged into one. */
export const MAX_SEGMENTS = 4;
/** Frozen memtables waiting for their flush; past this, writes wait for one to land. */
const MAX_FROZEN = 2;
/**
 * How long a write waits for a flush to land when MAX_FROZEN memtables are waiting, before
 * it gets 503. Real LSM engines stall writers like this, for a bounded time, rather than
 * fail them: a burst of writes outruns the flusher for a moment, not for good.
 */
const STALL_MS_MAX = 5_000;
/** Writes waiting at once; past this, a write gets 503 without waiting. */
const MAX_STALLED_WRITES = 10_000;
/** After a flush or compaction fails for a full disk, it is tried again this often. */
const FULL_RETRY_MS = 1_000;
/** Group commit on the log, as in jsonl-group. */
const LOG_MAX_BATCH = 1024;
const LOG_MAX_QUEUE = 16_384;

interface Manifest {
  needadb_lsm: 1;
  /** Live segments, newest first. */
  segments: string[];
  /** Logs numbered from this one on hold records that no segment has yet. */
  first_log: number;
  next_segment: number;
}

/** One memtable and the log that makes its records durable. */
interface Generation {
  seq: number;
  log: AppendLog;
  appender: GroupCommit<string>;
  records: Map<string, string>;
}

export interface LsmOptions {
  dataDir: string;
  /** Records in the memtable before it is frozen and flushed. */
  memtableMax: number;
  log: (message: string) => void;
}

const logName = (seq: number) => `log-${String(seq).padStart(6, "0")}.jsonl`;
const segmentName = (n: number) => `seg-${String(n).padStart(6, "0")}`;

/**
 * The manifest, or an error that names it. It is only ever replaced whole (write, fsync,
 * rename), so a crash cannot leave it half written: a bad one is damage from outside.
 */
function readManifest(path: string): Manifest {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, "utf8"));
  } catch {
    value = undefined;
  }
  const m = value as Partial<Manifest> | undefined;
  if (m?.needadb_lsm !== 1 || !Array.isArray(m.segments) || !Number.isInteger(m.first_log))
    throw new Error(
      `${path} is damaged (not the manifest needadb writes). A crash cannot cause this, since it is replaced whole; restore it from a backup, or move lsm/ away to start again from the seeded files.`,
    );
  return m as Manifest;
}

/**
 * Whatever the manifest does not name is a crash's leftover: a segment that was never
 * installed, one that a compaction replaced, a temporary file, or a log already flushed.
 * It is removed; the logs the manifest still counts are returned, oldest first.
 */
function sweep(dir: string, manifest: Manifest, log: LsmOptions["log"]): number[] {
  const live = new Set(manifest.segments.flatMap((s) => Object.values(segmentFiles("", s))));
  const logs: number[] = [];
  for (const name of readdirSync(dir)) {
    const logSeq = /^log-(\d+)\.jsonl$/.exec(name);
    if (logSeq && Number(logSeq[1]) >= manifest.first_log) logs.push(Number(logSeq[1]));
    else if (name !== MANIFEST && !live.has(name)) {
      log(`lsm: removing ${name}, left by an interrupted flush or compaction`);
      rmSync(join(dir, name), { force: true });
    }
  }
  return logs.sort((a, b) => a - b);
}

export class LsmTree {
  private readonly dir: string;
  private readonly manifestPath: string;
  private readonly memtableMax: number;
  private readonly log: LsmOptions["log"];
  private readonly aside: SetAside;
  private manifest: Manifest;
  /**
   * The seeded pair is the oldest level. It has no Bloom filter: it is searched only after
   * every other level has missed, and then it must be searched anyway.
   */
  private readonly base: Segment;
  private segments: Segment[];
  private readonly worker = new SegmentWorker();
  /**
   * Lookups by email: sorted files keyed by id cannot answer them, so the tree keeps a
   * second index in memory, email -> ids, built from every level at start and added to at
   * every write. It maps to ids, not to places in files, so flushes and compactions, which
   * move records between files, leave it right.
   */
  private readonly byEmail = new EmailIndex();
  private readonly frozen: Generation[];
  private active: Generation;
  /** Flushes and compactions run one at a time, in order, on this chain. */
  private work: Promise<void> = Promise.resolve();
  /** Set when background work failed in a way that is not a full disk: the store is fenced. */
  private failed: FencedError | undefined;
  /** Set while background work fails for lack of space; cleared when a job next succeeds. */
  private full: DiskFullError | undefined;
  /** Writes waiting for a flush to land, woken when one does (or when flushing fails). */
  private readonly stalled: (() => void)[] = [];
  readonly stats = { flushes: 0, compactions: 0, flush_ms_max: 0, compaction_ms_max: 0, stalls: 0 };

  constructor({ dataDir, memtableMax, log }: LsmOptions) {
    this.memtableMax = memtableMax;
    this.log = log;
    this.dir = join(dataDir, DIR);
    mkdirDurably(this.dir);
    this.aside = new SetAside(dataDir, log);
    this.manifestPath = join(this.dir, MANIFEST);
    const fresh = !existsSync(this.manifestPath);
    this.manifest = fresh
      ? { needadb_lsm: 1, segments: [], first_log: 1, next_segment: 1 }
      : readManifest(this.manifestPath);
    const logs = sweep(this.dir, this.manifest, log);
    const index = join(dataDir, INDEX_FILE);
    this.base = new Segment("base", { data: join(dataDir, SORTED_FILE), index, bloom: "" });
    this.segments = this.manifest.segments.map((s) => new Segment(s, segmentFiles(this.dir, s)));
    for (const level of [this.base, ...this.segments])
      indexFileByEmail(level.files.data, this.byEmail);
    // Replay: every log the manifest still counts becomes a memtable again; all but the
    // newest are frozen and flushed right away.
    this.frozen = logs.slice(0, -1).map((seq) => this.startGeneration(seq));
    this.active = this.startGeneration(logs.at(-1) ?? this.manifest.first_log);
    if (fresh) this.saveManifest(this.manifest);
    for (let i = 0; i < this.frozen.length; i++) this.schedule(() => this.flushOldest());
    this.freezeIfFull();
  }

  /** The newest version of a record: memtable, frozen memtables, segments, then the base. */
  find(id: string): string | undefined {
    const hit = this.active.records.get(id);
    if (hit !== undefined) return hit;
    for (let i = this.frozen.length - 1; i >= 0; i--) {
      const json = (this.frozen[i] as Generation).records.get(id);
      if (json !== undefined) return json;
    }
    for (const segment of this.segments) {
      const json = segment.find(id);
      if (json !== undefined) return json;
    }
    return this.base.find(id);
  }

  findByEmail(email: string): string[] {
    // A record replayed from a log may also be in the segment its flush wrote: once each.
    const ids = [...new Set(this.byEmail.find(email))];
    return ids.flatMap((id) => this.find(id) ?? []);
  }

  async insert(user: User, json: string): Promise<void> {
    if (this.failed) throw this.failed;
    if (this.frozen.length >= MAX_FROZEN) await this.waitForRoom();
    // The record joins the memtable of the log it was written to, even if that memtable
    // was frozen meanwhile: its flush first drains the log, and this line runs before
    // the drain resolves (both are promise callbacks, queued in that order).
    const gen = this.active;
    await gen.appender.submit(json);
    gen.records.set(user.id, json);
    this.byEmail.add(user.email, user.id);
    if (gen === this.active) this.freezeIfFull();
  }

  count(): number {
    const inSegments = this.segments.reduce((n, s) => n + s.entries, this.base.entries);
    return this.frozen.reduce((n, g) => n + g.records.size, inSegments + this.active.records.size);
  }

  fenced(): string | undefined {
    const logs = [this.active, ...this.frozen].map((g) => g.log.fenced());
    return this.failed?.reason ?? logs.find(Boolean);
  }

  levels(): Record<string, number> {
    const { active, frozen, segments } = this;
    return {
      memtable_records: active.records.size,
      frozen_memtables: frozen.length,
      segments: segments.length,
    };
  }

  async close(): Promise<void> {
    await this.active.appender.drain();
    await this.work;
    await this.worker.close();
    this.active.log.close();
    for (const gen of this.frozen) gen.log.close();
    for (const s of this.segments) s.close();
    this.base.close();
  }

  private startGeneration(seq: number): Generation {
    const records = new Map<string, string>();
    const wal = openUserLog(join(this.dir, logName(seq)), this.aside, (user, json) => {
      records.set(user.id, json);
      this.byEmail.add(user.email, user.id);
    });
    const appender = wal.durableAppender({ maxBatch: LOG_MAX_BATCH, maxQueue: LOG_MAX_QUEUE });
    return { seq, log: wal, appender, records };
  }

  private saveManifest(next: Manifest): void {
    const out = new AtomicFile(this.manifestPath);
    out.write(`${JSON.stringify(next)}\n`);
    out.commit();
    this.manifest = next;
  }

  private wakeStalled(): void {
    for (const wake of this.stalled.splice(0)) wake();
  }

  /** Waits until fewer than MAX_FROZEN memtables wait for a flush, up to STALL_MS_MAX. */
  private async waitForRoom(): Promise<void> {
    const deadline = performance.now() + STALL_MS_MAX;
    if (this.frozen.length >= MAX_FROZEN) this.stats.stalls++;
    while (this.frozen.length >= MAX_FROZEN) {
      const left = deadline - performance.now();
      if (this.failed) throw this.failed;
      if (this.full) throw this.full;
      if (left <= 0 || this.stalled.length >= MAX_STALLED_WRITES) {
        throw new OverloadedError(
          `${this.frozen.length} memtables are waiting to be written to disk; retry shortly`,
          1,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.stalled.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  private schedule(job: () => Promise<void>): void {
    this.work = this.work.then(async () => {
      if (this.failed) return;
      try {
        await job();
        this.full = undefined;
      } catch (err) {
        this.jobFailed(job, err);
      }
    });
  }

  /**
   * Either way the records are still in their logs and memtables, so nothing is lost, and
   * the writes waiting now are woken to hear why. A full disk is tried again: the job writes
   * only temporary files until the manifest names them, and the next attempt overwrites
   * those. Anything else fences the store.
   */
  private jobFailed(job: () => Promise<void>, err: unknown): void {
    if (classify(err) === "full") {
      if (!this.full) this.log(`lsm: the disk is full; retrying flushes every ${FULL_RETRY_MS} ms`);
      this.full = new DiskFullError(diskFullMessage("the lsm store's segment files"));
      setTimeout(() => this.schedule(job), FULL_RETRY_MS).unref();
    } else {
      this.failed = new FencedError(`lsm background work failed (${(err as Error).message})`);
      this.log(`lsm: background work failed, no more flushes: ${(err as Error).stack}`);
    }
    this.wakeStalled();
  }

  private async flushOldest(): Promise<void> {
    const gen = this.frozen[0];
    if (!gen) return;
    const started = performance.now();
    await gen.appender.drain();
    const name = segmentName(this.manifest.next_segment);
    await this.worker.write(segmentFiles(this.dir, name), [...gen.records]);
    this.saveManifest({
      ...this.manifest,
      segments: [name, ...this.manifest.segments],
      first_log: gen.seq + 1,
      next_segment: this.manifest.next_segment + 1,
    });
    this.segments = [new Segment(name, segmentFiles(this.dir, name)), ...this.segments];
    this.frozen.shift();
    this.wakeStalled();
    gen.log.close();
    rmSync(gen.log.path, { force: true });
    this.stats.flushes++;
    this.stats.flush_ms_max = Math.max(this.stats.flush_ms_max, performance.now() - started);
    if (this.segments.length > MAX_SEGMENTS) this.schedule(() => this.compact());
  }

  private async compact(): Promise<void> {
    if (this.segments.length <= MAX_SEGMENTS) return;
    const started = performance.now();
    const inputs = this.segments;
    const name = segmentName(this.manifest.next_segment);
    const maxKeys = inputs.reduce((n, s) => n + s.entries, 0);
    const files = segmentFiles(this.dir, name);
    await this.worker.merge(
      files,
      inputs.map((s) => s.files.data),
      maxKeys,
    );
    // Jobs run one at a time, so no flush added a segment meanwhile.
    if (this.segments !== inputs) throw new Error("lsm: segments changed during a compaction");
    this.saveManifest({
      ...this.manifest,
      segments: [name],
      next_segment: this.manifest.next_segment + 1,
    });
    this.segments = [new Segment(name, files)];
    for (const old of inputs) {
      old.close();
      for (const path of Object.values(old.files)) rmSync(path, { force: true });
    }
    this.stats.compactions++;
    this.stats.compaction_ms_max = Math.max(
      this.stats.compaction_ms_max,
      performance.now() - started,
    );
  }

  private freezeIfFull(): void {
    if (this.active.records.size < this.memtableMax) return;
    let next: Generation;
    try {
      next = this.startGeneration(this.active.seq + 1);
    } catch (err) {
      // No room for the next log (a full disk): the memtable grows past its size, and the
      // next write tries again. Its record was acknowledged already and is in the old log.
      this.log(`lsm: could not start log ${this.active.seq + 1}: ${(err as Error).message}`);
      return;
    }
    this.frozen.push(this.active);
    this.active = next;
    this.schedule(() => this.flushOldest());
  }
}
