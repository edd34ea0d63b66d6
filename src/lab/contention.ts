// npm run contention: the course's "Concurrent Writers" lesson as an experiment. For each
// approach, two servers run on one DATA_DIR and take write load at once, against one server
// with the same total concurrency; a probe creates users through one and reads them through
// the other. It shows which stores stay correct with several processes, and at what price.
import { rmSync } from "node:fs";
import { join } from "node:path";
import { defineCommand, runMain } from "citty";
import { APPROACHES, type Approach, isApproach, loadStore } from "../stores/index.ts";
import {
  interruptSignal,
  outDir,
  pairArgs,
  pairOptions,
  wholeArg,
  writeLabOutputs,
} from "./cli.ts";
import { ensureDataset, prepareCellDir } from "./datasets.ts";
import { describeLoad } from "./load.ts";
import { measurePair, measureSingle, startServiceFor, writeLoad } from "./pair.ts";
import { DEFAULT_SEED } from "./seed.ts";
import { mdTable, type Table } from "./table.ts";

export interface ContentionRun {
  approach: string;
  /** Whether the store says it is correct across processes (WORKERS accepts it). */
  claims_many: boolean;
  servers: 2;
  /** Combined write req/s of the two servers. */
  rps: number;
  /** One server with the same total connections. */
  rps_single: number;
  p50_ms: number;
  p99_ms: number;
  p99_single_ms: number;
  errors_5xx: number;
  errors_5xx_single: number;
  /** SQLITE_BUSY answers absorbed (waited out and retried) by the two servers. */
  busy: number;
  stale_reads: number;
  probes: number;
  probe_failures: number;
  records_a: number;
  records_b: number;
  /** Probe users that one of the servers still cannot find after the load. */
  missing: number;
  diverged: boolean;
}

export interface ContentionResults {
  needadb_contention: 1;
  started_at: string;
  finished_at: string;
  complete: boolean;
  error?: string;
  records: number;
  duration_s: number;
  connections: number;
  load: string;
  runs: ContentionRun[];
}

export interface ContentionOptions {
  approaches: Approach[];
  records: number;
  durationS: number;
  connections: number;
  ports: [number, number];
  tool: "wrk" | "autocannon";
  workDir: string;
}

const log = (m: string) => process.stderr.write(`${m}\n`);

export async function runContention(
  o: ContentionOptions,
  signal: AbortSignal,
): Promise<ContentionResults> {
  const started = new Date();
  const { dir: dataset } = ensureDataset(o.workDir, o.records, DEFAULT_SEED);
  const cellDir = join(o.workDir, "contention-cell");
  const load = writeLoad(o, dataset);
  const runs: ContentionRun[] = [];
  let error: string | undefined;
  for (const [i, approach] of o.approaches.entries()) {
    if (signal.aborted) break;
    log(`[${i + 1}/${o.approaches.length}] ${approach}: one server, then two on one DATA_DIR`);
    try {
      const measure = async <T>(fn: (env: Record<string, string>) => Promise<T>): Promise<T> => {
        await prepareCellDir(dataset, cellDir, approach);
        const service = await startServiceFor(approach, cellDir, log);
        try {
          return await fn(service?.env ?? {});
        } finally {
          await service?.stop();
          rmSync(cellDir, { recursive: true, force: true });
        }
      };
      const single = await measure((env) =>
        measureSingle({ approach, dataDir: cellDir, port: o.ports[0], env, load, signal }),
      );
      if (signal.aborted) break;
      const pair = await measure((env) =>
        measurePair({
          approach,
          dataDirs: [cellDir, cellDir],
          ports: o.ports,
          env,
          load,
          signal,
        }),
      );
      if (signal.aborted) break;
      const run: ContentionRun = {
        approach,
        claims_many: (await loadStore(approach)).processes.many,
        servers: 2,
        rps: pair.rps,
        rps_single: single.rps,
        p50_ms: pair.p50_ms,
        p99_ms: pair.p99_ms,
        p99_single_ms: single.latency_ms.p99,
        errors_5xx: pair.non2xx + pair.probe.failed_creates,
        errors_5xx_single: single.non2xx,
        busy: pair.busy,
        stale_reads: pair.probe.stale_reads,
        probes: pair.probe.probes,
        probe_failures: pair.probe.failed_creates,
        records_a: pair.records_a,
        records_b: pair.records_b,
        missing: pair.missing_a + pair.missing_b,
        diverged: pair.diverged,
      };
      runs.push(run);
      log(
        `  ${Math.round(run.rps)} req/s on two (one: ${Math.round(run.rps_single)}), ` +
          `${run.stale_reads}/${run.probes} stale reads, ${run.errors_5xx} 5xx, ${run.busy} SQLITE_BUSY, ` +
          `${run.diverged ? `diverged (${run.records_a} vs ${run.records_b} records)` : "same records on both"}`,
      );
    } catch (err) {
      if (signal.aborted) break;
      error = `${approach}: ${(err as Error).message}`;
      log(`the run failed: ${error}`);
      break;
    }
  }
  return {
    needadb_contention: 1,
    started_at: started.toISOString(),
    finished_at: new Date().toISOString(),
    complete: runs.length === o.approaches.length,
    ...(error ? { error } : {}),
    records: o.records,
    duration_s: o.durationS,
    connections: o.connections,
    load: describeLoad({ ...load, connections: Math.floor(o.connections / 2), workload: "write" }),
    runs,
  };
}

const int = (n: number) => Math.round(n).toLocaleString("en");
const pct = (part: number, whole: number) =>
  whole > 0 ? `${((part / whole) * 100).toFixed(part && part < whole / 100 ? 2 : 0)}%` : "-";

/** The contention table, as contention.md and the benchmark report show it. */
export function contentionTable(r: ContentionResults): Table {
  return {
    header: [
      "store",
      "says it is safe with many processes",
      "two servers: req/s",
      "one server: req/s",
      "two ÷ one",
      "p99 ms (two)",
      "5xx",
      "SQLITE_BUSY absorbed",
      "stale reads / probes",
      "records A / B",
      "diverged",
    ],
    rows: r.runs.map((x) => [
      `\`${x.approach}\``,
      x.claims_many ? "yes" : "no",
      int(x.rps),
      int(x.rps_single),
      (x.rps / x.rps_single).toFixed(2),
      x.p99_ms.toFixed(1),
      int(x.errors_5xx),
      int(x.busy),
      `${int(x.stale_reads)} / ${int(x.probes)} (${pct(x.stale_reads, x.probes)})`,
      `${int(x.records_a)} / ${int(x.records_b)}`,
      x.diverged ? "**yes**" : "no",
    ]),
  };
}

export function contentionNotes(r: ContentionResults): string {
  return (
    `Two servers on one DATA_DIR, each taking half of ${r.connections} connections of write load for ${r.duration_s} s ` +
    `(\`${r.load}\` at each), against one server with all ${r.connections}, starting from ${int(r.records)} seeded records. ` +
    "Meanwhile a probe creates a user through server A and reads it through server B as soon as the 201 arrives; " +
    "a 404 there is a stale read. After the load, each server's record count and every probe user are read from both: " +
    "*diverged* means the two servers answer differently. The 5xx column counts non-2xx answers to the load " +
    "(which sends only valid bodies) and failed probe creates."
  );
}

const command = defineCommand({
  meta: {
    name: "npm run contention --",
    description:
      "Run two servers on one DATA_DIR under write load for each approach, against one server at the same concurrency, with a probe that creates through one server and reads through the other. Writes contention.json and contention.md.",
  },
  args: {
    ...pairArgs("contention-results"),
    approaches: {
      type: "string",
      description: `comma-separated (default all but null: ${APPROACHES.filter((a) => a !== "null").join(",")})`,
      valueHint: "a,b",
    },
    ports: {
      type: "string",
      description: "the two servers' ports (default 8081,8082; 0,0 picks free ones)",
      valueHint: "A,B",
    },
  },
  async run({ args }) {
    const approaches = args.approaches
      ? args.approaches.split(",").map((s) => s.trim())
      : APPROACHES.filter((a) => a !== "null");
    for (const a of approaches)
      if (!isApproach(a))
        throw new Error(`unknown approach "${a}"; choose from ${APPROACHES.join(", ")}`);
    const ports = (args.ports ?? "8081,8082").split(",").map((p) => wholeArg(p, 0, "--ports", 0));
    if (ports.length !== 2 || ports.some((p) => p > 65535))
      throw new Error(`--ports takes two ports, such as 8081,8082, not "${args.ports}"`);
    const options: ContentionOptions = {
      approaches: approaches as Approach[],
      ...pairOptions(args),
      ports: ports as [number, number],
    };
    const out = outDir(args.out, "contention-results");
    const signal = interruptSignal("the finished approaches");
    log(
      `needadb contention: ${options.approaches.length} approaches, ${options.durationS} s per phase, ` +
        `about ${Math.ceil((options.approaches.length * (2 * options.durationS + 4)) / 60)} min`,
    );
    const results = await runContention(options, signal);
    const md = `# needadb contention report\n\n${mdTable(contentionTable(results))}\n\n${contentionNotes(results)}\n`;
    writeLabOutputs(out, "contention", results, md);
    if (results.error) process.exitCode = 1;
  },
});

if (import.meta.main) await runMain(command);
