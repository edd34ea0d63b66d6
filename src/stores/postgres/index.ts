import { join, resolve } from "node:path";
import type pg from "pg";
import { buildOnce } from "../../lib/engines/seeded.ts";
import { USERS_FILE } from "../../lib/files/user-log.ts";
import { ORDERS_FILE } from "../../lib/memory-orders.ts";
import { PRODUCTS_FILE } from "../../lib/order.ts";
import type { Durability, OpenStore, Simplicity, StoreModule, StoreOptions } from "../_types.ts";
import {
  describeUrl,
  type EmbeddedPostgres,
  importSeed,
  migrate,
  newPool,
  POSTGRES_DIR,
  startEmbeddedPostgres,
} from "./engine.ts";
import { PrimaryWatch, readThroughFailover, writeOnPrimary } from "./failover.ts";
import { PostgresOrderBook } from "./orders.ts";
import { APPLY_WAIT_MS_MAX, commitApplied, ReplicaReads } from "./replicas.ts";
import { insertUser, type SqlClient, settingsOf, usersOf } from "./sql.ts";
import { REPLICAS_MAX, startStandbys } from "./standby.ts";

export const simplicity: Simplicity = "server";

export const processes = {
  many: true,
  why: "every process is a client of the same PostgreSQL server, which orders all writes",
};

/**
 * The embedded cluster, and the seeded users.jsonl, products.jsonl and orders.jsonl, which are
 * loaded into empty tables at start.
 */
export const files = [POSTGRES_DIR, USERS_FILE, PRODUCTS_FILE, ORDERS_FILE];

/**
 * The embedded cluster with the seeded rows, built once in DATA_DIR/postgres: a lab dataset
 * then holds a ready cluster that each cell copies, instead of loading it again in every
 * cell (15 s at a million users). With DATABASE_URL the database is the user's: nothing here.
 */
export const prepare: StoreModule["prepare"] = async ({ dataDir, env, log }) => {
  if (env.DATABASE_URL) return;
  const path = join(resolve(dataDir), POSTGRES_DIR);
  const built = await buildOnce(path, async (temp) => {
    const embedded = await startEmbeddedPostgres(dataDir, log, temp);
    // prepareSchema stops the server if it fails.
    await withSmallWal(embedded.url, () => prepareSchema(embedded.url, dataDir, embedded, log));
    await embedded.stop();
  });
  if (built) log(`postgres: loaded the seeded users, products and orders into ${path}`);
};

/** More than this many replicas is a typo; see lib/engines/postgres-standby.ts. */
const replicaCount = (env: StoreOptions["env"]): number => {
  const n = Number(env.POSTGRES_REPLICAS ?? 0);
  if (Number.isInteger(n) && n >= 0 && n <= REPLICAS_MAX) return n;
  throw new Error(
    `POSTGRES_REPLICAS must be a whole number from 0 to ${REPLICAS_MAX}, not "${env.POSTGRES_REPLICAS}"`,
  );
};

export const service: StoreModule["service"] = async ({ dataDir, env, log }) => {
  if (env.DATABASE_URL !== undefined && !URL.canParse(env.DATABASE_URL)) {
    throw new Error(
      "DATABASE_URL is not a URL; set it like postgres://user:password@host:5432/dbname, or unset it to use the embedded PostgreSQL",
    );
  }
  const replicas = replicaCount(env);
  if (env.DATABASE_URL && replicas > 0) {
    throw new Error(
      "POSTGRES_REPLICAS starts replicas of the embedded PostgreSQL; for a server you run, give its replicas in DATABASE_REPLICA_URLS instead",
    );
  }
  let embedded = env.DATABASE_URL ? undefined : await startEmbeddedPostgres(dataDir, log);
  const url = env.DATABASE_URL ?? (embedded?.url as string);
  await prepareSchema(url, dataDir, embedded, log);
  if (!embedded) return { env: { DATABASE_URL: url }, stop: async () => {} };
  const restart = () => startEmbeddedPostgres(dataDir, log);
  const started = await startStandbys(embedded, replicas, restart, { log }).catch(async (err) => {
    await embedded?.stop();
    throw err;
  });
  embedded = started.primary;
  const urls = started.standbys.map((s) => s.url);
  return {
    env: {
      DATABASE_URL: embedded.url,
      ...(urls.length ? { DATABASE_REPLICA_URLS: urls.join(",") } : {}),
    },
    stop: async () => {
      await Promise.all(started.standbys.map((s) => s.stop()));
      await started.primary.stop();
    },
  };
};

/**
 * With its default WAL limit (1 GB), a bulk load leaves PostgreSQL holding its WAL segments
 * for reuse: 497 MB after a million users, beside 326 MB of tables, which every copy of the
 * cluster would carry. Under a small limit its checkpoints keep a few; the default the cells
 * run with is put back before the cluster is stopped.
 */
async function withSmallWal(url: string, fn: () => Promise<void>): Promise<void> {
  const pool = newPool(url, 1);
  const limit = async (min: string, max: string) => {
    await pool.query(
      min ? `ALTER SYSTEM SET min_wal_size = '${min}'` : "ALTER SYSTEM RESET min_wal_size",
    );
    await pool.query(
      max ? `ALTER SYSTEM SET max_wal_size = '${max}'` : "ALTER SYSTEM RESET max_wal_size",
    );
    await pool.query("SELECT pg_reload_conf()");
  };
  try {
    await limit("32MB", "64MB");
    await fn();
    await limit("", "");
  } finally {
    await pool.end();
  }
}

/** Migrations and the seeded rows, on the primary only; a replica gets them by streaming. */
async function prepareSchema(
  url: string,
  dataDir: string,
  embedded: EmbeddedPostgres | undefined,
  log: (message: string) => void,
): Promise<void> {
  const pool = newPool(url, 2);
  try {
    await migrate(pool, log);
    await importSeed(pool, dataDir, log);
  } catch (err) {
    await embedded?.stop();
    const hint = embedded
      ? ""
      : ". Check that this server is running and DATABASE_URL is right, or unset DATABASE_URL to use the embedded PostgreSQL";
    throw new Error(`PostgreSQL at ${describeUrl(url)}: ${(err as Error).message}${hint}`);
  } finally {
    await pool.end();
  }
}

export const open: OpenStore = async ({ env, log }) => {
  const url = env.DATABASE_URL;
  if (!url) throw new Error("DATABASE_URL is not set and no embedded PostgreSQL was started");
  const replicaUrls = (env.DATABASE_REPLICA_URLS ?? "").split(",").filter((u) => u.trim());
  for (const u of replicaUrls)
    if (!URL.canParse(u)) throw new Error(`DATABASE_REPLICA_URLS has "${u}", which is not a URL`);
  const pool = newPool(url);
  // An idle connection that breaks (the server restarted) must not crash the process.
  pool.on("error", (err) => log(`postgres: idle connection failed: ${err.message}`));
  const setting = await settingsOf(pool, SETTINGS);
  const reads = replicaUrls.length ? new ReplicaReads(pool, replicaUrls) : undefined;
  await reads?.start();
  // remote_apply waits only for standbys named in synchronous_standby_names.
  const canApply = !reads || setting.synchronous_standby_names !== "";
  const read = <T>(q: (p: SqlClient) => Promise<T>): Promise<T> =>
    readThroughFailover(() => (reads ? reads.read(q) : q(pool)));
  const users = usersOf(pool, read);
  const watch = new PrimaryWatch();
  return {
    durability: durabilityOf(setting),
    details: detailsOf(url, pool, setting, replicaUrls.length),
    health: () => ({ ...watch.health(), ...(reads ? { replicas: reads.statuses() } : {}) }),
    get: users.get,
    findByEmail: users.findByEmail,
    async insert(user, _json, prefer) {
      const write = insertUser(user);
      if (!prefer?.read_your_writes || !reads || !canApply) {
        await writeOnPrimary(pool, write, watch);
        // With no replica, every read is of the primary, which has the write.
        return prefer?.read_your_writes ? { read_your_writes: !reads } : undefined;
      }
      return { read_your_writes: await commitApplied(pool, write) };
    },
    count: users.count,
    orders: new PostgresOrderBook(pool),
    close: async () => {
      await reads?.close();
      await pool.end();
    },
  };
};

const SETTINGS = ["synchronous_commit", "fsync", "server_version", "synchronous_standby_names"];

function durabilityOf(setting: Record<string, string>): Durability {
  const syncs = setting.fsync !== "off" && setting.synchronous_commit !== "off";
  return syncs
    ? {
        survives: "power-loss",
        claim: `Survives a power loss: PostgreSQL flushes its write-ahead log to disk before COMMIT returns (synchronous_commit=${setting.synchronous_commit}).`,
      }
    : {
        survives: "process-crash",
        claim: `Survives a crash of the app, not a power loss: this server runs with fsync=${setting.fsync}, synchronous_commit=${setting.synchronous_commit}.`,
      };
}

function detailsOf(url: string, pool: pg.Pool, setting: Record<string, string>, replicas: number) {
  return {
    server: describeUrl(url),
    server_version: setting.server_version ?? "unknown",
    synchronous_commit: setting.synchronous_commit ?? "unknown",
    pool_max: pool.options.max ?? 0,
    email_lookup: "CREATE INDEX users_by_email ON users (email) (migration 3)",
    ...(replicas
      ? {
          reads_from: `${replicas} replica(s), or the primary while none serves reads`,
          read_your_writes: setting.synchronous_standby_names
            ? `Prefer: read-your-writes commits with remote_apply, waiting at most ${APPLY_WAIT_MS_MAX} ms for ${setting.synchronous_standby_names}`
            : "not offered: the primary names no synchronous standbys (synchronous_standby_names), so remote_apply waits for none",
        }
      : {}),
  };
}
