import { fsync } from "node:fs";
import { promisify } from "node:util";
import { writeAll } from "./durable-fs.ts";

const fsyncAsync = promisify(fsync);

/** Thrown when the queue is full: the caller answers 503 and the client retries later. */
export class OverloadedError extends Error {
  readonly retryAfterS: number;
  constructor(queued: number, retryAfterS: number) {
    super(`the write queue is full (${queued} records waiting for the disk); retry shortly`);
    this.name = "OverloadedError";
    this.retryAfterS = retryAfterS;
  }
}

export interface AppenderLimits {
  /**
   * Records written and fsynced together. 1 means one fsync per record, as the course's
   * "JSONL with fsync" does; more is group commit.
   */
  maxBatchRecords: number;
  /** Records waiting for the disk before new ones are refused with OverloadedError. */
  maxQueueRecords: number;
}

interface Pending {
  line: Buffer;
  resolve: () => void;
  reject: (err: Error) => void;
}

/**
 * Appends lines to a file descriptor and resolves each append only after an fsync that
 * covers it. Exactly one write+fsync is in flight at a time; appends that arrive meanwhile
 * wait in a bounded queue and go out together, up to maxBatchRecords, in one write and one
 * fsync, in arrival order. Nothing waits on a timer: an idle appender flushes a lone record
 * at once, and batches grow only while the disk is busy.
 *
 * The write only copies into the page cache (microseconds), so it runs right here; the fsync,
 * which waits for the device, runs on libuv's thread pool, so the event loop keeps serving
 * requests while the disk works. (Measured: sending the write to the pool as well cost a
 * second thread hop per flush and ~20% of jsonl-fsync's throughput.)
 *
 * If a write or fsync fails, the appender stops for good: after a failed fsync the kernel
 * may have dropped the dirty pages, so a retried fsync could report success for data that
 * is gone (PostgreSQL's "fsyncgate"). Every waiting and later append is rejected.
 */
export class DurableAppender {
  private readonly fd: number;
  private readonly limits: AppenderLimits;
  private queue: Pending[] = [];
  private flushing = false;
  private failed: Error | undefined;
  private idleWaiters: (() => void)[] = [];
  /** Records per flush, for reporting batch sizes: [flushes, records]. */
  readonly stats = { flushes: 0, records: 0, maxBatch: 0 };

  constructor(fd: number, limits: AppenderLimits) {
    if (!(limits.maxBatchRecords >= 1 && limits.maxQueueRecords >= limits.maxBatchRecords)) {
      throw new Error(`DurableAppender: bad limits ${JSON.stringify(limits)}`);
    }
    this.fd = fd;
    this.limits = limits;
  }

  /** Resolves once `line` is on disk; rejects with OverloadedError when the queue is full. */
  append(line: Buffer): Promise<void> {
    if (this.failed) return Promise.reject(this.failed);
    if (this.queue.length >= this.limits.maxQueueRecords) {
      return Promise.reject(new OverloadedError(this.queue.length, 1));
    }
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ line, resolve, reject });
      if (!this.flushing) void this.flushLoop();
    });
  }

  /** Resolves when everything queued so far is on disk (or has failed). */
  drain(): Promise<void> {
    if (!this.flushing) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async flushLoop(): Promise<void> {
    this.flushing = true;
    try {
      while (this.queue.length > 0 && !this.failed) {
        const batch = this.queue.splice(0, this.limits.maxBatchRecords);
        try {
          await this.writeAndSync(batch);
        } catch (err) {
          this.failed = new Error(
            `the data file could not be made durable: ${(err as Error).message}`,
          );
          for (const p of [...batch, ...this.queue.splice(0)]) p.reject(this.failed);
          return;
        }
        this.stats.flushes++;
        this.stats.records += batch.length;
        if (batch.length > this.stats.maxBatch) this.stats.maxBatch = batch.length;
        for (const p of batch) p.resolve();
      }
    } finally {
      this.flushing = false;
      for (const wake of this.idleWaiters.splice(0)) wake();
    }
  }

  private async writeAndSync(batch: Pending[]): Promise<void> {
    const data =
      batch.length === 1 ? (batch[0] as Pending).line : Buffer.concat(batch.map((p) => p.line));
    writeAll(this.fd, data);
    await fsyncAsync(this.fd);
  }
}
