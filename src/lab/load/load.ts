// Load generation for the lab: one spec and one result for every load generator. wrk is the
// course's tool and light on CPU; autocannon (from npm) is the fallback when wrk is not
// installed, and the only one of the two that can hold a fixed arrival rate (--rate).
import type { LoadResult, Tool, Workload } from "../results/load.ts";
import type { LoadSpec } from "./spec.ts";

export type { LoadSpec };

import { runAutocannon } from "./autocannon.ts";
import { hasWrk, runWrk, wrkArgs } from "./wrk.ts";

/** wrk's Lua script for each workload, relative to the project root. */
const WRK_SCRIPTS: Record<Workload, string> = {
  read: "random_ids.lua",
  write: "post_users.lua",
  mixed: "src/lab/load/mixed.lua",
  "by-email": "src/lab/load/lookups.lua",
  "user-orders": "src/lab/load/lookups.lua",
};

export function chooseTool(requested: string | undefined, rate: number | undefined): Tool {
  if (requested === "wrk" || requested === "autocannon") {
    if (requested === "wrk" && rate)
      throw new Error("wrk cannot hold a fixed rate; --rate needs autocannon");
    if (requested === "wrk" && !hasWrk())
      throw new Error("wrk is not installed (Debian: apt-get install wrk)");
    return requested;
  }
  if (requested) throw new Error(`--tool must be wrk or autocannon, not "${requested}"`);
  return rate ? "autocannon" : hasWrk() ? "wrk" : "autocannon";
}

/** How the report names the load generator and its settings. */
export function describeLoad(spec: Omit<LoadSpec, "url" | "signal" | "dataset">): string {
  if (spec.tool === "wrk") {
    return `wrk ${wrkArgs({ url: "URL", script: WRK_SCRIPTS[spec.workload], threads: spec.threads, connections: spec.connections, durationS: spec.durationS, timeoutS: spec.timeoutS }).join(" ")}`;
  }
  const rate = spec.rate ? ` -R ${spec.rate}` : "";
  return `autocannon -c ${spec.connections} -d ${spec.durationS} -t ${spec.timeoutS}${rate} (in-process, one thread)`;
}

export function runLoad(spec: LoadSpec): Promise<LoadResult> {
  return spec.tool === "wrk"
    ? runWrk({
        url: spec.url,
        script: WRK_SCRIPTS[spec.workload],
        threads: spec.threads,
        connections: spec.connections,
        durationS: spec.durationS,
        timeoutS: spec.timeoutS,
        dataDir: spec.dataset,
        env: {
          ...{ NEEDADB_WRITE_SHARE: String(spec.writeShare), NEEDADB_LOOKUP: spec.workload },
          ...(spec.prefer ? { NEEDADB_PREFER: spec.prefer } : {}),
        },
        signal: spec.signal,
      })
    : runAutocannon(spec);
}
