// Seeding: one deterministic set of users, written in every form the stores read, so that
// every approach starts from the same data. Each file is built under a temporary name and
// renamed into place once durable, so a crash mid-seed never leaves a half-written file.
import { randomUUID } from "node:crypto";
import { rmSync, statfsSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync, type StatementSync } from "node:sqlite";
import { SEED_ID_FILE } from "../../lib/engines/seeded.ts";
import { DB_FILE, USERS_EMAIL_INDEX, USERS_TABLE } from "../../lib/engines/sqlite.ts";
import { ORDERS_SCHEMA } from "../../lib/engines/sqlite-orders.ts";
import { AtomicFile, mkdirDurably, renameDurably } from "../../lib/files/durable-fs.ts";
import {
  INDEX_ENTRY_BYTES,
  INDEX_FILE,
  SORTED_FILE,
  TAIL_FILE,
  writeSortedLines,
} from "../../lib/files/sorted-file.ts";
import { USERS_FILE } from "../../lib/files/user-log.ts";
import { frameOrder, ORDERS_FILE } from "../../lib/memory-orders.ts";
import { type Order, PRODUCTS_FILE, type Product, stockAfter } from "../../lib/order.ts";
import { ID_LENGTH, type User } from "../../lib/user.ts";
import { ExternalSort, type Keyed } from "./external-sort.ts";
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
/** SQLite's page cache while users.db is built: room for the email index's sort. */
const SEED_DB_CACHE_KIB = 64 * 1024;
/** The disk must hold this much more than a seed is estimated to take. */
const ROOM_MARGIN = 1.1;

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

/** The users, one at a time, in the order they were created: the same for a seed, always. */
export function* userStream(count: number, seed: number): Generator<User> {
  const next = createRandom(seed);
  for (let i = 0; i < count; i++) {
    const first = FIRST_NAMES[next() % FIRST_NAMES.length];
    const last = LAST_NAMES[next() % LAST_NAMES.length];
    yield {
      id: randomUuid(next),
      name: `${first} ${last}`,
      email: `${first?.toLowerCase()}.${last?.toLowerCase()}.${i}@example.com`,
      created_at: new Date(FIRST_CREATED_MS + i * CREATED_STEP_MS).toISOString(),
    };
  }
}

export function generateUsers(count: number, seed: number): User[] {
  return [...userStream(count, seed)];
}

/** A file written through a batch of about WRITE_BATCH_CHARS, and swapped in when complete. */
class BatchedFile {
  private readonly file: AtomicFile;
  private batch = "";
  constructor(path: string) {
    this.file = new AtomicFile(path);
  }
  add(text: string): void {
    this.batch += text;
    if (this.batch.length >= WRITE_BATCH_CHARS) this.flush();
  }
  commit(): void {
    this.flush();
    this.file.commit();
  }
  abort(): void {
    this.file.abort();
  }
  private flush(): void {
    this.file.write(this.batch);
    this.batch = "";
  }
}

function writeLines<T>(path: string, items: Iterable<T>, toText: (item: T) => string): void {
  const file = new BatchedFile(path);
  try {
    for (const item of items) file.add(toText(item));
    file.commit();
  } catch (err) {
    file.abort();
    throw err;
  }
}

/**
 * The first pass: every user in creation order to users.jsonl, ids.txt and emails.txt, and
 * to `sorter`, which sorts them by id on disk. Keeps only the first `keep` users (the ones
 * seeded orders go to). `onUser` sees the count so far, for progress.
 */
function writeCreationOrder(
  dataDir: string,
  count: number,
  seedValue: number,
  o: { sorter: ExternalSort; keep: number; onUser: (n: number) => void },
): User[] {
  const files = [USERS_FILE, IDS_FILE, EMAILS_FILE].map((f) => new BatchedFile(join(dataDir, f)));
  const [users, ids, emails] = files as [BatchedFile, BatchedFile, BatchedFile];
  const kept: User[] = [];
  try {
    let n = 0;
    for (const user of userStream(count, seedValue)) {
      const json = JSON.stringify(user);
      users.add(`${json}\n`);
      ids.add(`${user.id}\n`);
      emails.add(`${user.email}\n`);
      o.sorter.add([user.id, json]);
      if (kept.length < o.keep) kept.push(user);
      o.onUser(++n);
    }
    for (const f of files) f.commit();
    return kept;
  } catch (err) {
    for (const f of files) f.abort();
    throw err;
  }
}

/**
 * users.db, built beside its final name from the users in id order (so each row goes on
 * the table's right edge), then the email index from one sort, then the orders; swapped in
 * with its old WAL removed.
 */
class SeedDatabase {
  private readonly path: string;
  private readonly temp: string;
  private readonly db: DatabaseSync;
  private readonly insert: StatementSync;

  constructor(dataDir: string) {
    this.path = join(dataDir, DB_FILE);
    this.temp = `${this.path}.tmp-${process.pid}`;
    rmSync(this.temp, { force: true });
    this.db = new DatabaseSync(this.temp);
    // Nothing can be lost here: a failed build is simply redone. So no journal while
    // loading, and a page cache big enough for the email index's sort.
    this.db.exec("PRAGMA journal_mode = OFF");
    this.db.exec("PRAGMA synchronous = OFF");
    this.db.exec(`PRAGMA cache_size = -${SEED_DB_CACHE_KIB}`);
    this.db.exec(USERS_TABLE);
    this.insert = this.db.prepare(
      "INSERT INTO users (id, name, email, created_at) VALUES (?, ?, ?, ?)",
    );
    this.db.exec("BEGIN");
  }

  /** Passes `sorted` on, inserting each user on its way. */
  *inserting(sorted: Iterable<Keyed>): Generator<Keyed> {
    for (const record of sorted) {
      const u = JSON.parse(record[1]) as User;
      this.insert.run(u.id, u.name, u.email, u.created_at);
      yield record;
    }
  }

  finish(products: Product[], orders: readonly Order[]): void {
    this.db.exec(USERS_EMAIL_INDEX);
    writeOrderTables(this.db, products, orders);
    this.db.exec("COMMIT");
    this.db.exec("PRAGMA journal_mode = WAL"); // persistent: the stores open it in WAL mode
    this.db.close();
    // A WAL left by the old database would be replayed into the new one: remove it first.
    for (const suffix of ["-wal", "-shm"]) rmSync(`${this.path}${suffix}`, { force: true });
    renameDurably(this.temp, this.path);
  }

  abort(): void {
    if (this.db.isOpen) this.db.close();
    rmSync(this.temp, { force: true });
  }
}

function writeOrderTables(db: DatabaseSync, products: Product[], orders: readonly Order[]): void {
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
}

/** Runs over `records`, calling `each` with the count so far as each passes. */
function* counted<T>(records: Iterable<T>, each: (n: number) => void): Generator<T> {
  let n = 0;
  for (const r of records) {
    yield r;
    each(++n);
  }
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

/** A seed the disk cannot hold: nothing was written. */
export class NoRoomError extends Error {}

/**
 * Bytes a seed of `count` users takes while it is written, from the size of its first
 * users: users.jsonl, users.sorted.jsonl and the sort's runs (each about a line per user),
 * users.idx, ids.txt, emails.txt, and users.db (measured at about 1.5 lines per user).
 */
export function seedBytes(count: number, seedValue: number): number {
  const sample = Math.max(1, Math.min(count, 1_000));
  let line = 0;
  let email = 0;
  for (const u of userStream(sample, seedValue)) {
    line += JSON.stringify(u).length + 1;
    email += u.email.length + 1;
  }
  const perUser = (4.5 * line + email) / sample + INDEX_ENTRY_BYTES + ID_LENGTH + 1;
  return Math.ceil(count * perUser * ROOM_MARGIN);
}

function checkRoom(dataDir: string, count: number, seedValue: number): void {
  const needed = seedBytes(count, seedValue);
  const fs = statfsSync(dataDir);
  const free = fs.bavail * fs.bsize;
  if (needed > free)
    throw new NoRoomError(
      `seeding ${count.toLocaleString("en")} users needs about ${gib(needed)} free in ${dataDir} (its files, and room to sort them); ${gib(free)} is free there. Free some space, seed fewer users, or choose another directory with DATA_DIR or --data-dir. Nothing was written.`,
    );
}

const gib = (bytes: number) =>
  bytes >= 2 ** 30 ? `${(bytes / 2 ** 30).toFixed(1)} GiB` : `${Math.ceil(bytes / 2 ** 20)} MiB`;

/**
 * Writes every file the stores read, all from the same records, in memory bounded whatever
 * the count: users are generated one at a time, sorted by id on disk (external-sort.ts), and
 * each sorted user goes to the sorted file, its index and users.db in one pass.
 */
export function seed({
  dataDir,
  count,
  products: productCount = DEFAULT_PRODUCTS,
  orders: orderCount = 0,
  seed = DEFAULT_SEED,
  progress = false,
}: SeedOptions): void {
  mkdirDurably(dataDir);
  checkRoom(dataDir, count, seed);
  const bar = progress
    ? new Progress(`seeding ${count.toLocaleString("en")} users`, 2 * count)
    : undefined;
  const sorter = new ExternalSort(join(dataDir, `.seed-runs-${process.pid}`));
  try {
    const first = writeCreationOrder(dataDir, count, seed, {
      sorter,
      keep: orderCount,
      onUser: (n) => bar?.update(n, "(users.jsonl, ids.txt, emails.txt)"),
    });
    const products = generateProducts(productCount, seed);
    const lastCreated = FIRST_CREATED_MS + (count - 1) * CREATED_STEP_MS;
    const orders = generateOrders(orderCount, { first, count, lastCreated }, products, seed);
    writeOrderFiles(dataDir, products, orders, first);
    const db = new SeedDatabase(dataDir);
    try {
      const sorted = counted(sorter.sorted(), (n) =>
        bar?.update(count + n, "(users.sorted.jsonl, users.idx, users.db)"),
      );
      writeSortedLines(join(dataDir, SORTED_FILE), join(dataDir, INDEX_FILE), db.inserting(sorted));
      db.finish(products, orders);
    } catch (err) {
      db.abort();
      throw err;
    }
  } finally {
    sorter.close();
  }
  // The binary store's unsorted tail held the old dataset. The engines' databases hold it too:
  // the seeding's id, written last, tells them to build theirs again (lib/engines/seeded.ts).
  rmSync(join(dataDir, TAIL_FILE), { force: true });
  const id = new AtomicFile(join(dataDir, SEED_ID_FILE));
  id.write(randomUUID());
  id.commit();
  bar?.finish(`in ${dataDir}`);
}

/** products.jsonl, orders.jsonl, and ordered-ids.txt: the users that have orders. */
function writeOrderFiles(dataDir: string, products: Product[], orders: Order[], first: User[]) {
  // products.jsonl keeps the stock before any order; the map stores replay orders.jsonl
  // over it. Written even when empty: orders left from an older dataset must not survive.
  writeLines(join(dataDir, PRODUCTS_FILE), products, (p) => `${JSON.stringify(p)}\n`);
  writeLines(join(dataDir, ORDERS_FILE), orders, (o) => `${frameOrder(o)}\n`);
  const ordered = first.slice(0, Math.min(first.length, orders.length));
  writeLines(join(dataDir, ORDERED_IDS_FILE), ordered, (u) => `${u.id}\n`);
}
