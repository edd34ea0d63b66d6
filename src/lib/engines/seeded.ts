// What `npm run seed` wrote, read back for the stores that keep their data in an engine's
// own format (lmdb, leveldb) and so must load it once: users, products at their stock now,
// and the seeded orders. The build happens beside the final name and is renamed into place
// once durable, so a crash mid-build leaves no half-built database behind.
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { AtomicFile, fsyncDir, fsyncPath } from "../files/durable-fs.ts";
import { jsonRecordsIn, loadJsonl, loadRecords } from "../files/jsonl.ts";
import { SetAside } from "../files/set-aside.ts";
import { USERS_FILE } from "../files/user-log.ts";
import { ORDERS_FILE, unframeOrder } from "../memory-orders.ts";
import { isProduct, type Order, PRODUCTS_FILE, type Product, stockAfter } from "../order.ts";
import { isUser, type User } from "../user.ts";

export interface Seeded {
  /**
   * Each user with its JSON text as seeded, in the order they were created (random ids),
   * read from users.jsonl as it is iterated: a build holds only the batch it is writing.
   */
  users: Iterable<{ user: User; json: string }>;
  /** At their stock now: what the seeded orders took is taken. */
  products: Product[];
  orders: Order[];
}

/** Reads the seeded files in `dataDir`; a file that is missing counts as empty. */
export function readSeeded(dataDir: string, log: (message: string) => void): Seeded {
  const aside = new SetAside(dataDir, log);
  // One pass to check the file and set aside what a crash left in it, keeping nothing; the
  // users are then read again, one at a time, as the build asks for them.
  const usersPath = join(dataDir, USERS_FILE);
  loadJsonl(usersPath, isUser, () => {}, aside);
  const users = {
    *[Symbol.iterator]() {
      for (const { value, json } of jsonRecordsIn<User>(usersPath)) yield { user: value, json };
    },
  };
  const products: Product[] = [];
  loadJsonl(join(dataDir, PRODUCTS_FILE), isProduct, (p) => products.push(p), aside);
  const orders: Order[] = [];
  loadRecords(join(dataDir, ORDERS_FILE), unframeOrder, (o) => orders.push(o), aside);
  return { users, products: stockAfter(products, orders), orders };
}

/**
 * Builds `path` (a file or a directory) with `build` under a temporary name beside it, makes
 * everything in it durable, and renames it into place. Does nothing if `path` exists: it is
 * only ever complete. Two processes building at once both finish; the first rename wins.
 */
export async function buildOnce(
  path: string,
  build: (tempPath: string) => Promise<void>,
): Promise<boolean> {
  if (existsSync(path)) return false;
  const temp = `${path}.building-${process.pid}`;
  rmSync(temp, { recursive: true, force: true });
  try {
    await build(temp);
    syncTree(temp);
    if (!existsSync(path)) {
      renameSync(temp, path);
      fsyncDir(dirname(path));
    }
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
  return true;
}

/** Written by `npm run seed` last: an id of the seeding, which every build from it records. */
export const SEED_ID_FILE = "seed.id";

const seedIdIn = (path: string) => (existsSync(path) ? readFileSync(path, "utf8").trim() : "");

/**
 * A build from an earlier seeding holds another dataset: it is set aside (renamed, never
 * deleted: writes made through the store since are in it), with `companions`, so that the
 * build starts again from the seed now in DATA_DIR.
 */
function setAsideStale(
  dataDir: string,
  file: string,
  companions: readonly string[],
  log: (m: string) => void,
) {
  const path = join(dataDir, file);
  const now = seedIdIn(join(dataDir, SEED_ID_FILE));
  const built = seedIdIn(`${path}.${SEED_ID_FILE}`);
  if (!existsSync(path) || !now || built === now) return;
  const aside = `${path}.before-seed-${now.slice(0, 8)}`;
  for (const suffix of ["", ...companions, `.${SEED_ID_FILE}`])
    if (existsSync(`${path}${suffix}`)) renameSync(`${path}${suffix}`, `${aside}${suffix}`);
  fsyncDir(dataDir);
  log(
    `${file} was built from an earlier seeding: set aside as ${aside}, to build again from this one`,
  );
}

/**
 * A store's `prepare`: builds `file` in DATA_DIR from the seed with `build`, once per
 * seeding, and logs it under `label` (the store's name). `companions`: suffixes of files that
 * go with it (an engine's lock file).
 */
export function prepareFromSeed(
  label: string,
  file: string,
  build: (path: string, seeded: Seeded) => Promise<void>,
  companions: readonly string[] = [],
): (o: { dataDir: string; log: (message: string) => void }) => Promise<void> {
  return async ({ dataDir, log }) => {
    setAsideStale(dataDir, file, companions, log);
    const path = join(dataDir, file);
    if (await buildOnce(path, (temp) => build(temp, readSeeded(dataDir, log)))) {
      const id = seedIdIn(join(dataDir, SEED_ID_FILE));
      if (id) writeFileAtomically(`${path}.${SEED_ID_FILE}`, id);
      log(`${label}: loaded the seeded users, products and orders into ${path}`);
    }
  };
}

function writeFileAtomically(path: string, text: string): void {
  const f = new AtomicFile(path);
  f.write(text);
  f.commit();
}

/** fsync of a file, or of a directory's files and then the directory itself. */
function syncTree(path: string): void {
  if (statSync(path).isDirectory()) {
    for (const e of readdirSync(path, { withFileTypes: true }))
      if (e.isFile()) fsyncPath(join(path, e.name));
  }
  fsyncPath(path);
}
