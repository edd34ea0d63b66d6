// Seeding: one deterministic set of users, written in every form the stores read, so that
// every approach starts from the same data. Each file is built under a temporary name and
// renamed into place once durable, so a crash mid-seed never leaves a half-written file.
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { AtomicFile, mkdirDurably, renameDurably } from "../../lib/durable-fs.ts";
import { LEVELDB_DIR } from "../../lib/leveldb.ts";
import { LMDB_FILE, LMDB_LOCK_SUFFIX } from "../../lib/lmdb.ts";
import { frameOrder, ORDERS_FILE } from "../../lib/memory-orders.ts";
import { type Order, PRODUCTS_FILE, type Product, stockAfter } from "../../lib/order.ts";
import { INDEX_FILE, SORTED_FILE, TAIL_FILE, writeSortedFiles } from "../../lib/sorted-file.ts";
import { DB_FILE, USERS_SCHEMA } from "../../lib/sqlite.ts";
import { ORDERS_SCHEMA } from "../../lib/sqlite-orders.ts";
import type { User } from "../../lib/user.ts";
import { toLine, USERS_FILE } from "../../lib/user-log.ts";
import { createRandom, randomUuid } from "./prng.ts";
import { Progress } from "./progress.ts";
import { generateOrders } from "./seed-orders.ts";

export const IDS_FILE = "ids.txt";
/** For the load generators: every seeded user's email, and the users that have orders. */
export const EMAILS_FILE = "emails.txt";
export const ORDERED_IDS_FILE = "ordered-ids.txt";
export const DEFAULT_SEED = 42;

const FIRST_NAMES = [
  "Alice",
  "Bob",
  "Carmen",
  "Dmitri",
  "Esther",
  "Farid",
  "Grace",
  "Hiro",
  "Ines",
  "Jamal",
  "Kalani",
  "Lena",
  "Mateo",
  "Nadia",
  "Oren",
  "Priya",
  "Quinn",
  "Rosa",
  "Sven",
  "Tariq",
  "Uma",
  "Viktor",
  "Wen",
  "Yara",
  "Zoe",
];
const LAST_NAMES = [
  "Chen",
  "Torres",
  "Okafor",
  "Novak",
  "Haddad",
  "Schmidt",
  "Tanaka",
  "Silva",
  "Kowalski",
  "Nguyen",
  "Mensah",
  "Larsen",
  "Rossi",
  "Ivanova",
  "Patel",
  "Moreau",
  "Kim",
  "Andersson",
  "Fischer",
  "Adeyemi",
];
/** Seeded users were created one every 30 s from this instant. */
const FIRST_CREATED_MS = Date.parse("2026-01-01T00:00:00.000Z");
const CREATED_STEP_MS = 30_000;
/** Files are written in batches of about this many characters. */
const WRITE_BATCH_CHARS = 1 << 20;

/** Products seeded by default, and the stock each starts with. */
export const DEFAULT_PRODUCTS = 100;
export const PRODUCT_STOCK = 1_000;
const PRODUCT_KINDS = [
  "Kettle",
  "Lamp",
  "Notebook",
  "Backpack",
  "Mug",
  "Chair",
  "Bicycle bell",
  "Tea tin",
];

/** Products from their own stream of the generator, so adding them changed no user. */
export function generateProducts(count: number, seed: number): Product[] {
  const next = createRandom(seed ^ 0x5eed_0001);
  return Array.from({ length: count }, (_, i) => ({
    id: randomUuid(next),
    name: `${PRODUCT_KINDS[next() % PRODUCT_KINDS.length]} no. ${i + 1}`,
    price_cents: 100 + (next() % 9_900),
    stock: PRODUCT_STOCK,
  }));
}

export function generateUsers(count: number, seed: number): User[] {
  const next = createRandom(seed);
  const users: User[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const first = FIRST_NAMES[next() % FIRST_NAMES.length];
    const last = LAST_NAMES[next() % LAST_NAMES.length];
    users[i] = {
      id: randomUuid(next),
      name: `${first} ${last}`,
      email: `${first?.toLowerCase()}.${last?.toLowerCase()}.${i}@example.com`,
      created_at: new Date(FIRST_CREATED_MS + i * CREATED_STEP_MS).toISOString(),
    };
  }
  return users;
}

function writeLines<T>(path: string, users: T[], toText: (u: T) => string): void {
  const file = new AtomicFile(path);
  try {
    let batch = "";
    for (const user of users) {
      batch += toText(user);
      if (batch.length >= WRITE_BATCH_CHARS) {
        file.write(batch);
        batch = "";
      }
    }
    file.write(batch);
    file.commit();
  } catch (err) {
    file.abort();
    throw err;
  }
}

/** Builds users.db beside its final name, then swaps it in with its old WAL removed. */
function writeDatabase(
  dataDir: string,
  sorted: User[],
  products: Product[],
  orders: readonly Order[],
): void {
  const path = join(dataDir, DB_FILE);
  const temp = `${path}.tmp-${process.pid}`;
  rmSync(temp, { force: true });
  const db = new DatabaseSync(temp);
  // Nothing can be lost here: a failed build is simply redone. So no journal while loading.
  db.exec("PRAGMA journal_mode = OFF");
  db.exec("PRAGMA synchronous = OFF");
  db.exec(USERS_SCHEMA);
  const insert = db.prepare("INSERT INTO users (id, name, email, created_at) VALUES (?, ?, ?, ?)");
  db.exec("BEGIN");
  for (const u of sorted) insert.run(u.id, u.name, u.email, u.created_at);
  db.exec(ORDERS_SCHEMA);
  const product = db.prepare(
    "INSERT INTO products (id, name, price_cents, stock) VALUES (?, ?, ?, ?)",
  );
  // SQLite keeps the stock as it is now: what the seeded orders took is taken already.
  for (const p of stockAfter(products, orders)) product.run(p.id, p.name, p.price_cents, p.stock);
  const order = db.prepare(
    "INSERT INTO orders (id, user_id, total_cents, created_at) VALUES (?, ?, ?, ?)",
  );
  const item = db.prepare(
    "INSERT INTO order_items (order_id, product_id, quantity, price_cents) VALUES (?, ?, ?, ?)",
  );
  for (const o of orders) {
    order.run(o.id, o.user_id, o.total_cents, o.created_at);
    for (const i of o.items) item.run(o.id, i.product_id, i.quantity, i.price_cents);
  }
  db.exec("COMMIT");
  db.exec("PRAGMA journal_mode = WAL"); // persistent: the stores open it in WAL mode
  db.close();
  // A WAL left by the old database would be replayed into the new one: remove it first.
  for (const suffix of ["-wal", "-shm"]) rmSync(`${path}${suffix}`, { force: true });
  renameDurably(temp, path);
}

export interface SeedOptions {
  dataDir: string;
  count: number;
  /** Products, each with PRODUCT_STOCK units (default DEFAULT_PRODUCTS). */
  products?: number;
  /** Orders over the seeded users and products (default 0). */
  orders?: number;
  seed?: number;
  /** Show progress on stderr. */
  progress?: boolean;
}

/** Writes every file the stores read, all from the same records. */
export function seed({
  dataDir,
  count,
  products: productCount = DEFAULT_PRODUCTS,
  orders: orderCount = 0,
  seed = DEFAULT_SEED,
  progress = false,
}: SeedOptions): void {
  mkdirDurably(dataDir);
  const steps = ["generating", "users.jsonl", "ids.txt", "sorted file and index", "users.db"];
  const bar = progress
    ? new Progress(`seeding ${count.toLocaleString("en")} users`, steps.length)
    : undefined;
  const step = (i: number) => bar?.update(i, `(${steps[i]})`);

  step(0);
  const users = generateUsers(count, seed);
  step(1);
  writeLines(join(dataDir, USERS_FILE), users, toLine);
  step(2);
  writeLines(join(dataDir, IDS_FILE), users, (u) => `${u.id}\n`);
  writeLines(join(dataDir, EMAILS_FILE), users, (u) => `${u.email}\n`);
  step(3);
  const sorted = users.slice().sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  writeSortedFiles(join(dataDir, SORTED_FILE), join(dataDir, INDEX_FILE), sorted);
  // The binary store's unsorted tail belonged to the old dataset.
  if (existsSync(join(dataDir, TAIL_FILE))) rmSync(join(dataDir, TAIL_FILE));
  const products = generateProducts(productCount, seed);
  // products.jsonl keeps the stock before any order; the map stores replay orders.jsonl
  // over it. Written even when empty: orders left from an older dataset must not survive.
  writeLines(join(dataDir, PRODUCTS_FILE), products, (p) => `${JSON.stringify(p)}\n`);
  const orders = generateOrders(orderCount, users, products, seed);
  writeLines(join(dataDir, ORDERS_FILE), orders, (o) => `${frameOrder(o)}\n`);
  const ordered = users.slice(0, Math.min(users.length, orders.length));
  writeLines(join(dataDir, ORDERED_IDS_FILE), ordered, (u) => `${u.id}\n`);
  step(4);
  writeDatabase(dataDir, sorted, products, orders);
  // The engines' databases hold the old dataset: each is built again, from these files,
  // the next time its store starts (or the lab prepares it).
  for (const built of [LMDB_FILE, `${LMDB_FILE}${LMDB_LOCK_SUFFIX}`, LEVELDB_DIR])
    rmSync(join(dataDir, built), { recursive: true, force: true });
  bar?.finish(`in ${dataDir}`);
}
