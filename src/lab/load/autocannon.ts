// autocannon, in this process: the load generator when wrk is not installed or a fixed
// arrival rate is wanted, and the bulk inserter behind bench's --inserts.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import autocannon from "autocannon";
import * as hdr from "hdr-histogram-js";
import { watchOwnCpu } from "../harness/proc.ts";
import { EMAILS_FILE, IDS_FILE, ORDERED_IDS_FILE } from "../harness/seed.ts";
import type { LoadResult } from "../results/load.ts";
import type { LoadSpec } from "./spec.ts";

/** What runAutocannon needs of a LoadSpec: all but wrk's threads. */
export type AutocannonSpec = Omit<LoadSpec, "tool" | "threads">;

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

/** Latencies above this are recorded as this (a request times out long before). */
const LATENCY_MAX_US = 120_000_000;

/**
 * The latencies of 2xx answers in microseconds. autocannon measures each response with
 * process.hrtime but records it in whole milliseconds, so on a fast server its p50 reads
 * 0 or 1; this keeps what it measured, to three significant digits.
 */
function microsecondLatencies() {
  const histogram = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: LATENCY_MAX_US,
    numberOfSignificantValueDigits: 3,
  });
  return {
    onResponse(_client: unknown, status: number, _bytes: number, ms: number) {
      if (status >= 200 && status < 300)
        histogram.recordValue(Math.min(LATENCY_MAX_US, Math.max(1, Math.round(ms * 1000))));
    },
    /** The percentiles in milliseconds, or undefined when nothing was recorded. */
    percentilesMs() {
      if (histogram.totalCount === 0) return undefined;
      const at = (p: number) => histogram.getValueAtPercentile(p) / 1000;
      return {
        p50: at(50),
        p90: at(90),
        p99: at(99),
        p999: at(99.9),
        max: histogram.maxValue / 1000,
      };
    },
  };
}

/** Runs one autocannon instance until it ends or `signal` aborts it. */
async function run(
  options: autocannon.Options,
  signal: AbortSignal,
  onResponse?: (client: unknown, status: number, bytes: number, ms: number) => void,
): Promise<autocannon.Result> {
  let instance: autocannon.Instance | undefined;
  const onAbort = () => instance?.stop();
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    return await new Promise<autocannon.Result>((resolve, reject) => {
      instance = autocannon(options, (err, r) => (err ? reject(err) : resolve(r)));
      if (onResponse) instance.on("response", onResponse);
    });
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}

/** Connections that --inserts uses to POST its users. */
const INSERT_CONNECTIONS = 32;

/**
 * POSTs `count` new users as fast as the server takes them (autocannon's `amount`), so a
 * cell can start from "seeded records plus random inserts". Every answer must be a 201.
 */
export async function insertUsers(url: string, count: number, signal: AbortSignal): Promise<void> {
  const result = await run(
    {
      url: `${url}/users`,
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"name":"Inserted before the measurement","email":"insert@example.com"}',
      connections: INSERT_CONNECTIONS,
      amount: count,
      timeout: 30,
    },
    signal,
  );
  if (!signal.aborted && (result.non2xx > 0 || result.errors > 0)) {
    throw new Error(`--inserts: ${result.non2xx} non-2xx answers and ${result.errors} errors`);
  }
}

const linesCache = new Map<string, string[]>();

/** The lines of a seeded dataset's file (ids.txt, emails.txt, ordered-ids.txt), read once. */
function readLines(dataset: string, file: string): string[] {
  const path = join(dataset, file);
  let lines = linesCache.get(path);
  if (!lines) {
    lines = readFileSync(path, "utf8").split("\n").filter(Boolean);
    if (lines.length === 0) throw new Error(`${path} holds nothing to look up; seed it again`);
    linesCache.set(path, lines);
  }
  return lines;
}

const pick = (xs: readonly string[]) => xs[Math.floor(Math.random() * xs.length)] as string;

/** A GET of `path(random line of file)`. */
function getter(dataset: string, file: string, path: (key: string) => string) {
  const keys = readLines(dataset, file);
  return (req: autocannon.Request) => {
    req.method = "GET";
    req.path = path(pick(keys));
    req.body = undefined;
    return req;
  };
}

/** The request builder for a workload: random seeded ids to read, unique users to write. */
function requestsFor(spec: AutocannonSpec): (req: autocannon.Request) => autocannon.Request {
  const run = Date.now();
  let sent = 0;
  const prefer = spec.prefer ? { prefer: spec.prefer } : {};
  const read = getter(spec.dataset, IDS_FILE, (id) => `/users/${id}`);
  const write = (req: autocannon.Request) => {
    const tag = `${run}-${++sent}`;
    req.method = "POST";
    req.path = "/users";
    req.headers = { "content-type": "application/json", ...prefer };
    req.body = `{"name":"User ${tag}","email":"user${tag}@example.com"}`;
    return req;
  };
  if (spec.workload === "read") return read;
  if (spec.workload === "write") return write;
  if (spec.workload === "by-email")
    return getter(spec.dataset, EMAILS_FILE, (e) => `/users?email=${encodeURIComponent(e)}`);
  if (spec.workload === "user-orders")
    return getter(spec.dataset, ORDERED_IDS_FILE, (id) => `/users/${id}/orders`);
  return (req) => (Math.random() < spec.writeShare ? write(req) : read(req));
}

/**
 * Runs a workload. In the closed model the latencies are this process's own, to the
 * microsecond; in the open model (a fixed rate) they are autocannon's, whole milliseconds,
 * because only autocannon corrects them for coordinated omission.
 */
export async function runAutocannon(spec: AutocannonSpec): Promise<LoadResult> {
  const own = spec.rate ? undefined : microsecondLatencies();
  const cpu = watchOwnCpu();
  const result = await run(
    {
      url: spec.url,
      connections: spec.connections,
      duration: spec.durationS,
      timeout: spec.timeoutS,
      ...(spec.rate ? { overallRate: spec.rate } : {}),
      requests: [{ setupRequest: requestsFor(spec) }],
    },
    spec.signal,
    own?.onResponse,
  );
  const cores = cpu.stop();
  const parsed = parseAutocannon(result as unknown as AutocannonResult);
  const latency = own?.percentilesMs();
  return {
    ...parsed,
    ...(latency ? { latency_ms: latency } : {}),
    ...(cores === undefined ? {} : { generator_cpu_cores: cores }),
  };
}
