// The LSM store: what the course's "Writes Break the Index" lesson ends up reinventing.
// The sorted file and its 58-byte index (the `binary` approach) cannot take a write without
// being rewritten, so writes go elsewhere first and reach sorted files in bulk:
//
// 1. A write is appended to a write-ahead log (group commit: acknowledged after an fsync
//    that covers it) and then put in the memtable, an in-memory Map.
// 2. When the memtable holds MEMTABLE_MAX_RECORDS, it is frozen (still readable), a new log
//    starts, and a worker thread writes the frozen records, sorted, as an immutable segment
//    with its own index and Bloom filter. Then the manifest names the segment and the log
//    it replaces is deleted.
// 3. A read looks in the memtable, the frozen memtables, then the segments newest first
//    (each skipped when its Bloom filter rules the id out), then the seeded base files.
// 4. When more than MAX_SEGMENTS segments exist, the worker merges them into one.
//
// The manifest (lsm/MANIFEST.json, replaced atomically) is the one source of truth for
// which segments are live and which logs still matter. Every new file is durable before the
// manifest names it, and a file is deleted only after a durable manifest stopped naming it.
// So at start-up, anything else in lsm/ is the leftover of a crash and is removed, and the
// logs the manifest names are replayed: the memtables, never the whole data set.

import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { AtomicFile, mkdirDurably } from "../lib/durable-fs.ts";
import { EmailIndex, indexFileByEmail } from "../lib/email-lookup.ts";
import type { GroupCommit } from "../lib/group-commit.ts";
import { Segment, SegmentWorker, segmentFiles } from "../lib/lsm-segment.ts";
import { ORDERS_ALTERNATIVES } from "../lib/order.ts";
import { SetAside } from "../lib/set-aside.ts";
import { INDEX_FILE, SORTED_FILE } from "../lib/sorted-file.ts";
import {
  classify,
  DiskFullError,
  diskFullMessage,
  FencedError,
  OverloadedError,
} from "../lib/storage-errors.ts";
import { type AppendLog, openUserLog } from "../lib/user-log.ts";
import type { OpenStore } from "./_types.ts";

const DIR = "lsm";
const MANIFEST = "MANIFEST.json";
/** Records in the memtable before it is frozen and flushed. LSM_MEMTABLE_RECORDS overrides it (the crash lab uses a small one). */
const MEMTABLE_MAX_RECORDS = 50_000;
const MEMTABLE_RECORDS_RANGE = [10, 1_000_000] as const;
/** Live segments (besides the seeded base) before they are merged into one. */
const MAX_SEGMENTS = 4;
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

const logName = (seq: number) => `log-${String(seq).padStart(6, "0")}.jsonl`;
const segmentName = (n: number) => `seg-${String(n).padStart(6, "0")}`;

export const processes = {
  many: false,
  why: "each process keeps its own memtable, so users written through one process would be missing from the others until a flush, and two processes would flush over each other",
};

/** The seeded sorted pair is the oldest level; nothing else is needed at start. */
export const files = [SORTED_FILE, INDEX_FILE];

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

function memtableLimit(env: Record<string, string | undefined>): number {
  if (env.LSM_MEMTABLE_RECORDS === undefined) return MEMTABLE_MAX_RECORDS;
  const n = Number(env.LSM_MEMTABLE_RECORDS);
  const [min, max] = MEMTABLE_RECORDS_RANGE;
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new Error(
      `LSM_MEMTABLE_RECORDS must be a whole number from ${min} to ${max}, not "${env.LSM_MEMTABLE_RECORDS}"`,
    );
  }
  return n;
}

export const open: OpenStore = ({ dataDir, env, log }) => {
  const memtableMax = memtableLimit(env);
  const dir = join(dataDir, DIR);
  mkdirDurably(dir);
  const aside = new SetAside(dataDir, log);
  const manifestPath = join(dir, MANIFEST);
  let manifest: Manifest = existsSync(manifestPath)
    ? readManifest(manifestPath)
    : { needadb_lsm: 1, segments: [], first_log: 1, next_segment: 1 };

  // Whatever the manifest does not name is a crash's leftover: a segment that was never
  // installed, one that a compaction replaced, a temporary file, or a log already flushed.
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
  logs.sort((a, b) => a - b);

  // The seeded pair is the oldest level. It has no Bloom filter: it is searched only after
  // every other level has missed, and then it must be searched anyway.
  const base = new Segment("base", {
    data: join(dataDir, SORTED_FILE),
    index: join(dataDir, INDEX_FILE),
    bloom: "",
  });
  let segments = manifest.segments.map((s) => new Segment(s, segmentFiles(dir, s)));
  const worker = new SegmentWorker();

  // Lookups by email: sorted files keyed by id cannot answer them, so the store keeps a
  // second index in memory, email -> ids, built from every level at start and added to at
  // every write. It maps to ids, not to places in files, so flushes and compactions, which
  // move records between files, leave it right.
  const byEmail = new EmailIndex();
  for (const level of [base, ...segments]) indexFileByEmail(level.files.data, byEmail);

  function startGeneration(seq: number): Generation {
    const records = new Map<string, string>();
    const wal = openUserLog(join(dir, logName(seq)), aside, (user, json) => {
      records.set(user.id, json);
      byEmail.add(user.email, user.id);
    });
    const appender = wal.durableAppender({ maxBatch: LOG_MAX_BATCH, maxQueue: LOG_MAX_QUEUE });
    return { seq, log: wal, appender, records };
  }

  // Replay: every log the manifest still counts becomes a memtable again; all but the
  // newest are frozen and flushed right away.
  const frozen: Generation[] = logs.slice(0, -1).map(startGeneration);
  let active = startGeneration(logs.at(-1) ?? manifest.first_log);

  function saveManifest(next: Manifest): void {
    const out = new AtomicFile(manifestPath);
    out.write(`${JSON.stringify(next)}\n`);
    out.commit();
    manifest = next;
  }

  // Flushes and compactions run one at a time, in order, on this chain.
  let work: Promise<void> = Promise.resolve();
  // Set when background work failed in a way that is not a full disk: the store is fenced.
  let failed: FencedError | undefined;
  // Set while background work fails for lack of space; cleared when a job next succeeds.
  let full: DiskFullError | undefined;
  const stats = { flushes: 0, compactions: 0, flush_ms_max: 0, compaction_ms_max: 0, stalls: 0 };
  // Writes waiting for a flush to land, woken when one does (or when flushing fails).
  const stalled: (() => void)[] = [];
  const wakeStalled = () => {
    for (const wake of stalled.splice(0)) wake();
  };

  /** Waits until fewer than MAX_FROZEN memtables wait for a flush, up to STALL_MS_MAX. */
  async function waitForRoom(): Promise<void> {
    const deadline = performance.now() + STALL_MS_MAX;
    if (frozen.length >= MAX_FROZEN) stats.stalls++;
    while (frozen.length >= MAX_FROZEN) {
      const left = deadline - performance.now();
      if (failed) throw failed;
      if (full) throw full;
      if (left <= 0 || stalled.length >= MAX_STALLED_WRITES) {
        throw new OverloadedError(
          `${frozen.length} memtables are waiting to be written to disk; retry shortly`,
          1,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        stalled.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  function schedule(job: () => Promise<void>): void {
    work = work.then(async () => {
      if (failed) return;
      try {
        await job();
        full = undefined;
      } catch (err) {
        // Either way the records are still in their logs and memtables, so nothing is lost,
        // and the writes waiting now are woken to hear why. A full disk is tried again: the
        // job writes only temporary files until the manifest names them, and the next
        // attempt overwrites those. Anything else fences the store.
        if (classify(err) === "full") {
          if (!full) log(`lsm: the disk is full; retrying flushes every ${FULL_RETRY_MS} ms`);
          full = new DiskFullError(diskFullMessage("the lsm store's segment files"));
          setTimeout(() => schedule(job), FULL_RETRY_MS).unref();
        } else {
          failed = new FencedError(`lsm background work failed (${(err as Error).message})`);
          log(`lsm: background work failed, no more flushes: ${(err as Error).stack}`);
        }
        wakeStalled();
      }
    });
  }

  async function flushOldest(): Promise<void> {
    const gen = frozen[0];
    if (!gen) return;
    const started = performance.now();
    await gen.appender.drain();
    const name = segmentName(manifest.next_segment);
    await worker.write(segmentFiles(dir, name), [...gen.records]);
    saveManifest({
      ...manifest,
      segments: [name, ...manifest.segments],
      first_log: gen.seq + 1,
      next_segment: manifest.next_segment + 1,
    });
    segments = [new Segment(name, segmentFiles(dir, name)), ...segments];
    frozen.shift();
    wakeStalled();
    gen.log.close();
    rmSync(gen.log.path, { force: true });
    stats.flushes++;
    stats.flush_ms_max = Math.max(stats.flush_ms_max, performance.now() - started);
    if (segments.length > MAX_SEGMENTS) schedule(compact);
  }

  async function compact(): Promise<void> {
    if (segments.length <= MAX_SEGMENTS) return;
    const started = performance.now();
    const inputs = segments;
    const name = segmentName(manifest.next_segment);
    const maxKeys = inputs.reduce((n, s) => n + s.entries, 0);
    await worker.merge(
      segmentFiles(dir, name),
      inputs.map((s) => s.files.data),
      maxKeys,
    );
    // Jobs run one at a time, so no flush added a segment meanwhile.
    if (segments !== inputs) throw new Error("lsm: segments changed during a compaction");
    saveManifest({ ...manifest, segments: [name], next_segment: manifest.next_segment + 1 });
    segments = [new Segment(name, segmentFiles(dir, name))];
    for (const old of inputs) {
      old.close();
      for (const path of Object.values(old.files)) rmSync(path, { force: true });
    }
    stats.compactions++;
    stats.compaction_ms_max = Math.max(stats.compaction_ms_max, performance.now() - started);
  }

  function freezeIfFull(): void {
    if (active.records.size < memtableMax) return;
    let next: Generation;
    try {
      next = startGeneration(active.seq + 1);
    } catch (err) {
      // No room for the next log (a full disk): the memtable grows past its size, and the
      // next write tries again. Its record was acknowledged already and is in the old log.
      log(`lsm: could not start log ${active.seq + 1}: ${(err as Error).message}`);
      return;
    }
    frozen.push(active);
    active = next;
    schedule(flushOldest);
  }

  /** The newest version of a record: memtable, frozen memtables, segments, then the base. */
  function find(id: string): string | undefined {
    const hit = active.records.get(id);
    if (hit !== undefined) return hit;
    for (let i = frozen.length - 1; i >= 0; i--) {
      const json = (frozen[i] as Generation).records.get(id);
      if (json !== undefined) return json;
    }
    for (const segment of segments) {
      const json = segment.find(id);
      if (json !== undefined) return json;
    }
    return base.find(id);
  }

  if (!existsSync(manifestPath)) saveManifest(manifest);
  for (let i = 0; i < frozen.length; i++) schedule(flushOldest);
  freezeIfFull();

  return {
    durability: {
      survives: "power-loss",
      claim:
        "Survives a power loss: a write is acknowledged after an fsync of the log covers it, and segments are durable before the manifest names them.",
    },
    details: {
      memtable_max_records: memtableMax,
      max_segments: MAX_SEGMENTS,
      email_lookup: "a second index in memory (email -> ids), built at start from every level",
    },
    findByEmail(email) {
      // A record replayed from a log may also be in the segment its flush wrote: once each.
      const ids = [...new Set(byEmail.find(email))];
      return ids.flatMap((id) => find(id) ?? []);
    },
    get: find,
    fenced: () => failed?.reason ?? [active, ...frozen].map((g) => g.log.fenced()).find(Boolean),
    async insert(user, json) {
      if (failed) throw failed;
      if (frozen.length >= MAX_FROZEN) await waitForRoom();
      // The record joins the memtable of the log it was written to, even if that memtable
      // was frozen meanwhile: its flush first drains the log, and this line runs before
      // the drain resolves (both are promise callbacks, queued in that order).
      const gen = active;
      await gen.appender.submit(json);
      gen.records.set(user.id, json);
      byEmail.add(user.email, user.id);
      if (gen === active) freezeIfFull();
    },
    count: () =>
      base.entries +
      segments.reduce((n, s) => n + s.entries, 0) +
      frozen.reduce((n, g) => n + g.records.size, active.records.size),
    orders: {
      unsupported: `lsm stores users only: an order's stock change spans several keys, and its log has no commit record for that yet; ${ORDERS_ALTERNATIVES}`,
    },
    stats: () => ({
      memtable_records: active.records.size,
      frozen_memtables: frozen.length,
      segments: segments.length,
      ...stats,
    }),
    async close() {
      await active.appender.drain();
      await work;
      await worker.close();
      active.log.close();
      for (const gen of frozen) gen.log.close();
      for (const s of segments) s.close();
      base.close();
    },
  };
};
