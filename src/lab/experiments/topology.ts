// Several app servers, the course's last step. Two app servers share one PostgreSQL, and a
// probe creates users through one and reads them through the other; then the same with
// SQLite, where each server can only have its own file. PostgreSQL's reads and writes are
// also measured against the `null` ceiling, on one server. Last, PostgreSQL with 0, 1 and 2
// read replicas (experiments/replicas.ts).
import { rmSync } from "node:fs";
import { join } from "node:path";
import { emptyDir, withCell, withServer } from "../harness/cell.ts";
import { ensureDataset, prepareCellDir } from "../harness/datasets.ts";
import { DEFAULT_SEED } from "../harness/seed.ts";
import { describeLoad, runLoad } from "../load/load.ts";
import type { ReplicaRun, TopologyResults, TopologyRun, VsNull } from "../results/topology.ts";
import * as two from "./pair.ts";
import { measureReplicas, REPLICA_COUNTS } from "./replicas.ts";

const WORKLOADS = ["read", "write"] as const;

function toRun(
  setup: TopologyRun["setup"],
  approach: string,
  shares: string,
  pair: two.PairResult,
  rpsSingle: number,
): TopologyRun {
  return { ...two.twoServerRun(approach, pair, rpsSingle), setup, shares };
}

interface Step {
  root: string;
  dataset: string;
  load: two.WriteLoad;
  signal: AbortSignal;
  log: (m: string) => void;
}

/** `null` on one server, reads then writes: the ceiling. */
async function measureCeiling(s: Step): Promise<Map<string, number>> {
  const rps = new Map<string, number>();
  await withServer(
    { approach: "null", dataDir: emptyDir(join(s.root, "null")) },
    async (server) => {
      for (const workload of WORKLOADS)
        rps.set(
          workload,
          (await runLoad({ ...s.load, url: server.url, workload, signal: s.signal })).rps,
        );
    },
  );
  return rps;
}

/** One PostgreSQL with the seeded users; app servers with nothing of their own on disk. */
async function measurePostgres(s: Step, ceiling: Map<string, number>) {
  const cell = {
    approach: "postgres" as const,
    dataset: s.dataset,
    dir: join(s.root, "postgres"),
    log: s.log,
  };
  return withCell(cell, async ({ env }) => {
    const vsNull: VsNull[] = [];
    const appDir = emptyDir(join(s.root, "app-a"));
    await withServer({ approach: "postgres", dataDir: appDir, env }, async (server) => {
      for (const workload of WORKLOADS) {
        const rps = (await runLoad({ ...s.load, url: server.url, workload, signal: s.signal })).rps;
        const base = ceiling.get(workload) ?? 0;
        vsNull.push({ workload, postgres_rps: rps, null_rps: base, ratio: base ? rps / base : 0 });
      }
    });
    const pair = await two.measurePair({
      ...{ approach: "postgres", dataDirs: [appDir, emptyDir(join(s.root, "app-b"))] },
      ...{ ports: [0, 0], env, load: s.load, signal: s.signal },
    });
    const single = vsNull.find((v) => v.workload === "write")?.postgres_rps ?? 0;
    return {
      vsNull,
      run: toRun("postgres-shared", "postgres", "one PostgreSQL server", pair, single),
    };
  });
}

/** SQLite, the file beside each server: every server has its own copy of the data. */
async function measureSqlitePerServer(s: Step): Promise<TopologyRun> {
  const [dirA, dirB] = [join(s.root, "sqlite-a"), join(s.root, "sqlite-b")];
  await prepareCellDir(s.dataset, dirA, "sqlite");
  const common = { approach: "sqlite" as const, env: {}, load: s.load, signal: s.signal };
  const single = await two.measureSingle({ ...common, dataDir: dirA, port: 0 });
  await prepareCellDir(s.dataset, dirA, "sqlite");
  await prepareCellDir(s.dataset, dirB, "sqlite");
  const pair = await two.measurePair({ ...common, dataDirs: [dirA, dirB], ports: [0, 0] });
  return toRun("sqlite-per-server", "sqlite", "nothing: one users.db each", pair, single.rps);
}

export async function runTopology(
  o: two.PairOptions,
  signal: AbortSignal,
): Promise<TopologyResults> {
  const started = new Date();
  const { dir: dataset } = ensureDataset(o.workDir, o.records, DEFAULT_SEED);
  const s: Step = {
    root: join(o.workDir, "topology"),
    dataset,
    load: two.writeLoad(o, dataset),
    signal,
    log: o.log,
  };
  const runs: TopologyRun[] = [];
  const replicaRuns: ReplicaRun[] = [];
  let vsNull: VsNull[] = [];
  let error: string | undefined;
  try {
    o.log("[1/4] null, one server: reads and writes (the ceiling)");
    const ceiling = await measureCeiling(s);
    o.log("[2/4] postgres: one server against null, then two app servers on one PostgreSQL");
    const pg = await measurePostgres(s, ceiling);
    vsNull = pg.vsNull;
    runs.push(pg.run);
    o.log("[3/4] sqlite: two app servers, each with its own database file");
    runs.push(await measureSqlitePerServer(s));
    for (const n of REPLICA_COUNTS) {
      o.log(
        `[4/4] postgres with ${n} read replicas: reads, writes, lag, stale reads, then read-your-writes`,
      );
      replicaRuns.push(await measureReplicas(s, n));
    }
  } catch (err) {
    if (!signal.aborted) {
      error = (err as Error).message;
      o.log(`the run failed: ${error}`);
    }
  } finally {
    rmSync(s.root, { recursive: true, force: true });
  }
  return {
    needadb_topology: 1,
    ...two.twoServerResults(o, started, {
      complete:
        !error &&
        !signal.aborted &&
        runs.length === 2 &&
        replicaRuns.length === REPLICA_COUNTS.length,
      ...(error ? { error } : {}),
      load: describeLoad({ ...s.load, workload: "write" }),
    }),
    network:
      "loopback: the app servers, PostgreSQL and the load generator share this machine and talk over 127.0.0.1 (no network namespaces)",
    runs,
    postgres_vs_null: vsNull,
    replica_runs: replicaRuns,
  };
}
