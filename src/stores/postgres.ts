import { ORDERS_FILE } from "../lib/memory-orders.ts";
import { PRODUCTS_FILE } from "../lib/order.ts";
import {
  describeUrl,
  importSeed,
  migrate,
  newPool,
  startEmbeddedPostgres,
} from "../lib/postgres.ts";
import { PostgresOrderBook } from "../lib/postgres-orders.ts";
import { USERS_FILE } from "../lib/user-log.ts";
import type { OpenStore, StoreModule } from "./_types.ts";

export const processes = {
  many: true,
  why: "every process is a client of the same PostgreSQL server, which orders all writes",
};

/** A seeded users.jsonl, products.jsonl and orders.jsonl are loaded into empty tables at start. */
export const files = [USERS_FILE, PRODUCTS_FILE, ORDERS_FILE];

export const service: StoreModule["service"] = async ({ dataDir, env, log }) => {
  if (env.DATABASE_URL !== undefined && !URL.canParse(env.DATABASE_URL)) {
    throw new Error(
      "DATABASE_URL is not a URL; set it like postgres://user:password@host:5432/dbname, or unset it to use the embedded PostgreSQL",
    );
  }
  const embedded = env.DATABASE_URL ? undefined : await startEmbeddedPostgres(dataDir, log);
  const url = env.DATABASE_URL ?? (embedded?.url as string);
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
  return { env: { DATABASE_URL: url }, stop: async () => embedded?.stop() };
};

type UserRow = { id: string; name: string; email: string; created_at: string };

/** Built in the API's field order, so the text matches what the 201 sent. */
const userJson = (u: UserRow) =>
  JSON.stringify({ id: u.id, name: u.name, email: u.email, created_at: u.created_at });

export const open: OpenStore = async ({ env, log }) => {
  const url = env.DATABASE_URL;
  if (!url) throw new Error("DATABASE_URL is not set and no embedded PostgreSQL was started");
  const pool = newPool(url);
  // An idle connection that breaks (the server restarted) must not crash the process.
  pool.on("error", (err) => log(`postgres: idle connection failed: ${err.message}`));
  const settings = await pool.query<{ name: string; setting: string }>(
    "SELECT name, setting FROM pg_settings WHERE name IN ('synchronous_commit', 'fsync', 'server_version')",
  );
  const setting = Object.fromEntries(settings.rows.map((r) => [r.name, r.setting]));
  const syncs = setting.fsync !== "off" && setting.synchronous_commit !== "off";

  return {
    durability: syncs
      ? {
          survives: "power-loss",
          claim:
            "Survives a power loss: PostgreSQL flushes its write-ahead log to disk before COMMIT returns (synchronous_commit=on).",
        }
      : {
          survives: "process-crash",
          claim: `Survives a crash of the app, not a power loss: this server runs with fsync=${setting.fsync}, synchronous_commit=${setting.synchronous_commit}.`,
        },
    details: {
      server: describeUrl(url),
      server_version: setting.server_version ?? "unknown",
      synchronous_commit: setting.synchronous_commit ?? "unknown",
      pool_max: pool.options.max ?? 0,
      email_lookup: "CREATE INDEX users_by_email ON users (email) (migration 3)",
    },
    async get(id) {
      const { rows } = await pool.query<UserRow>({
        name: "find-user",
        text: "SELECT id, name, email, created_at FROM users WHERE id = $1",
        values: [id],
      });
      return rows[0] && userJson(rows[0]);
    },
    async findByEmail(email) {
      const { rows } = await pool.query<UserRow>({
        name: "find-users-by-email",
        text: "SELECT id, name, email, created_at FROM users WHERE email = $1 ORDER BY created_at, id",
        values: [email],
      });
      return rows.map(userJson);
    },
    async insert(user) {
      await pool.query({
        name: "insert-user",
        text: "INSERT INTO users (id, name, email, created_at) VALUES ($1, $2, $3, $4)",
        values: [user.id, user.name, user.email, user.created_at],
      });
    },
    async count() {
      const { rows } = await pool.query<{ n: string }>("SELECT count(*) AS n FROM users");
      return Number(rows[0]?.n);
    },
    orders: new PostgresOrderBook(pool),
    close: () => pool.end(),
  };
};
