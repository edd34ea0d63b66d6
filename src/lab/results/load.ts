// What a load generator measured, and the names of the workloads: the vocabulary every
// results file shares.

export const WORKLOADS = ["read", "write", "mixed", "by-email", "user-orders"] as const;
export type Workload = (typeof WORKLOADS)[number];
export type Tool = "wrk" | "autocannon";

export interface Latency {
  p50: number;
  p90: number;
  p99: number;
  p999: number;
}

export interface LoadResult {
  requests: number;
  duration_s: number;
  rps: number;
  /** Responses outside 2xx/3xx. */
  non2xx: number;
  /** connect, read, write and timeout errors. */
  errors: number;
  latency_ms: Latency & { max: number };
  /** CPU the load generator used while it ran, in cores (it has one per thread). */
  generator_cpu_cores?: number;
}
