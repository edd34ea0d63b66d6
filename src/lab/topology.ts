// npm run topology: several app servers, the course's last step. Two app servers share one
// PostgreSQL, and a probe creates users through one and reads them through the other; then
// the same with SQLite, where each server can only have its own file. It also measures
// PostgreSQL's reads and writes against the `null` ceiling, on one server.
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { defineCommand, runMain } from "citty";
import type { Approach } from "../stores/index.ts";
import { interruptSignal, outDir, pairArgs, pairOptions, writeLabOutputs } from "./cli.ts";
import { ensureDataset, prepareCellDir } from "./datasets.ts";
import { describeLoad, runLoad, type Workload } from "./load.ts";
import { measurePair, measureSingle, type PairResult, startServiceFor, writeLoad } from "./pair.ts";
import { DEFAULT_SEED } from "./seed.ts";
import { startServer } from "./server-process.ts";
import { mdTable, type Table } from "./table.ts";

export interface TopologyRun {
  setup: "postgres-shared" | "sqlite-per-server";
  approach: Approach;
  /** What the servers share: one PostgreSQL, or nothing. */
  shares: string;
  servers: 2;
  rps: number;
  rps_single: number;
  p99_ms: number;
  errors_5xx: number;
  stale_reads: number;
  probes: number;
  records_a: number;
  records_b: number;
  diverged: boolean;
}

export interface VsNull {
  workload: Workload;
  postgres_rps: number;
  null_rps: number;
  ratio: number;
}

export interface TopologyResults {
  needadb_topology: 1;
  started_at: string;
  finished_at: string;
  complete: boolean;
  error?: string;
  records: number;
  duration_s: number;
  connections: number;
  load: string;
  /** How the app servers reach each other and the database. */
  network: string;
  runs: TopologyRun[];
  postgres_vs_null: VsNull[];
}

export interface TopologyOptions {
  records: number;
  durationS: number;
  connections: number;
  tool: "wrk" | "autocannon";
  workDir: string;
}

const log = (m: string) => process.stderr.write(`${m}\n`);

function toRun(
  setup: TopologyRun["setup"],
  approach: Approach,
  shares: string,
  pair: PairResult,
  rpsSingle: number,
): TopologyRun {
  return {
    setup,
    approach,
    shares,
    servers: 2,
    rps: pair.rps,
    rps_single: rpsSingle,
    p99_ms: pair.p99_ms,
    errors_5xx: pair.non2xx + pair.probe.failed_creates,
    stale_reads: pair.probe.stale_reads,
    probes: pair.probe.probes,
    records_a: pair.records_a,
    records_b: pair.records_b,
    diverged: pair.diverged,
  };
}

export async function runTopology(
  o: TopologyOptions,
  signal: AbortSignal,
): Promise<TopologyResults> {
  const started = new Date();
  const { dir: dataset } = ensureDataset(o.workDir, o.records, DEFAULT_SEED);
  const root = join(o.workDir, "topology");
  const load = writeLoad(o, dataset);
  const runs: TopologyRun[] = [];
  const vsNull: VsNull[] = [];
  let error: string | undefined;
  const step = (n: number, what: string) => log(`[${n}/3] ${what}`);
  try {
    // 1. The ceiling: `null` on one server, reads then writes.
    step(1, "null, one server: reads and writes (the ceiling)");
    const nullRps = new Map<Workload, number>();
    const nullDir = join(root, "null");
    mkdirSync(nullDir, { recursive: true });
    const ceiling = await startServer({ approach: "null", dataDir: nullDir });
    try {
      for (const workload of ["read", "write"] as const) {
        nullRps.set(workload, (await runLoad({ ...load, url: ceiling.url, workload, signal })).rps);
      }
    } finally {
      await ceiling.stop();
    }

    // 2. PostgreSQL: one database server, loaded with the seeded users; app servers with
    // nothing of their own on disk.
    step(2, "postgres: one server against null, then two app servers on one PostgreSQL");
    const pgDir = join(root, "postgres");
    await prepareCellDir(dataset, pgDir, "postgres");
    const service = await startServiceFor("postgres", pgDir, log);
    try {
      const env = service?.env ?? {};
      const appDir = (name: string) => {
        const dir = join(root, name);
        rmSync(dir, { recursive: true, force: true });
        mkdirSync(dir, { recursive: true });
        return dir;
      };
      const single = await startServer({ approach: "postgres", dataDir: appDir("app-a"), env });
      let singleWriteRps = 0;
      try {
        for (const workload of ["read", "write"] as const) {
          const rps = (await runLoad({ ...load, url: single.url, workload, signal })).rps;
          if (workload === "write") singleWriteRps = rps;
          const base = nullRps.get(workload) ?? 0;
          vsNull.push({
            workload,
            postgres_rps: rps,
            null_rps: base,
            ratio: base ? rps / base : 0,
          });
        }
      } finally {
        await single.stop();
      }
      const pair = await measurePair({
        approach: "postgres",
        dataDirs: [appDir("app-a"), appDir("app-b")],
        ports: [0, 0],
        env,
        load,
        signal,
      });
      runs.push(
        toRun("postgres-shared", "postgres", "one PostgreSQL server", pair, singleWriteRps),
      );
    } finally {
      await service?.stop();
    }

    // 3. SQLite, the file beside each server: every server has its own copy of the data.
    step(3, "sqlite: two app servers, each with its own database file");
    const [dirA, dirB] = [join(root, "sqlite-a"), join(root, "sqlite-b")];
    await prepareCellDir(dataset, dirA, "sqlite");
    const single = await measureSingle({
      approach: "sqlite",
      dataDir: dirA,
      port: 0,
      env: {},
      load,
      signal,
    });
    await prepareCellDir(dataset, dirA, "sqlite");
    await prepareCellDir(dataset, dirB, "sqlite");
    const pair = await measurePair({
      approach: "sqlite",
      dataDirs: [dirA, dirB],
      ports: [0, 0],
      env: {},
      load,
      signal,
    });
    runs.push(toRun("sqlite-per-server", "sqlite", "nothing: one users.db each", pair, single.rps));
  } catch (err) {
    if (!signal.aborted) {
      error = (err as Error).message;
      log(`the run failed: ${error}`);
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  return {
    needadb_topology: 1,
    started_at: started.toISOString(),
    finished_at: new Date().toISOString(),
    complete: !error && !signal.aborted && runs.length === 2,
    ...(error ? { error } : {}),
    records: o.records,
    duration_s: o.durationS,
    connections: o.connections,
    load: describeLoad({ ...load, workload: "write" }),
    network:
      "loopback: the app servers, PostgreSQL and the load generator share this machine and talk over 127.0.0.1 (no network namespaces)",
    runs,
    postgres_vs_null: vsNull,
  };
}

const int = (n: number) => Math.round(n).toLocaleString("en");

/** The two-servers table, as topology.md and the benchmark report show it. */
export function topologyTable(r: TopologyResults): Table {
  return {
    header: [
      "app servers on",
      "sharing",
      "two servers: req/s",
      "one server: req/s",
      "p99 ms (two)",
      "5xx",
      "stale reads / probes",
      "records A / B",
      "diverged",
    ],
    rows: r.runs.map((x) => [
      `\`${x.approach}\``,
      x.shares,
      int(x.rps),
      int(x.rps_single),
      x.p99_ms.toFixed(1),
      int(x.errors_5xx),
      `${int(x.stale_reads)} / ${int(x.probes)}`,
      `${int(x.records_a)} / ${int(x.records_b)}`,
      x.diverged ? "**yes**" : "no",
    ]),
  };
}

/** PostgreSQL on one app server against the `null` ceiling. */
export function postgresVsNullTable(r: TopologyResults): Table {
  return {
    header: ["workload", "postgres req/s", "null req/s", "× null"],
    rows: r.postgres_vs_null.map((v) => [
      v.workload,
      int(v.postgres_rps),
      int(v.null_rps),
      v.ratio.toFixed(2),
    ]),
  };
}

export function topologyNotes(r: TopologyResults): string {
  return (
    `Each app server takes half of ${r.connections} connections of write load for ${r.duration_s} s, from ${int(r.records)} seeded records; ` +
    "a probe creates users through server A and reads each through server B straight after its 201, and afterwards both servers' counts " +
    `and every probe user are compared. Network: ${r.network}.`
  );
}

const command = defineCommand({
  meta: {
    name: "npm run topology --",
    description:
      "Run two app servers on one PostgreSQL (embedded, from npm) and then two on one SQLite file each, with write load and a create-here-read-there probe; measure PostgreSQL against null. Writes topology.json and topology.md.",
  },
  args: pairArgs("topology-results"),
  async run({ args }) {
    const options: TopologyOptions = pairOptions(args);
    const out = outDir(args.out, "topology-results");
    const signal = interruptSignal("what finished");
    log(`needadb topology: 3 steps, about ${Math.ceil((7 * options.durationS + 20) / 60)} min`);
    const results = await runTopology(options, signal);
    const md =
      `# needadb topology report\n\n${mdTable(topologyTable(results))}\n\n` +
      `PostgreSQL on one app server, against the \`null\` ceiling:\n\n${mdTable(postgresVsNullTable(results))}\n\n` +
      `${topologyNotes(results)}\n`;
    writeLabOutputs(out, "topology", results, md);
    if (!results.complete) process.exitCode = 1;
  },
});

if (import.meta.main) await runMain(command);
