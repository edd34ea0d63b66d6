import { duration as formatDuration } from "../report/format.ts";

export { formatDuration };

/** No time left is guessed before this much of the work, or this long, has passed. */
const ETA_AFTER_SHARE = 0.02;
const ETA_AFTER_MS = 2_000;

/** Redraws at most this often on a terminal. */
const REDRAW_MS = 200;
/** Off a terminal (CI logs, pipes), one line per this many percent. */
const LOG_STEP_PERCENT = 10;

/**
 * A one-line progress report for long work. On a terminal it redraws in place; in a log it
 * prints a line every LOG_STEP_PERCENT so a CI log shows the run is alive.
 */
export class Progress {
  private readonly label: string;
  private readonly total: number;
  private readonly started = Date.now();
  private readonly tty = Boolean(process.stderr.isTTY);
  private lastDraw = 0;
  private lastStep = -1;

  constructor(label: string, total: number) {
    this.label = label;
    this.total = total;
  }

  update(done: number, note = ""): void {
    const now = Date.now();
    const percent = this.total > 0 ? Math.floor((done / this.total) * 100) : 100;
    const text = `${this.label}: ${percent}%${note ? ` ${note}` : ""}${this.left(done, now)}`;
    if (this.tty) {
      if (now - this.lastDraw < REDRAW_MS) return;
      this.lastDraw = now;
      process.stderr.write(`\r\x1b[2K${text}`);
    } else {
      const step = Math.floor(percent / LOG_STEP_PERCENT);
      if (step === this.lastStep) return;
      this.lastStep = step;
      process.stderr.write(`${text}\n`);
    }
  }

  /** " · about 1m20s left", from the pace so far, once there is enough of it to go on. */
  private left(done: number, now: number): string {
    const elapsed = now - this.started;
    if (done <= 0 || done >= this.total || elapsed < ETA_AFTER_MS) return "";
    if (done / this.total < ETA_AFTER_SHARE) return "";
    return ` · about ${formatDuration(((elapsed / done) * (this.total - done)) / 1000)} left`;
  }

  finish(note = ""): void {
    const seconds = ((Date.now() - this.started) / 1000).toFixed(1);
    const text = `${this.label}: done in ${seconds} s${note ? `, ${note}` : ""}`;
    process.stderr.write(this.tty ? `\r\x1b[2K${text}\n` : `${text}\n`);
  }
}
