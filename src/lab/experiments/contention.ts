// The course's "Concurrent Writers" lesson as an experiment: for each approach, two servers
// on one DATA_DIR take write load at once, against one server with the same total
// concurrency, while a probe creates users through one and reads them through the other;
// then the same on two worker threads of one process (harness/thread-host.ts).
import { join } from "node:path";
import { type Approach, loadStore } from "../../stores/index.ts";
import { withCell, withServer } from "../harness/cell.ts";
import { health } from "../harness/client.ts";
import { ensureDataset } from "../harness/datasets.ts";
import { DEFAULT_SEED } from "../harness/seed.ts";
import { orKeptOut } from "../harness/server-process.ts";
import { describeLoad } from "../load/load.ts";
import type { ContentionResults, ContentionRun, Refused } from "../results/contention.ts";
import type { LoadResult } from "../results/load.ts";
import {
  measurePair,
  measureSingle,
  measureThreads,
  type PairOptions,
  type PairResult,
  twoServerResults,
  twoServerRun,
  type WriteLoad,
  writeLoad,
} from "./pair.ts";

export interface ContentionOptions extends PairOptions {
  approaches: Approach[];
  ports: [number, number];
}

function toRun(
  approach: Approach,
  claimsMany: boolean,
  pair: PairResult,
  single: LoadResult,
): ContentionRun {
  return {
    ...twoServerRun(approach, pair, single.rps),
    claims_many: claimsMany,
    ...{ p50_ms: pair.p50_ms, p99_single_ms: single.latency_ms.p99 },
    ...{ errors_5xx_single: single.non2xx, busy: pair.busy },
    probe_failures: pair.probe.failed_creates,
    missing: pair.missing_a + pair.missing_b,
  };
}

type Outcome = ContentionRun | Refused;

/** An approach as the lab runs it: itself, or one of its declared contention variants. */
interface Entry {
  name: string;
  approach: Approach;
  env: Record<string, string>;
}

async function entriesOf(approaches: readonly Approach[]): Promise<Entry[]> {
  const entries: Entry[] = [];
  for (const approach of approaches) {
    entries.push({ name: approach, approach, env: {} });
    for (const v of (await loadStore(approach)).lab?.contentionVariants ?? [])
      entries.push({ name: v.name, approach, env: { ...v.env } });
  }
  return entries;
}

/**
 * Records a server started afresh on `dir` counts, once two processes have written it: what
 * survived of what they acknowledged.
 */
async function countAfter(
  approach: Approach,
  dir: string,
  env: Record<string, string>,
  port: number,
) {
  return withServer(
    { approach, dataDir: dir, port, env },
    async (s) => (await health(s.url)).records,
  );
}

/** What one approach showed: one server, then two servers, then two threads of one. */
interface Measured {
  processes: Outcome;
  threads: Outcome;
}

/** Each setup on a fresh copy of the dataset; undefined when the run was stopped. */
async function measureApproach(
  e: Entry,
  o: ContentionOptions,
  dataset: string,
  load: WriteLoad,
  signal: AbortSignal,
): Promise<Measured | undefined> {
  const { approach } = e;
  const cell = { approach, dataset, dir: join(o.workDir, "contention-cell"), log: o.log };
  const single = await withCell(cell, ({ dir, env }) =>
    measureSingle({
      approach,
      dataDir: dir,
      port: o.ports[0],
      env: { ...env, ...e.env },
      load,
      signal,
    }),
  );
  if (signal.aborted) return undefined;
  const { many } = (await loadStore(approach)).processes;
  const outcome = async (
    measure: (dir: string, env: Record<string, string>) => Promise<PairResult & { found?: number }>,
  ) => {
    const pair = await orKeptOut(many, () =>
      withCell(cell, ({ dir, env }) => measure(dir, { ...env, ...e.env })),
    );
    if ("keptOut" in pair) return { approach: e.name, why: pair.keptOut };
    const run = {
      ...toRun(e.name, many, pair.ran, single),
      ...(e.name === approach ? {} : { variant_of: approach }),
    };
    const found = pair.ran.found;
    return found === undefined
      ? run
      : {
          ...run,
          acked: pair.ran.acked,
          lost_acked: Math.max(0, o.records + pair.ran.acked - found),
        };
  };
  const common = { approach, ports: o.ports, load, signal };
  const processes = await outcome(async (dir, env) => {
    const pair = await measurePair({ ...common, dataDirs: [dir, dir], env });
    return { ...pair, found: await countAfter(approach, dir, {}, o.ports[0]) };
  });
  if (signal.aborted) return undefined;
  const threads = await outcome((dir, env) => measureThreads({ ...common, dataDir: dir, env }));
  if (signal.aborted) return undefined;
  return { processes, threads };
}

function keep(x: Outcome, runs: ContentionRun[], refused: Refused[]): void {
  if ("why" in x) refused.push(x);
  else runs.push(x);
}

/** One line of progress per setup. */
function describe(setup: string, x: Outcome): string {
  if ("why" in x) return `  ${setup}: a second one would not start: ${x.why}`;
  return (
    `  ${setup}: ${Math.round(x.rps)} req/s (one server: ${Math.round(x.rps_single)}), ` +
    `${x.stale_reads}/${x.probes} stale reads, ${x.errors_5xx} 5xx, ${x.busy} SQLITE_BUSY, ` +
    `${x.diverged ? `diverged (${x.records_a} vs ${x.records_b} records)` : "same records on both"}`
  );
}

export async function runContention(
  o: ContentionOptions,
  signal: AbortSignal,
): Promise<ContentionResults> {
  const started = new Date();
  const { dir: dataset } = ensureDataset(o.workDir, o.records, DEFAULT_SEED);
  const load = writeLoad(o, dataset);
  const runs: ContentionRun[] = [];
  const refused: Refused[] = [];
  const threadRuns: ContentionRun[] = [];
  const threadRefused: Refused[] = [];
  let done = 0;
  let error: string | undefined;
  const entries = await entriesOf(o.approaches);
  for (const [i, entry] of entries.entries()) {
    if (signal.aborted) break;
    o.log(
      `[${i + 1}/${entries.length}] ${entry.name}: one server, two on one DATA_DIR, two threads`,
    );
    try {
      const m = await measureApproach(entry, o, dataset, load, signal);
      if (!m) break;
      o.log(describe("two processes", m.processes));
      o.log(describe("two threads", m.threads));
      keep(m.processes, runs, refused);
      keep(m.threads, threadRuns, threadRefused);
      done++;
    } catch (err) {
      if (signal.aborted) break;
      error = `${entry.name}: ${(err as Error).message}`;
      o.log(`the run failed: ${error}`);
      break;
    }
  }
  const load1 = { ...load, connections: Math.floor(o.connections / 2), workload: "write" as const };
  return {
    needadb_contention: 1,
    ...twoServerResults(o, started, {
      complete: done === entries.length,
      ...(error ? { error } : {}),
      load: describeLoad(load1),
    }),
    runs,
    ...(refused.length ? { refused } : {}),
    thread_runs: threadRuns,
    ...(threadRefused.length ? { thread_refused: threadRefused } : {}),
  };
}
