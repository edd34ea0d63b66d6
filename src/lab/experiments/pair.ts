// Two servers at once, the course's "Concurrent Writers" experiment: write load at both,
// and a coherence probe that creates a user through one and reads it through the other
// straight after the 201. Shared by `npm run contention` (two servers on one DATA_DIR) and
// `npm run topology` (two servers on one PostgreSQL, or one SQLite file each).
import type { Approach } from "../../stores/index.ts";
import { withServer, withServers } from "../harness/cell.ts";
import { createdId, get, health, post, userBody } from "../harness/client.ts";
import { forEachInParallel } from "../harness/parallel.ts";
import { type ServerProcess, THREAD_ENTRY } from "../harness/server-process.ts";
import { type LoadSpec, runLoad } from "../load/load.ts";
import type { LoadResult } from "../results/load.ts";
import type { TwoServerResults, TwoServerRun } from "../results/pair.ts";

/** After the load stops, wait this long before the final comparison (a batching store flushes every 50 ms). */
const SETTLE_MS = 300;
/** Final reads of probe ids run this many at a time. */
const CHECKERS = 16;

export type WriteLoad = Omit<LoadSpec, "url" | "workload" | "signal">;

/** What the two-server tools (contention, topology) are run with. */
export interface PairOptions {
  records: number;
  durationS: number;
  connections: number;
  tool: LoadSpec["tool"];
  workDir: string;
  log: (m: string) => void;
}

/** The write load both tools drive: POSTs only, one wrk thread, a 10 s request timeout. */
export function writeLoad(
  o: { tool: LoadSpec["tool"]; connections: number; durationS: number },
  dataset: string,
): WriteLoad {
  return {
    ...{ tool: o.tool, connections: o.connections, threads: 1, durationS: o.durationS },
    ...{ timeoutS: 10, dataset, writeShare: 1 },
  };
}

export interface ProbeResult {
  /** Creates through A that got their 201 and were then read through B. */
  probes: number;
  /** Of those, creates whose 201 said the preference asked for was applied. */
  applied: number;
  /** Of those, reads through B that answered 404. */
  stale_reads: number;
  /** Creates through A that got 5xx. */
  failed_creates: number;
  /** With `timeStale`: for each stale read, ms from the 201 until B found the user. */
  stale_ms: number[];
  ids: string[];
}

export interface ProbeOptions {
  /** Each create asks for this (Prefer:), and counts whether its 201 says it was applied. */
  prefer?: string;
  /**
   * After a stale read, read again until B finds the user (for at most STALE_WAIT_MS_MAX),
   * to time how long the staleness lasted. Only where B catches up: a replica, not a copy.
   */
  timeStale?: boolean;
}

/** A stale read that lasts longer than this is counted as lasting this long. */
const STALE_WAIT_MS_MAX = 5_000;

/** Reads `path` on `b` until it is found or STALE_WAIT_MS_MAX passes: the ms it took. */
async function timeUntilFound(b: string, path: string, since_ms: number): Promise<number> {
  for (;;) {
    const waited_ms = performance.now() - since_ms;
    if (waited_ms >= STALE_WAIT_MS_MAX) return STALE_WAIT_MS_MAX;
    if ((await get(b, path)).status === 200) return performance.now() - since_ms;
  }
}

/** Creates on `a` and reads on `b` right after each 201, one at a time, until `signal`. */
export async function probeCoherence(
  a: string,
  b: string,
  signal: AbortSignal,
  { prefer, timeStale }: ProbeOptions = {},
): Promise<ProbeResult> {
  const r: ProbeResult = {
    ...{ probes: 0, applied: 0, stale_reads: 0, failed_creates: 0, stale_ms: [], ids: [] },
  };
  const headers: Record<string, string> = prefer ? { prefer } : {};
  for (let i = 0; !signal.aborted; i++) {
    const created = await post(a, "/users", userBody("Probe", String(i)), undefined, headers);
    if (created.status !== 201) {
      r.failed_creates++;
      continue;
    }
    if (prefer && created.headers["preference-applied"] === prefer) r.applied++;
    const answered_ms = performance.now();
    const id = createdId(created.text);
    const read = await get(b, `/users/${id}`);
    r.probes++;
    r.ids.push(id);
    if (read.status === 404) {
      r.stale_reads++;
      if (timeStale) r.stale_ms.push(await timeUntilFound(b, `/users/${id}`, answered_ms));
    } else if (read.status !== 200) throw new Error(`GET ${b}/users/${id} answered ${read.status}`);
  }
  return r;
}

/** How many of `ids` a server cannot find. */
async function countMissing(url: string, ids: readonly string[]): Promise<number> {
  let missing = 0;
  await forEachInParallel(ids, CHECKERS, async (id) => {
    if ((await get(url, `/users/${id}`)).status === 404) missing++;
  });
  return missing;
}

export interface PairResult {
  /** Combined requests per second of the write load on both servers. */
  rps: number;
  p50_ms: number;
  /** The worse of the two servers' p99. */
  p99_ms: number;
  /** Non-2xx answers to the write load; it sends only valid bodies, so these are 5xx. */
  non2xx: number;
  errors: number;
  /** Writes of the load and the probe that the servers acknowledged (2xx). */
  acked: number;
  /** SQLITE_BUSY answers both servers absorbed, from their /health. */
  busy: number;
  probe: Omit<ProbeResult, "ids">;
  /** Records each server counts once the load has stopped. */
  records_a: number;
  records_b: number;
  /** Probe ids each server cannot find once the load has stopped. */
  missing_a: number;
  missing_b: number;
  /** The two servers answer differently: different counts, or a probe id one cannot find. */
  diverged: boolean;
}

export interface PairSetup {
  approach: Approach;
  /** Each server's DATA_DIR: the same one twice, or one each. */
  dataDirs: [string, string];
  ports: [number, number];
  env: Record<string, string>;
  /** The total connections are split evenly between the two servers. */
  load: WriteLoad;
  signal: AbortSignal;
}

/** Half of `spec`'s connections at each address at once: both loads, and their sum. */
export async function loadAt(urls: readonly [string, string], spec: Omit<LoadSpec, "url">) {
  const half = Math.max(1, Math.floor(spec.connections / 2));
  const loads = (await Promise.all(
    urls.map((url) => runLoad({ ...spec, connections: half, url })),
  )) as [LoadResult, LoadResult];
  const [la, lb] = loads;
  return {
    loads,
    rps: la.rps + lb.rps,
    p50_ms: Math.max(la.latency_ms.p50, lb.latency_ms.p50),
    p99_ms: Math.max(la.latency_ms.p99, lb.latency_ms.p99),
  };
}

/** Half the connections of write load at each address, with the probe alongside until both end. */
async function loadBoth(
  a: string,
  b: string,
  setup: Pick<PairSetup, "load" | "signal"> & { probe?: ProbeOptions },
) {
  const probeStop = new AbortController();
  const onAbort = () => probeStop.abort();
  setup.signal.addEventListener("abort", onAbort, { once: true });
  const probing = probeCoherence(a, b, probeStop.signal, setup.probe);
  try {
    const spec = { ...setup.load, workload: "write" as const, signal: setup.signal };
    return { load: await loadAt([a, b], spec), probing };
  } finally {
    probeStop.abort();
    setup.signal.removeEventListener("abort", onAbort);
  }
}

/**
 * Write load at two addresses at once (two servers, or two threads of one), the coherence
 * probe alongside, then what each address counts and finds once the load has stopped.
 */
export async function measureAddresses(
  [a, b]: readonly [string, string],
  setup: Pick<PairSetup, "load" | "signal"> & { probe?: ProbeOptions },
): Promise<PairResult> {
  const { load, probing } = await loadBoth(a, b, setup);
  const { ids, ...probe } = await probing;
  await new Promise((r) => setTimeout(r, SETTLE_MS));
  const [ha, hb] = await Promise.all([health(a), health(b)]);
  const [missing_a, missing_b] = await Promise.all([countMissing(a, ids), countMissing(b, ids)]);
  const [la, lb] = load.loads;
  return {
    ...{ rps: load.rps, p50_ms: load.p50_ms, p99_ms: load.p99_ms },
    non2xx: la.non2xx + lb.non2xx,
    errors: la.errors + lb.errors,
    acked: la.requests - la.non2xx + lb.requests - lb.non2xx + probe.probes,
    busy: (ha.sqlite_busy ?? 0) + (hb.sqlite_busy ?? 0),
    probe,
    ...{ records_a: ha.records, records_b: hb.records, missing_a, missing_b },
    diverged: ha.records !== hb.records || missing_a + missing_b > 0,
  };
}

/** Write load on two servers at once, with the coherence probe alongside. */
export function measurePair(setup: PairSetup): Promise<PairResult> {
  const starts = setup.dataDirs.map((dataDir, i) => ({
    ...{ approach: setup.approach, dataDir, port: setup.ports[i], env: setup.env },
  }));
  return withServers(starts, ([a, b]) =>
    measureAddresses([(a as ServerProcess).url, (b as ServerProcess).url], setup),
  );
}

/**
 * Write load on two worker threads of one process (harness/thread-host.ts) on one
 * DATA_DIR, with the probe creating through the first thread and reading through the second.
 */
export function measureThreads(
  setup: Omit<PairSetup, "dataDirs"> & { dataDir: string },
): Promise<PairResult> {
  const { approach, dataDir, env } = setup;
  const start = { approach, dataDir, port: setup.ports[0], env: { ...env, THREADS: "2" } };
  return withServer({ ...start, entry: THREAD_ENTRY }, (host) => {
    const [a, b] = host.urls;
    if (!a || !b) throw new Error(`the thread host named ${host.urls.length} addresses, not 2`);
    return measureAddresses([a, b], setup);
  });
}

/** Write load on one server with all the connections: the baseline for the pair. */
export function measureSingle(
  setup: Omit<PairSetup, "dataDirs" | "ports"> & { dataDir: string; port: number },
): Promise<LoadResult> {
  const { approach, dataDir, port, env } = setup;
  return withServer({ approach, dataDir, port, env }, (server) =>
    runLoad({ ...setup.load, url: server.url, workload: "write", signal: setup.signal }),
  );
}

/** What every two-server run records, from the pair and the one-server baseline's req/s. */
export function twoServerRun(approach: string, pair: PairResult, rpsSingle: number): TwoServerRun {
  return {
    ...{ approach, servers: 2, rps: pair.rps, rps_single: rpsSingle, p99_ms: pair.p99_ms },
    errors_5xx: pair.non2xx + pair.probe.failed_creates,
    ...{ stale_reads: pair.probe.stale_reads, probes: pair.probe.probes },
    ...{ records_a: pair.records_a, records_b: pair.records_b, diverged: pair.diverged },
  };
}

/** How a two-server tool's run went, for its results file. */
export function twoServerResults(
  o: { records: number; durationS: number; connections: number },
  started: Date,
  outcome: { complete: boolean; error?: string; load: string },
): TwoServerResults {
  return {
    started_at: started.toISOString(),
    finished_at: new Date().toISOString(),
    complete: outcome.complete,
    ...(outcome.error ? { error: outcome.error } : {}),
    ...{ records: o.records, duration_s: o.durationS, connections: o.connections },
    load: outcome.load,
  };
}
