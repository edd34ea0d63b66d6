// PGlite, PostgreSQL compiled to WASM (npm @electric-sql/pglite), run in the server's own
// process as its users run it: with its defaults. Those start PostgreSQL with fsync off, and
// its Node filesystem has no fsync, so a commit reaches the page cache only: it survives a
// crash of the process, not a power loss, whatever synchronous_commit says. PGlite takes no
// lock on its directory, and two processes on one lose acknowledged writes, so the store
// takes one (DATA_DIR/pglite.lock) and a second server refuses to start, naming the holder;
// PGLITE_UNGUARDED=1 leaves it off, for the contention lab to show what that costs. The
// schema, seed loading, users and orders are the PostgreSQL store's (stores/postgres).
import { join } from "node:path";
import { buildOnce } from "../../lib/engines/seeded.ts";
import { takeLock } from "../../lib/files/pid-lock.ts";
import type {
  Durability,
  Engine,
  LabTraits,
  OpenStore,
  Simplicity,
  StoreModule,
} from "../_types.ts";
import { importSeed, migrate } from "../postgres/engine.ts";
import { PostgresOrderBook } from "../postgres/orders.ts";
import { insertUser, settingsOf, usersOf } from "../postgres/sql.ts";
import { openPglite, PGLITE_DIR } from "./engine.ts";

export const engine: Engine = {
  name: "PostgreSQL in WASM (npm @electric-sql/pglite)",
  like: "postgres",
};
export const simplicity: Simplicity = "engine";

export const processes = {
  many: false,
  why: "PGlite runs PostgreSQL inside one process on its own files and takes no lock on them: a second process would write them unaware of the first",
};

export const lab: LabTraits = {
  contentionVariants: [{ name: "pglite-unguarded", env: { PGLITE_UNGUARDED: "1" } }],
};

export const files = [PGLITE_DIR];

/** The seeded users, products and orders, loaded once into DATA_DIR/pglite. */
export const prepare: StoreModule["prepare"] = async ({ dataDir, log }) => {
  const path = join(dataDir, PGLITE_DIR);
  const built = await buildOnce(path, async (temp) => {
    const pool = await openPglite(temp);
    try {
      await migrate(pool, log);
      await importSeed(pool, dataDir, log);
    } finally {
      await pool.end();
    }
  });
  if (built) log(`pglite: loaded the seeded users, products and orders into ${path}`);
};

function durabilityOf(fsync: string | undefined): Durability {
  return fsync === "off"
    ? {
        survives: "process-crash",
        claim: "Survives a crash of the process, not a power loss: PGlite runs with fsync=off.",
      }
    : { survives: "power-loss", claim: `Survives a power loss: fsync=${fsync}.` };
}

/** PGlite on its directory; when it cannot start, an error that says what may have happened. */
async function openDir(path: string) {
  try {
    return await openPglite(path);
  } catch (err) {
    throw new Error(
      `PGlite could not start on ${path} (${(err as Error).message}). PGlite on Node never calls fsync, so a power cut can leave its files half-written; needadb changed nothing in it. Restore the directory from a copy, or move it aside to start with an empty database`,
    );
  }
}

export const open: OpenStore = async ({ dataDir, env, log }) => {
  const lockPath = join(dataDir, `${PGLITE_DIR}.lock`);
  const lock = env.PGLITE_UNGUARDED ? { release() {} } : takeLock(lockPath);
  if ("heldBy" in lock)
    throw new Error(
      `${lockPath} is held by process ${lock.heldBy}, a server running PGlite on this DATA_DIR; PGlite takes no lock of its own, and two processes on one directory lose acknowledged writes: stop that server first, or use another DATA_DIR`,
    );
  const pool = await openDir(join(dataDir, PGLITE_DIR)).catch((err: unknown) => {
    lock.release();
    throw err;
  });
  await migrate(pool, log);
  const setting = await settingsOf(pool, ["fsync", "synchronous_commit"]);
  const users = usersOf(pool, (q) => q(pool));
  return {
    durability: durabilityOf(setting.fsync),
    details: {
      fsync: setting.fsync ?? "unknown",
      email_lookup: "CREATE INDEX users_by_email ON users (email)",
      guarded: env.PGLITE_UNGUARDED ? "no" : "yes",
    },
    ...users,
    insert: async (user) => void (await pool.query(insertUser(user))),
    orders: new PostgresOrderBook(pool),
    close: async () => {
      await pool.end();
      lock.release();
    },
  };
};
