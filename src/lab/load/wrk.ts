// Runs wrk, the course's load generator, and reads its summary. The course's Lua scripts
// write the summary as JSON through src/lab/load/wrk-report.lua when NEEDADB_WRK_JSON is set.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isHidden } from "../harness/hidden-tools.ts";
import { PROJECT_ROOT } from "../harness/paths.ts";
import { watchCpu } from "../harness/proc.ts";
import type { LoadResult } from "../results/load.ts";

export function hasWrk(): boolean {
  if (isHidden("wrk")) return false;
  return spawnSync("wrk", ["--version"], { stdio: "ignore" }).error === undefined;
}

/** Turns the JSON that wrk-report.lua writes into a LoadResult. */
export function parseWrkJson(text: string): LoadResult {
  const raw = JSON.parse(text) as {
    requests: number;
    duration_us: number;
    errors: { connect: number; read: number; write: number; status: number; timeout: number };
    latency_us: { p50: number; p90: number; p99: number; p999: number; max: number };
  };
  const ms = (us: number) => us / 1000;
  const duration_s = raw.duration_us / 1e6;
  const e = raw.errors;
  return {
    requests: raw.requests,
    duration_s,
    rps: duration_s > 0 ? raw.requests / duration_s : 0,
    non2xx: e.status,
    errors: e.connect + e.read + e.write + e.timeout,
    latency_ms: {
      p50: ms(raw.latency_us.p50),
      p90: ms(raw.latency_us.p90),
      p99: ms(raw.latency_us.p99),
      p999: ms(raw.latency_us.p999),
      max: ms(raw.latency_us.max),
    },
  };
}

export interface WrkOptions {
  url: string;
  /** random_ids.lua, post_users.lua, or another script at the project root. */
  script: string;
  threads: number;
  connections: number;
  durationS: number;
  /** A request unanswered after this long counts as a timeout error (wrk's default is 2 s). */
  timeoutS?: number;
  /** For random_ids.lua: where ids.txt is. */
  dataDir?: string;
  env?: Record<string, string>;
  signal?: AbortSignal;
}

export function wrkArgs(o: WrkOptions): string[] {
  const timeout = o.timeoutS ? ["--timeout", `${o.timeoutS}s`] : [];
  return [
    `-t${o.threads}`,
    `-c${o.connections}`,
    `-d${o.durationS}s`,
    ...timeout,
    "-s",
    o.script,
    o.url,
  ];
}

export async function runWrk(o: WrkOptions): Promise<LoadResult> {
  const dir = mkdtempSync(join(tmpdir(), "needadb-wrk-"));
  const out = join(dir, "summary.json");
  try {
    const child = spawn("wrk", wrkArgs(o), {
      cwd: PROJECT_ROOT,
      env: {
        ...process.env,
        ...o.env,
        NEEDADB_WRK_JSON: out,
        ...(o.dataDir ? { DATA_DIR: o.dataDir } : {}),
      },
      stdio: ["ignore", "ignore", "pipe"],
      signal: o.signal,
    });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    const cpu = child.pid ? watchCpu(child.pid) : undefined;
    let cores: number | undefined;
    let code: number | null;
    try {
      code = await new Promise<number | null>((res, rej) => {
        child.on("error", rej);
        child.on("exit", res);
      });
    } finally {
      cores = cpu?.stop();
    }
    if (code !== 0) throw new Error(`wrk exited with code ${code}: ${stderr.trim()}`);
    const result = parseWrkJson(readFileSync(out, "utf8"));
    return cores === undefined ? result : { ...result, generator_cpu_cores: cores };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
