import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  writeSync,
} from "node:fs";
import { dirname } from "node:path";

/** fsync of `path`, a file or a directory (Linux lets a read-only descriptor fsync either). */
export function fsyncPath(path: string): void {
  const fd = openSync(path, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * A file's data is durable after fsync of the file; its *name* is durable only after fsync
 * of the directory that holds it. Skipping the second is the classic mistake (ALICE,
 * OSDI 2014): after a power cut the file is intact but its directory entry is gone.
 */
export function fsyncDir(dir: string): void {
  fsyncPath(dir);
}

/**
 * Creates directory `dir` if it is missing, and makes its name durable (fsync of the parent):
 * a directory created and never synced into its parent vanishes in a power cut, and
 * everything in it with it, however carefully those files were synced.
 */
export function mkdirDurably(dir: string): void {
  if (existsSync(dir)) return;
  mkdirDurably(dirname(dir));
  mkdirSync(dir);
  fsyncDir(dirname(dir));
}

/**
 * Opens `path` for appending, creating it if needed. A newly created file has its directory
 * entry made durable before anything is written, so that fsyncs of the file later protect
 * a name that will still exist after a power cut.
 */
export function openAppend(path: string): number {
  const created = !existsSync(path);
  if (created) mkdirDurably(dirname(path));
  const fd = openSync(path, "a");
  if (created) fsyncDir(dirname(path));
  return fd;
}

/** Writes every byte of `data` at the descriptor's position; writeSync may write less. */
export function writeAll(fd: number, data: Uint8Array): void {
  let written = 0;
  while (written < data.length) written += writeSync(fd, data, written);
}

/**
 * Builds a file under a temporary name and swaps it in only when it is complete and
 * durable: write temp, fsync, rename over the target, fsync the directory. A crash at any
 * point leaves either the old file or the new one, never a half-written one.
 */
export class AtomicFile {
  readonly path: string;
  readonly tempPath: string;
  private fd: number;
  private done = false;

  constructor(path: string) {
    mkdirDurably(dirname(path));
    this.path = path;
    this.tempPath = `${path}.tmp-${process.pid}`;
    this.fd = openSync(this.tempPath, "w");
  }

  write(data: string | Uint8Array): void {
    writeAll(this.fd, typeof data === "string" ? Buffer.from(data) : data);
  }

  commit(): void {
    if (this.done) throw new Error(`AtomicFile ${this.path}: already finished`);
    this.done = true;
    fsyncSync(this.fd);
    closeSync(this.fd);
    renameSync(this.tempPath, this.path);
    fsyncDir(dirname(this.path));
  }

  /** Throws the temporary file away; the target is untouched. */
  abort(): void {
    if (this.done) return;
    this.done = true;
    closeSync(this.fd);
    rmSync(this.tempPath, { force: true });
  }
}

/** Moves an already durable file (e.g. a finished SQLite database) into place atomically. */
export function renameDurably(from: string, to: string): void {
  const fd = openSync(from, "r+");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(from, to);
  fsyncDir(dirname(to));
}
