import { FencedError, OverloadedError, RefusedWrite } from "./storage-errors.ts";

export interface GroupCommitLimits {
  /**
   * Items made durable together. 1 means one flush (one fsync) per item, as the course's
   * "JSONL with fsync" does; more is group commit.
   */
  maxBatch: number;
  /** Items waiting before new ones are refused with OverloadedError. */
  maxQueue: number;
  /**
   * When an idle committer starts a flush. "now" suits a flush that waits off the event
   * loop (an async fsync): the first item goes at once and later ones gather meanwhile.
   * "after-io" suits a flush that blocks the event loop (a synchronous SQLite COMMIT): it
   * waits until the requests already read from the network have queued their items too,
   * or every batch would hold one item.
   */
  start: "now" | "after-io";
}

/** Makes a batch durable, all of it or none of it. */
export type Flush<T> = (batch: T[]) => void | Promise<void>;

interface Waiting<T> {
  item: T;
  resolve: () => void;
  reject: (err: Error) => void;
}

/**
 * Group commit. Each submitted item resolves only after a flush that covers it has
 * finished. One flush runs at a time; items that arrive meanwhile wait in a bounded queue
 * and go out together in the next flush, in arrival order, up to maxBatch. Nothing waits
 * on a timer: an idle committer flushes a lone item straight away, and batches grow only
 * while the disk is busy, so they are as large as the load makes them and no larger.
 *
 * If a flush fails, the committer stops for good (it is fenced), unless the flush threw a
 * RefusedWrite, which says that nothing of the batch is left on disk (a full queue, a full
 * disk whose partial write was cut back): then only that batch fails, and the next may pass.
 * After a failed fsync the kernel may have dropped the dirty pages, so a retry could report
 * success for data that is gone (PostgreSQL's "fsyncgate"). Every waiting and later item is
 * rejected with a FencedError, and `fenced()` says why until the process restarts.
 */
export class GroupCommit<T> {
  private readonly flush: Flush<T>;
  private readonly limits: GroupCommitLimits;
  private queue: Waiting<T>[] = [];
  private busy = false;
  private failed: FencedError | undefined;
  private idleWaiters: (() => void)[] = [];
  /** How the batches came out, for the report. */
  readonly stats = { flushes: 0, items: 0, maxBatch: 0 };

  constructor(flush: Flush<T>, limits: GroupCommitLimits) {
    if (!(limits.maxBatch >= 1 && limits.maxQueue >= limits.maxBatch)) {
      throw new Error(`GroupCommit: bad limits ${JSON.stringify(limits)}`);
    }
    this.flush = flush;
    this.limits = limits;
  }

  /** Resolves once `item` is durable; rejects with OverloadedError when the queue is full. */
  submit(item: T): Promise<void> {
    if (this.failed) return Promise.reject(this.failed);
    if (this.queue.length >= this.limits.maxQueue) {
      return Promise.reject(
        new OverloadedError(
          `the write queue is full (${this.queue.length} records waiting for the disk); retry shortly`,
          1,
        ),
      );
    }
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (this.busy) return;
      this.busy = true;
      if (this.limits.start === "now") void this.run();
      else setImmediate(() => void this.run());
    });
  }

  /** Why the committer refuses every write until a restart, or undefined if it does not. */
  fenced(): string | undefined {
    return this.failed?.reason;
  }

  /** The batches so far, as GET /health reports them. */
  report(): Record<string, number> {
    const { flushes, items, maxBatch } = this.stats;
    return {
      flushes,
      flushed_records: items,
      avg_batch: flushes ? items / flushes : 0,
      max_batch: maxBatch,
    };
  }

  /** Resolves when everything submitted so far has been flushed (or has failed). */
  drain(): Promise<void> {
    if (!this.busy) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async run(): Promise<void> {
    try {
      while (this.queue.length > 0 && !this.failed) {
        const batch = this.queue.splice(0, this.limits.maxBatch);
        try {
          await this.flush(batch.map((w) => w.item));
        } catch (err) {
          // Nothing of this batch is on disk: only it fails, and the next may pass.
          if (err instanceof RefusedWrite) {
            for (const w of batch) w.reject(err);
            continue;
          }
          this.failed =
            err instanceof FencedError
              ? err
              : new FencedError(`writes could not be made durable (${(err as Error).message})`);
          for (const w of [...batch, ...this.queue.splice(0)]) w.reject(this.failed);
          return;
        }
        this.stats.flushes++;
        this.stats.items += batch.length;
        if (batch.length > this.stats.maxBatch) this.stats.maxBatch = batch.length;
        for (const w of batch) w.resolve();
        // A blocking flush held up the network: let waiting requests queue before the next.
        if (this.limits.start === "after-io" && this.queue.length < this.limits.maxBatch) {
          await new Promise((r) => setImmediate(r));
        }
      }
    } finally {
      this.busy = false;
      for (const wake of this.idleWaiters.splice(0)) wake();
    }
  }
}
