// The course's "Concurrent Writers" lesson as an experiment: for each approach, two servers
// on one DATA_DIR take write load at once, against one server with the same total
// concurrency, while a probe creates users through one and reads them through the other.
import { join } from "node:path";
import { type Approach, loadStore } from "../../stores/index.ts";
import { withCell } from "../harness/cell.ts";
import { ensureDataset } from "../harness/datasets.ts";
import { DEFAULT_SEED } from "../harness/seed.ts";
import { orKeptOut } from "../harness/server-process.ts";
import { describeLoad } from "../load/load.ts";
import type { ContentionResults, ContentionRun, Refused } from "../results/contention.ts";
import type { LoadResult } from "../results/load.ts";
import {
  measurePair,
  measureSingle,
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

/** One approach: one server, then two, each on a fresh copy of the dataset. */
async function measureApproach(
  approach: Approach,
  o: ContentionOptions,
  dataset: string,
  load: WriteLoad,
  signal: AbortSignal,
): Promise<ContentionRun | Refused | undefined> {
  const cell = { approach, dataset, dir: join(o.workDir, "contention-cell"), log: o.log };
  const single = await withCell(cell, ({ dir, env }) =>
    measureSingle({ approach, dataDir: dir, port: o.ports[0], env, load, signal }),
  );
  if (signal.aborted) return undefined;
  const { many } = (await loadStore(approach)).processes;
  const pair = await orKeptOut(many, () =>
    withCell(cell, ({ dir, env }) =>
      measurePair({ approach, dataDirs: [dir, dir], ports: o.ports, env, load, signal }),
    ),
  );
  if ("keptOut" in pair) return { approach, why: pair.keptOut };
  if (signal.aborted) return undefined;
  return toRun(approach, many, pair.ran, single);
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
  let error: string | undefined;
  for (const [i, approach] of o.approaches.entries()) {
    if (signal.aborted) break;
    o.log(`[${i + 1}/${o.approaches.length}] ${approach}: one server, then two on one DATA_DIR`);
    try {
      const run = await measureApproach(approach, o, dataset, load, signal);
      if (!run) break;
      if ("why" in run) {
        refused.push(run);
        o.log(`  a second server would not start: ${run.why}`);
        continue;
      }
      runs.push(run);
      o.log(
        `  ${Math.round(run.rps)} req/s on two (one: ${Math.round(run.rps_single)}), ` +
          `${run.stale_reads}/${run.probes} stale reads, ${run.errors_5xx} 5xx, ${run.busy} SQLITE_BUSY, ` +
          `${run.diverged ? `diverged (${run.records_a} vs ${run.records_b} records)` : "same records on both"}`,
      );
    } catch (err) {
      if (signal.aborted) break;
      error = `${approach}: ${(err as Error).message}`;
      o.log(`the run failed: ${error}`);
      break;
    }
  }
  const load1 = { ...load, connections: Math.floor(o.connections / 2), workload: "write" as const };
  return {
    needadb_contention: 1,
    ...twoServerResults(o, started, {
      complete: runs.length + refused.length === o.approaches.length,
      ...(error ? { error } : {}),
      load: describeLoad(load1),
    }),
    runs,
    ...(refused.length ? { refused } : {}),
  };
}
