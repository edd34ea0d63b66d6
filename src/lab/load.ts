// Load generation for the lab: the three workloads on either load generator. wrk is the
// course's tool and light on CPU; autocannon (from npm) is the fallback when wrk is not
// installed, and the only one of the two that can hold a fixed arrival rate (--rate).
import { readFileSync } from "node:fs";
import autocannon from "autocannon";
import { hasWrk, type LoadResult, runWrk, wrkArgs } from "./wrk.ts";

export const WORKLOADS = ["read", "write", "mixed"] as const;
export type Workload = (typeof WORKLOADS)[number];
export type Tool = "wrk" | "autocannon";

/** wrk's Lua script for each workload, relative to the project root. */
const WRK_SCRIPTS: Record<Workload, string> = {
  read: "random_ids.lua",
  write: "post_users.lua",
  mixed: "src/lab/mixed.lua",
};

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
  signal: AbortSignal;
}

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
        env: { NEEDADB_WRITE_SHARE: String(spec.writeShare) },
        signal: spec.signal,
      })
    : runAutocannon(spec);
}

/** The parts of an autocannon result the lab reads. */
export interface AutocannonResult {
  duration: number;
  requests: { total: number };
  latency: { p50: number; p90: number; p99: number; p99_9: number; max: number };
  non2xx: number;
  errors: number;
}

export function parseAutocannon(r: AutocannonResult): LoadResult {
  return {
    requests: r.requests.total,
    duration_s: r.duration,
    rps: r.duration > 0 ? r.requests.total / r.duration : 0,
    non2xx: r.non2xx,
    errors: r.errors,
    latency_ms: {
      p50: r.latency.p50,
      p90: r.latency.p90,
      p99: r.latency.p99,
      p999: r.latency.p99_9,
      max: r.latency.max,
    },
  };
}

/** Connections that --inserts uses to POST its users. */
const INSERT_CONNECTIONS = 32;

/**
 * POSTs `count` new users as fast as the server takes them (autocannon's `amount`), so a
 * cell can start from "seeded records plus random inserts". Every answer must be a 201.
 */
export async function insertUsers(url: string, count: number, signal: AbortSignal): Promise<void> {
  let instance: autocannon.Instance | undefined;
  const onAbort = () => instance?.stop();
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    const result = await new Promise<autocannon.Result>((resolve, reject) => {
      instance = autocannon(
        {
          url: `${url}/users`,
          method: "POST",
          headers: { "content-type": "application/json" },
          body: '{"name":"Inserted before the measurement","email":"insert@example.com"}',
          connections: INSERT_CONNECTIONS,
          amount: count,
          timeout: 30,
        },
        (err, r) => (err ? reject(err) : resolve(r)),
      );
    });
    if (!signal.aborted && (result.non2xx > 0 || result.errors > 0)) {
      throw new Error(`--inserts: ${result.non2xx} non-2xx answers and ${result.errors} errors`);
    }
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}

const idsCache = new Map<string, string[]>();

function readIds(dataset: string): string[] {
  let ids = idsCache.get(dataset);
  if (!ids) {
    ids = readFileSync(`${dataset}/ids.txt`, "utf8").split("\n").filter(Boolean);
    idsCache.set(dataset, ids);
  }
  return ids;
}

async function runAutocannon(spec: LoadSpec): Promise<LoadResult> {
  const ids = readIds(spec.dataset);
  const run = Date.now();
  let sent = 0;
  const read = (req: autocannon.Request) => {
    req.method = "GET";
    req.path = `/users/${ids[Math.floor(Math.random() * ids.length)]}`;
    req.body = undefined;
    return req;
  };
  const write = (req: autocannon.Request) => {
    const tag = `${run}-${++sent}`;
    req.method = "POST";
    req.path = "/users";
    req.headers = { "content-type": "application/json" };
    req.body = `{"name":"User ${tag}","email":"user${tag}@example.com"}`;
    return req;
  };
  const setupRequest =
    spec.workload === "read"
      ? read
      : spec.workload === "write"
        ? write
        : (req: autocannon.Request) => (Math.random() < spec.writeShare ? write(req) : read(req));
  let instance: autocannon.Instance | undefined;
  const onAbort = () => instance?.stop();
  spec.signal.addEventListener("abort", onAbort, { once: true });
  try {
    const result = await new Promise<autocannon.Result>((resolve, reject) => {
      instance = autocannon(
        {
          url: spec.url,
          connections: spec.connections,
          duration: spec.durationS,
          timeout: spec.timeoutS,
          ...(spec.rate ? { overallRate: spec.rate } : {}),
          requests: [{ setupRequest }],
        },
        (err, res) => (err ? reject(err) : resolve(res)),
      );
    });
    return parseAutocannon(result as unknown as AutocannonResult);
  } finally {
    spec.signal.removeEventListener("abort", onAbort);
  }
}
