// Folds each cell's repeats into one row of medians, then sets every row's ratios against
// the ceilings measured in the same run.
import type { Bottleneck, Run, Sample } from "./bench.ts";
import type { Tool } from "./load.ts";
import { median, ratio } from "./stats.ts";

const MB = 1024 * 1024;
/**
 * A side is saturated when it used this share of the cores it can use: the server's one
 * event loop, or one core per load-generator thread. Below it, that side was waiting.
 */
export const SATURATED_SHARE = 0.85;

/** Which side set the pace: the one saturated while the other was not; otherwise unknown. */
export function bottleneckOf(
  serverCores: number,
  generatorCores: number | null,
  generatorThreads: number,
): Bottleneck {
  if (generatorCores === null) return "unknown";
  const generator = generatorCores >= SATURATED_SHARE * generatorThreads;
  const server = serverCores >= SATURATED_SHARE;
  if (generator && !server) return "load-generator";
  if (server && !generator) return "server";
  return "unknown";
}

/** (max - min) / median, or null for fewer than two values. */
export function spreadOf(values: readonly number[]): number | null {
  if (values.length < 2) return null;
  const mid = median(values);
  return mid > 0 ? (Math.max(...values) - Math.min(...values)) / mid : null;
}

export function cellKey(s: { approach: string; workload: string; records: number }): string {
  return `${s.approach}|${s.workload}|${s.records}`;
}

/** One cell's repeats as one row of medians (ratios are set once every row exists). */
function foldRepeats(
  group: readonly Sample[],
  tool: Tool,
  durability: ReadonlyMap<string, string>,
  generatorThreads: number,
): Run {
  const first = group[0] as Sample;
  const of = (pick: (s: Sample) => number) => median(group.map(pick));
  const generator = group.flatMap((s) => s.generator_cpu_cores ?? []);
  const generatorCores = generator.length ? median(generator) : null;
  const cpuCores = of((s) => s.cpu_cores);
  return {
    ...{ approach: first.approach, workload: first.workload, records: first.records, tool },
    ...(first.write_share === undefined ? {} : { write_share: first.write_share }),
    durability: durability.get(first.approach) ?? "unknown",
    repeats: group.length,
    rps: of((s) => s.rps),
    rps_samples: group.map((s) => s.rps),
    latency_ms: {
      p50: of((s) => s.latency_ms.p50),
      p90: of((s) => s.latency_ms.p90),
      p99: of((s) => s.latency_ms.p99),
      p999: of((s) => s.latency_ms.p999),
    },
    non2xx: group.reduce((n, s) => n + s.non2xx, 0),
    errors: group.reduce((n, s) => n + s.errors, 0),
    rss_mb: Math.max(...group.map((s) => s.peak_rss_bytes)) / MB,
    anon_mb: group.some((s) => s.anon_bytes !== undefined)
      ? Math.max(...group.map((s) => s.anon_bytes ?? 0)) / MB
      : null,
    cpu_cores: cpuCores,
    bytes_written_per_request: of((s) => (s.requests > 0 ? s.write_bytes / s.requests : 0)),
    startup_ms: of((s) => s.startup_ms),
    disk_bytes: group.some((s) => s.disk_bytes !== undefined) ? of((s) => s.disk_bytes ?? 0) : null,
    inserted: first.inserted,
    records_held: group.some((s) => s.records_held !== undefined)
      ? Math.max(...group.map((s) => s.records_held ?? 0))
      : null,
    ...{ ratio_to_null: null, ratio_to_fsync: null },
    avg_batch: group.some((s) => s.avg_batch !== undefined) ? of((s) => s.avg_batch ?? 0) : null,
    max_batch: group.some((s) => s.max_batch !== undefined)
      ? Math.max(...group.map((s) => s.max_batch ?? 0))
      : null,
    spread: spreadOf(group.map((s) => s.rps)),
    generator_cpu_cores: generatorCores,
    bottleneck: bottleneckOf(cpuCores, generatorCores, generatorThreads),
    cpu_us_per_request: cpuUsPerRequest(group),
    cpu_us_samples: cpuUsSamples(group),
    ratio_to_node: null,
    warmup_s: of((s) => s.warmup_s),
    warmup_settled: group.every((s) => s.warmup_settled),
    steady: steadyOf(group),
    trend: of((s) => s.trend),
  };
}

/** Each repeat's server CPU per answer, in µs, for the repeats that answered. */
function cpuUsSamples(group: readonly Sample[]): number[] {
  return group.filter((s) => s.rps > 0).map((s) => (s.cpu_cores * 1e6) / s.rps);
}

/** The median over repeats of the server's CPU per answer, in µs; null if none answered. */
function cpuUsPerRequest(group: readonly Sample[]): number | null {
  const each = cpuUsSamples(group);
  return each.length ? median(each) : null;
}

/** Not steady if any repeat's window still trended; steady if any could tell and none did. */
function steadyOf(group: readonly Sample[]): boolean | null {
  if (group.some((s) => s.steady === false)) return false;
  return group.some((s) => s.steady === true) ? true : null;
}

/**
 * One row per cell, with its ratios: to `null` (our app on no storage), to the fsync ceiling
 * for writes, and to `ceilings`, the bare node:http server, for the workloads it was run on.
 */
export function summarise(
  samples: readonly Sample[],
  tool: Tool,
  durability: ReadonlyMap<string, string>,
  fsyncCeilingRps: number,
  generatorThreads = 1,
  ceilings: readonly Run[] = [],
): Run[] {
  const groups = new Map<string, Sample[]>();
  for (const s of samples) {
    const key = cellKey(s);
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  const runs = [...groups.values()].map((group) =>
    foldRepeats(group, tool, durability, generatorThreads),
  );
  for (const run of runs) {
    const base = runs.find(
      (r) => r.approach === "null" && r.workload === run.workload && r.records === run.records,
    );
    run.ratio_to_null = ratio(run.rps, base?.rps);
    const node = ceilings.find((c) => c.workload === run.workload && c.records === run.records);
    run.ratio_to_node = ratio(run.rps, node?.rps);
    if (run.workload === "write") run.ratio_to_fsync = ratio(run.rps, fsyncCeilingRps);
  }
  return runs;
}
