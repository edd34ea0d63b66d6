// One load: what to send, where, how hard and for how long. Every load generator takes it.
import type { Tool, Workload } from "../results/load.ts";

export interface LoadSpec {
  tool: Tool;
  url: string;
  workload: Workload;
  connections: number;
  /** wrk threads (autocannon always runs on this process's one thread). */
  threads: number;
  durationS: number;
  timeoutS: number;
  /** Requests per second for an open-model run; closed model when undefined. */
  rate?: number;
  /** The dataset directory holding ids.txt. */
  dataset: string;
  /** Share of POSTs in the mixed workload. */
  writeShare: number;
  /** A Prefer: header on every POST, such as "read-your-writes". */
  prefer?: string;
  signal: AbortSignal;
}
