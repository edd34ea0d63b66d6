// What the lab reads about a server process from Linux's /proc while a cell runs.
import { readFileSync } from "node:fs";

/** Kernel clock ticks per second, for /proc/<pid>/stat times (USER_HZ, 100 on Linux). */
const TICKS_PER_S = 100;

export interface ProcSample {
  at_ms: number;
  /** user + system CPU time so far, in seconds. */
  cpu_s: number;
  /** Peak resident set size so far (VmHWM), in bytes. */
  peak_rss_bytes: number;
  rss_bytes: number;
  /** Bytes the process has sent (or dirtied) towards storage: file writes, not sockets. */
  write_bytes: number;
}

function statusKb(status: string, field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status);
  return match ? Number(match[1]) * 1024 : 0;
}

/** Reads the process's counters; undefined if it has exited or /proc is not there. */
export function sampleProcess(pid: number): ProcSample | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name, which is in parentheses and may contain spaces.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const io = readFileSync(`/proc/${pid}/io`, "utf8");
    return {
      at_ms: performance.now(),
      cpu_s: ticks / TICKS_PER_S,
      peak_rss_bytes: statusKb(status, "VmHWM"),
      rss_bytes: statusKb(status, "VmRSS"),
      write_bytes: Number(/^write_bytes: (\d+)/m.exec(io)?.[1] ?? 0),
    };
  } catch {
    return undefined;
  }
}

/** CPU used between two samples, in cores (1.0 = one core busy the whole time). */
export function cpuCores(from: ProcSample, to: ProcSample): number {
  const wall_s = (to.at_ms - from.at_ms) / 1000;
  return wall_s > 0 ? (to.cpu_s - from.cpu_s) / wall_s : 0;
}
