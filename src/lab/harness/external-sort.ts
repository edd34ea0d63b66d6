// Sorting more records than fit in memory, for the seed: records arrive in any order, go to
// sorted runs on disk of RUN_RECORDS each, and come back out in order through a k-way merge
// (a binary heap over the runs' next records). Memory holds one run while sorting, and one
// read buffer per run while merging: bounded, whatever the count.
import { closeSync, mkdirSync, openSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { iterateLines } from "../../lib/files/jsonl.ts";

/** Records per sorted run: about 100 MB of JavaScript strings at the seed's record size. */
export const RUN_RECORDS = 250_000;
/** Each run is read back in pieces of this size while merging. */
const RUN_READ_BYTES = 256 * 1024;
/** Runs are written in pieces of about this many characters. */
const WRITE_CHARS = 1 << 20;

/** A record: its sort key and its line (without the newline, which no line holds). */
export type Keyed = readonly [key: string, line: string];

export class ExternalSort {
  private readonly dir: string;
  private readonly runs: string[] = [];
  private pending: Keyed[] = [];
  private readonly runRecords: number;

  /** Runs go in `dir`, which this creates and `close` removes. */
  constructor(dir: string, runRecords = RUN_RECORDS) {
    if (!(runRecords >= 1)) throw new RangeError(`a run must hold a record, not ${runRecords}`);
    this.dir = dir;
    this.runRecords = runRecords;
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
  }

  add(record: Keyed): void {
    this.pending.push(record);
    if (this.pending.length >= this.runRecords) this.spill();
  }

  /** Every record added, in key order. A key may appear once only. */
  *sorted(): Generator<Keyed> {
    this.spill();
    const heads = new Heap();
    const iterators = this.runs.map((path) => lines(path));
    for (const it of iterators) heads.push(it);
    let previous: string | undefined;
    for (let head = heads.pop(); head; head = heads.pop()) {
      if (previous !== undefined && head.record[0] <= previous)
        throw new Error(`external sort: ${head.record[0]} is out of order or repeated`);
      previous = head.record[0];
      yield head.record;
      heads.push(head.rest);
    }
  }

  close(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  private spill(): void {
    if (this.pending.length === 0) return;
    this.pending.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const path = join(this.dir, `run-${this.runs.length}`);
    const fd = openSync(path, "w");
    try {
      let batch = "";
      for (const [key, line] of this.pending) {
        batch += `${key}\t${line}\n`;
        if (batch.length >= WRITE_CHARS) {
          writeSync(fd, batch);
          batch = "";
        }
      }
      writeSync(fd, batch);
    } finally {
      closeSync(fd);
    }
    this.runs.push(path);
    this.pending = [];
  }
}

/** A run's records, read back. A key holds no tab, so the first tab ends it. */
function* lines(path: string): Generator<Keyed> {
  const fd = openSync(path, "r");
  try {
    for (const text of iterateLines(fd, RUN_READ_BYTES)) {
      const tab = text.indexOf("\t");
      yield [text.slice(0, tab), text.slice(tab + 1)];
    }
  } finally {
    closeSync(fd);
  }
}

interface Head {
  record: Keyed;
  rest: Iterator<Keyed>;
}

/** A min-heap of the runs' next records, by key. */
class Heap {
  private readonly items: Head[] = [];

  /** Takes the iterator's next record in, if it has one. */
  push(rest: Iterator<Keyed>): void {
    const next = rest.next();
    if (next.done) return;
    const items = this.items;
    items.push({ record: next.value, rest });
    for (let i = items.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1;
      if (this.key(parent) <= this.key(i)) break;
      [items[parent], items[i]] = [items[i] as Head, items[parent] as Head];
      i = parent;
    }
  }

  pop(): Head | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length === 0 || !last) return top;
    items[0] = last;
    for (let i = 0; ; ) {
      const l = 2 * i + 1;
      const r = l + 1;
      let least = i;
      if (l < items.length && this.key(l) < this.key(least)) least = l;
      if (r < items.length && this.key(r) < this.key(least)) least = r;
      if (least === i) break;
      [items[least], items[i]] = [items[i] as Head, items[least] as Head];
      i = least;
    }
    return top;
  }

  private key(i: number): string {
    return (this.items[i] as Head).record[0];
  }
}
