import { closeSync, fsync } from "node:fs";
import { promisify } from "node:util";
import { openAppend, writeAll } from "./durable-fs.ts";
import { GroupCommit, type GroupCommitLimits } from "./group-commit.ts";
import { loadJsonl } from "./jsonl.ts";
import { isUser, type User } from "./user.ts";

const fsyncAsync = promisify(fsync);

/** The course's data file: one JSON user per line, in the order they were created. */
export const USERS_FILE = "users.jsonl";

/** One record as one line. JSON.stringify escapes newlines, so a record never spans lines. */
export function toLine(user: User): string {
  return `${JSON.stringify(user)}\n`;
}

/**
 * An append-only JSONL file, such as `users.jsonl`, opened once for the life of the process
 * (the course's trick: no open and close per write). Opening it first replays it, which also
 * cuts off a torn tail so that the next append starts on a fresh line.
 */
export class AppendLog {
  readonly path: string;
  private readonly fd: number;

  private constructor(path: string, fd: number) {
    this.path = path;
    this.fd = fd;
  }

  /** Runs `replay` (which reads the file and repairs its tail), then opens it for appends. */
  static open(path: string, replay: () => void): AppendLog {
    replay();
    return new AppendLog(path, openAppend(path));
  }

  /**
   * One write(2) per record on an O_APPEND descriptor, so a record is never split across
   * two writes. The bytes are in the page cache when this returns: safe from a process
   * crash, not from a power cut. durableAppender() is what makes them durable.
   */
  append(json: string): void {
    writeAll(this.fd, Buffer.from(`${json}\n`));
  }

  /**
   * Appends that resolve only once fsynced, with group commit: a batch of lines goes out in
   * one write and one fsync. The write only copies into the page cache, so it runs on the
   * event loop; the fsync, which waits for the device, runs on libuv's thread pool, so
   * requests keep being served meanwhile. (Measured: sending the write to the pool as well
   * cost a second thread hop per flush and ~20% of jsonl-fsync's throughput.)
   */
  durableAppender(limits: Omit<GroupCommitLimits, "start">): GroupCommit<string> {
    return new GroupCommit<string>(
      async (jsons) => {
        writeAll(this.fd, Buffer.from(`${jsons.join("\n")}\n`));
        await fsyncAsync(this.fd);
      },
      { ...limits, start: "now" },
    );
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** Opens a users file, handing each record to `onRecord` first. */
export function openUserLog(
  path: string,
  log: (message: string) => void,
  onRecord: (user: User, json: string, offset: number) => void = () => {},
): AppendLog {
  return AppendLog.open(path, () => loadJsonl(path, isUser, onRecord, log));
}
