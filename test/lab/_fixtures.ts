// Made-up cells for the lab's tests: one full Sample or Run, with what a test cares about
// given and everything else at a plain default, so that a new field is added here once.
import type { Run, Sample } from "../../src/lab/results/bench.ts";

export function sampleOf(o: Partial<Sample> & Pick<Sample, "approach" | "workload">): Sample {
  const rps = o.rps ?? 10_000;
  return {
    ...{ records: 1000, repeat: 1, rps, requests: rps, duration_s: 1 },
    latency_ms: { p50: 0.5, p90: 1, p99: 2, p999: 4 },
    ...{ non2xx: 0, errors: 0, peak_rss_bytes: 80 * 2 ** 20, cpu_cores: 0.9, write_bytes: 0 },
    ...{ startup_ms: 120, inserted: 0, warmup_s: 1, warmup_settled: true },
    series: {
      interval_ms: 250,
      warmup_rps: [rps, rps, rps, rps],
      window_rps: [rps, rps, rps, rps],
    },
    ...{ steady: true, trend: 0, noise: 0.02 },
    ...o,
  };
}

export function runOf(o: Partial<Run> & Pick<Run, "approach">): Run {
  const rps = o.rps ?? 10_000;
  return {
    ...{ workload: "read", records: 1000, tool: "wrk", durability: "nothing" },
    ...{ repeats: 1, rps, rps_samples: [rps], non2xx: 0, errors: 0, rss_mb: 50, anon_mb: null },
    latency_ms: { p50: 1, p90: 1, p99: 1, p999: 1 },
    ...{ cpu_cores: 0.5, bytes_written_per_request: 0, startup_ms: 100, inserted: 0 },
    ...{ avg_batch: null, max_batch: null, ratio_to_null: null, ratio_to_fsync: null },
    ...{ spread: null, generator_cpu_cores: null, bottleneck: "unknown" },
    ...{ cpu_us_per_request: 50, ratio_to_node: null, warmup_s: 1, warmup_settled: true },
    disk_bytes: null,
    ...{ steady: true, trend: 0 },
    ...o,
  };
}
