// PostgreSQL with 0, 1 and 2 read replicas (POSTGRES_REPLICAS), two app servers on it: read
// and write throughput, replication lag sampled from /health during the write load, and the
// create-here-read-there probe, first with plain writes, then with every write asking
// Prefer: read-your-writes (synchronous_commit = remote_apply).
import { join } from "node:path";
import { emptyDir, withCell, withServers } from "../harness/cell.ts";
import { health } from "../harness/client.ts";
import { median } from "../results/stats.ts";
import type { ReplicaRun, ReplicaWrites } from "../results/topology.ts";
import { loadAt, measureAddresses, type WriteLoad } from "./pair.ts";

export const REPLICA_COUNTS = [0, 1, 2] as const;
/** How often /health is asked for the replicas' lag while the write load runs. */
const LAG_SAMPLE_MS = 200;
const READ_YOUR_WRITES = "read-your-writes";

export interface ReplicaStep {
  root: string;
  dataset: string;
  load: WriteLoad;
  signal: AbortSignal;
  log: (m: string) => void;
}

/** What GET /health says of each read replica (postgres, with POSTGRES_REPLICAS). */
interface ReplicaHealth {
  lag_ms?: number | null;
  lag_bytes?: number | null;
  serving_reads: boolean;
}

interface LagSamples {
  lag_ms: number[];
  lag_bytes: number[];
  out: number;
  samples: number;
}

/** Runs `fn` while sampling the replicas' lag from `url`'s /health. */
async function sampleLag<T>(url: string, fn: () => Promise<T>): Promise<[T, LagSamples]> {
  const s: LagSamples = { lag_ms: [], lag_bytes: [], out: 0, samples: 0 };
  let running = true;
  const sampling = (async () => {
    while (running) {
      const replicas = ((await health(url)).replicas ?? []) as ReplicaHealth[];
      if (replicas.length) {
        s.samples++;
        s.lag_ms.push(Math.max(...replicas.map((r) => r.lag_ms ?? 0)));
        s.lag_bytes.push(Math.max(...replicas.map((r) => r.lag_bytes ?? 0)));
        if (replicas.some((r) => !r.serving_reads)) s.out++;
      }
      await new Promise((r) => setTimeout(r, LAG_SAMPLE_MS));
    }
  })();
  try {
    return [await fn(), s];
  } finally {
    running = false;
    await sampling;
  }
}

const most = (xs: number[]) => (xs.length ? Math.max(...xs) : null);

async function measureWrites(
  urls: [string, string],
  s: ReplicaStep,
  prefer?: string,
): Promise<ReplicaWrites> {
  const load = { ...s.load, ...(prefer ? { prefer } : {}) };
  const probe = { timeStale: true, ...(prefer ? { prefer } : {}) };
  const [pair, lag] = await sampleLag(urls[0], () =>
    measureAddresses(urls, { load, probe, signal: s.signal }),
  );
  return {
    ...{ rps: pair.rps, p50_ms: pair.p50_ms, p99_ms: pair.p99_ms },
    errors_5xx: pair.non2xx + pair.probe.failed_creates,
    ...{
      probes: pair.probe.probes,
      stale_reads: pair.probe.stale_reads,
      applied: pair.probe.applied,
      stale_ms_max: most(pair.probe.stale_ms),
    },
    ...{ lag_ms_p50: lag.lag_ms.length ? median(lag.lag_ms) : null, lag_ms_max: most(lag.lag_ms) },
    ...{ lag_bytes_max: most(lag.lag_bytes), replicas_out: lag.out, lag_samples: lag.samples },
  };
}

/** One PostgreSQL with `replicas` standbys and two app servers on it. */
export function measureReplicas(s: ReplicaStep, replicas: number): Promise<ReplicaRun> {
  const cell = {
    ...{ approach: "postgres" as const, dataset: s.dataset, log: s.log },
    ...{
      dir: join(s.root, `postgres-${replicas}-replicas`),
      env: { POSTGRES_REPLICAS: String(replicas) },
    },
  };
  return withCell(cell, async ({ env }) => {
    const apps = ["app-a", "app-b"].map((name) => ({
      ...{ approach: "postgres" as const, env },
      dataDir: emptyDir(join(s.root, `${name}-${replicas}`)),
    }));
    return withServers(apps, async ([a, b]) => {
      const urls: [string, string] = [a?.url as string, b?.url as string];
      const read = { ...s.load, workload: "read" as const, signal: s.signal };
      const reads = await loadAt(urls, read);
      return {
        ...{ approach: "postgres", replicas },
        ...{ read_rps: reads.rps, read_p99_ms: reads.p99_ms },
        write: await measureWrites(urls, s),
        write_read_your_writes: await measureWrites(urls, s, READ_YOUR_WRITES),
      };
    });
  });
}
