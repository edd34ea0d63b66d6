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
  /**
   * The process's own resident memory (RssAnon): its heap and buffers, without the pages of
   * files it maps (LMDB's and SQLite's data), which the kernel can drop and read again.
   */
  anon_bytes: number;
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
      anon_bytes: statusKb(status, "RssAnon"),
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

/** How often a watched process's CPU time is read. */
const WATCH_EVERY_MS = 200;

/**
 * Watches another process's CPU (a load generator) until stopped: the cores it used between
 * the first and the last reading, or undefined if it could not be read twice.
 */
export function watchCpu(pid: number): { stop(): number | undefined } {
  let first = sampleProcess(pid);
  let last = first;
  const timer = setInterval(() => {
    const s = sampleProcess(pid);
    if (!s) return;
    first ??= s;
    last = s;
  }, WATCH_EVERY_MS);
  return {
    stop() {
      clearInterval(timer);
      return first && last && last !== first ? cpuCores(first, last) : undefined;
    },
  };
}

/** The same for this process (autocannon runs in it): the cores it used until stopped. */
export function watchOwnCpu(): { stop(): number | undefined } {
  const started = performance.now();
  const before = process.cpuUsage();
  return {
    stop() {
      const wall_s = (performance.now() - started) / 1000;
      const used = process.cpuUsage(before);
      return wall_s > 0 ? (used.user + used.system) / 1e6 / wall_s : undefined;
    },
  };
}
