// A lock on a directory for engines that take none of their own (PGlite): a file holding the
// pid of the process that owns the directory, and a token of the one opening in it. A second
// process, or a second thread of the same one, finds it and refuses, naming the holder. A
// lock whose process is gone (killed, so it never released it) is taken over: the kernel
// says whether a pid lives, and a dead one can hold nothing.
import { randomUUID } from "node:crypto";
import { closeSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { fsyncDir } from "./durable-fs.ts";

export type Lock = { release(): void } | { heldBy: number };

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** "pid token": who holds the lock. */
const contentOf = (path: string) => readFileSync(path, "utf8").trim();

function write(path: string, text: string, flags: "wx" | "w"): void {
  const fd = openSync(path, flags);
  try {
    writeSync(fd, `${text}\n`);
  } finally {
    closeSync(fd);
  }
}

/** Takes the lock at `path`, or says which live process holds it. */
export function takeLock(path: string): Lock {
  const mine = `${process.pid} ${randomUUID()}`;
  try {
    write(path, mine, "wx");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    const holder = Number(contentOf(path).split(" ")[0]);
    if (Number.isInteger(holder) && holder > 0 && alive(holder)) return { heldBy: holder };
    // The holder is gone: the lock is ours, replaced in one step so that no other process
    // taking it over at the same moment can see it missing.
    const temp = `${path}.${process.pid}`;
    write(temp, mine, "w");
    renameSync(temp, path);
  }
  fsyncDir(dirname(path));
  return {
    release() {
      if (contentOf(path) === mine) unlinkSync(path);
    },
  };
}
