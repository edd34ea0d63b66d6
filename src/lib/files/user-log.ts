import { closeSync, fstatSync, fsync, ftruncateSync } from "node:fs";
import { basename } from "node:path";
import { promisify } from "node:util";
import { GroupCommit, type GroupCommitLimits } from "../group-commit.ts";
import {
  classify,
  DiskFullError,
  describe,
  diskFullMessage,
  FencedError,
} from "../storage-errors.ts";
import { isUser, type User } from "../user.ts";
import { openAppend, writeAll } from "./durable-fs.ts";
import { loadJsonl } from "./jsonl.ts";
import type { SetAside } from "./set-aside.ts";

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
 *
 * An append is all or nothing. A write cut short (the disk filled up halfway through a
 * record) is cut back to the last whole record before the error is thrown, so the next
 * append can never land after a torn line: left there, it would turn a later, acknowledged
 * record into a corrupt line in the middle of the file. A full disk is a DiskFullError and
 * the log keeps working once space returns. Any other failure, or a cut that fails, or a
 * failed fsync, fences the log: every later append throws the same FencedError, because
 * what is on disk is no longer known. The single-process stores use this; several
 * processes appending to one file use SharedUserLog instead.
 */
export class AppendLog {
  readonly path: string;
  private readonly fd: number;
  /** Bytes of whole records in the file: where the next append starts. */
  private size: number;
  private fence: FencedError | undefined;

  private constructor(path: string, fd: number) {
    this.path = path;
    this.fd = fd;
    this.size = fstatSync(fd).size;
  }

  /** Runs `replay` (which reads the file and repairs its tail), then opens it for appends. */
  static open(path: string, replay: () => void): AppendLog {
    replay();
    return new AppendLog(path, openAppend(path));
  }

  /**
   * One record, on an O_APPEND descriptor. The bytes are in the page cache when this
   * returns: safe from a process crash, not from a power cut. durableAppender() is what
   * makes them durable.
   */
  append(json: string): void {
    this.write(Buffer.from(`${json}\n`));
  }

  /** Why appends are refused until a restart, or undefined if they are not. */
  fenced(): string | undefined {
    return this.fence?.reason;
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
        this.write(Buffer.from(`${jsons.join("\n")}\n`));
        try {
          await fsyncAsync(this.fd);
        } catch (err) {
          throw this.fenceWith(`fsync of ${basename(this.path)} failed (${describe(err)})`);
        }
      },
      { ...limits, start: "now" },
    );
  }

  close(): void {
    closeSync(this.fd);
  }

  /** Appends `bytes` whole, or throws with the file as it was before. */
  private write(bytes: Buffer): void {
    if (this.fence) throw this.fence;
    try {
      writeAll(this.fd, bytes);
    } catch (err) {
      try {
        ftruncateSync(this.fd, this.size);
      } catch (cutErr) {
        throw this.fenceWith(
          `an append to ${basename(this.path)} failed (${describe(err)}) and could not be cut back (${describe(cutErr)})`,
        );
      }
      if (classify(err) === "full") throw new DiskFullError(diskFullMessage(basename(this.path)));
      throw this.fenceWith(`an append to ${basename(this.path)} failed (${describe(err)})`);
    }
    this.size += bytes.length;
  }

  private fenceWith(reason: string): FencedError {
    this.fence = new FencedError(reason);
    return this.fence;
  }
}

/** Opens a users file, handing each record to `onRecord` first; `aside` keeps what recovery cuts. */
export function openUserLog(
  path: string,
  aside: SetAside,
  onRecord: (user: User, json: string) => void = () => {},
): AppendLog {
  return AppendLog.open(path, () => loadJsonl(path, isUser, onRecord, aside));
}
