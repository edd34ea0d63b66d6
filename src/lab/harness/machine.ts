// Facts about the machine a run was measured on, and the fsync ceiling of its data directory.
import { spawn, spawnSync } from "node:child_process";
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeSync,
} from "node:fs";
import { cpus, release, totalmem } from "node:os";
import { join, resolve } from "node:path";
import type { Machine } from "../results/machine.ts";
import { percentile } from "../results/stats.ts";
import { PROJECT_ROOT } from "./paths.ts";

/** The filesystem type of the mount that holds `dir`, from /proc/mounts. */
export function filesystemOf(dir: string): string {
  const path = resolve(dir);
  let best = { mount: "", type: "unknown" };
  try {
    for (const line of readFileSync("/proc/mounts", "utf8").split("\n")) {
      const [, mount, type] = line.split(" ");
      if (!mount || !type) continue;
      const inside = path === mount || path.startsWith(mount === "/" ? "/" : `${mount}/`);
      if (inside && mount.length > best.mount.length) best = { mount, type };
    }
  } catch {
    // Not Linux: the type stays unknown.
  }
  return best.type;
}

function gitCommit(): string {
  const git = (args: string[]) =>
    spawnSync("git", args, { cwd: PROJECT_ROOT, encoding: "utf8" }).stdout?.trim() ?? "";
  const commit = git(["rev-parse", "--short", "HEAD"]);
  if (!commit) return "unknown";
  return git(["status", "--porcelain"]) ? `${commit}+dirty` : commit;
}

export function describeMachine(dataDir: string): Machine {
  const cpuList = cpus();
  return {
    cpus: cpuList.length,
    cpu_model: cpuList[0]?.model.trim() ?? "unknown",
    mem: totalmem(),
    kernel: release(),
    fs: filesystemOf(dataDir),
    node: process.version,
    commit: gitCommit(),
  };
}

/** The size of one small record append, like a user line. */
const PROBE_RECORD_BYTES = 120;
const PROBE_WRITES = 400;
const PROBE_MAX_MS = 3_000;

/**
 * Times one small append plus fsync, the unit of work of a store that makes every write
 * durable on its own, PROBE_WRITES times on the data directory's filesystem. Returns the
 * median in microseconds: 1e6 / fsync_us is the most durable single writes per second that
 * filesystem allows, the "fsync ceiling".
 */
export function measureFsyncUs(dir: string): { fsync_us: number; p99_us: number; samples: number } {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `fsync-probe-${process.pid}`);
  const fd = openSync(path, "w");
  const record = Buffer.alloc(PROBE_RECORD_BYTES, "x");
  record[PROBE_RECORD_BYTES - 1] = 0x0a;
  const times: number[] = [];
  const started = performance.now();
  try {
    while (times.length < PROBE_WRITES && performance.now() - started < PROBE_MAX_MS) {
      const t = performance.now();
      writeSync(fd, record);
      fsyncSync(fd);
      times.push((performance.now() - t) * 1000);
    }
  } finally {
    closeSync(fd);
    rmSync(path, { force: true });
  }
  return { fsync_us: percentile(times, 50), p99_us: percentile(times, 99), samples: times.length };
}

/**
 * The same probe while another process keeps one core busy, as the load generator does
 * during a write cell. On a small virtual machine the disk's completion path competes for
 * CPU, and fsync slows: this is the ceiling a store can actually meet under load.
 */
export async function measureFsyncUnderLoadUs(dir: string): Promise<number> {
  const burner = spawn(process.execPath, ["-e", "for (;;) {}"], { stdio: "ignore" });
  try {
    await new Promise((r) => setTimeout(r, 200)); // let it take its core
    return measureFsyncUs(dir).fsync_us;
  } finally {
    burner.kill("SIGKILL");
  }
}

/** Bytes of every file under `dir` (0 for a missing one): what a store keeps on disk. */
export function treeBytes(dir: string): number {
  if (!existsSync(dir)) return 0;
  let bytes = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true }))
    if (e.isFile()) {
      try {
        bytes += statSync(join(e.parentPath, e.name)).size;
      } catch {
        // removed while we looked (a store's temporary file)
      }
    }
  return bytes;
}
