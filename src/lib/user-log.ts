import { closeSync } from "node:fs";
import { type AppenderLimits, DurableAppender } from "./durable-appender.ts";
import { openAppend, writeAll } from "./durable-fs.ts";
import { loadJsonl } from "./jsonl.ts";
import { isUser, type User } from "./user.ts";

/** The course's data file: one JSON user per line, in the order they were created. */
export const USERS_FILE = "users.jsonl";

/** One record as one line. JSON.stringify escapes newlines, so a record never spans lines. */
export function toLine(user: User): string {
  return `${JSON.stringify(user)}\n`;
}

/**
 * An append-only JSONL file of users, such as `users.jsonl`, opened once for the life of the process (the course's trick: no open and
 * close per write). Opening it reads every record once, which also cuts off a torn tail so
 * that the next append starts on a fresh line.
 */
export class UserLog {
  readonly path: string;
  private readonly fd: number;

  private constructor(path: string, fd: number) {
    this.path = path;
    this.fd = fd;
  }

  static open(
    path: string,
    log: (message: string) => void,
    onRecord: (user: User, json: string, offset: number) => void = () => {},
  ): UserLog {
    loadJsonl(path, isUser, onRecord, log);
    return new UserLog(path, openAppend(path));
  }

  /**
   * One write(2) per record on an O_APPEND descriptor, so a record is never split across
   * two writes. The bytes are in the page cache when this returns: safe from a process
   * crash, not from a power cut. A DurableAppender is what makes them durable.
   */
  append(json: string): void {
    writeAll(this.fd, Buffer.from(`${json}\n`));
  }

  /** Appends that resolve only once fsynced; see DurableAppender. */
  durableAppender(limits: AppenderLimits): DurableAppender {
    return new DurableAppender(this.fd, limits);
  }

  close(): void {
    closeSync(this.fd);
  }
}
