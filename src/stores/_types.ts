import type { OrderBook } from "../lib/order.ts";
import type { User } from "../lib/user.ts";

/**
 * What an acknowledged write survives, in the words of the course's write table.
 * The durability lab measures these claims; here they are only declared.
 */
export interface Durability {
  survives: "power-loss" | "process-crash" | "nothing";
  /** One sentence a reader of the report can check against the measured column. */
  claim: string;
}

/** What a client asked of one write (`Prefer: read-your-writes`, RFC 7240). */
export interface WritePreference {
  read_your_writes?: boolean;
}

/**
 * What a store with more than one copy of the data did about a write preference: whether
 * every copy that serves reads showed the write before it was acknowledged.
 */
export interface WriteReceipt {
  read_your_writes: boolean;
}

/** An insert resolves with no receipt, unless a store has one to give (see WriteReceipt). */
// biome-ignore lint/suspicious/noConfusingVoidType: stores that return nothing are the rule
export type InsertResult = void | Promise<void | WriteReceipt>;

/**
 * The one interface every approach implements. Methods may answer synchronously or with a
 * promise: the in-memory stores answer at once, the scanning and networked ones cannot.
 */
export interface Store {
  readonly durability: Durability;
  /** Extra facts for GET /health, such as SQLite's synchronous level. */
  readonly details?: Record<string, string | number>;
  /**
   * Why the store refuses writes until it is restarted (a failed fsync fenced it), or
   * undefined while it takes writes. GET /health then answers "degraded" with this reason.
   */
  fenced?(): string | undefined;
  /** Live facts of the store's own for GET /health, such as `postgres`'s read replicas. */
  health?(): Record<string, unknown>;
  /** Live counters for GET /health, such as group commit's batch sizes. */
  stats?(): Record<string, number>;
  /**
   * The record as JSON text, exactly as the store keeps it. Flat-file stores answer with the
   * stored line itself, so a read never parses and re-serialises a record.
   */
  get(id: string): string | undefined | Promise<string | undefined>;
  /**
   * Stores `user`, whose JSON text is `json` (JSON.stringify(user), computed once by the
   * caller). Resolves once the record is as durable as `durability` claims. A write that
   * fails throws one of lib/storage-errors.ts's errors where the cause is known (a full
   * disk, a full queue, a fenced store), and is never acknowledged.
   */
  insert(user: User, json: string, prefer?: WritePreference): InsertResult;
  /**
   * The users whose email is exactly `email`, as JSON texts, oldest first. How is each
   * store's own (a scan, an index kept in step, or CREATE INDEX); it says which in its
   * `details.email_lookup`, which GET /health shows.
   */
  findByEmail(email: string): readonly string[] | Promise<readonly string[]>;
  count(): number | Promise<number>;
  /**
   * Products and orders, or why this store cannot take orders all-or-nothing (the routes
   * then answer 501 with that reason).
   */
  readonly orders: OrderBook | { unsupported: string };
  /** Flushes what is pending and releases files. Called once, on a graceful stop. */
  close(): void | Promise<void>;
}

export interface StoreOptions {
  dataDir: string;
  /** Approach-specific settings, such as SQLITE_SYNCHRONOUS. */
  env: Record<string, string | undefined>;
  log: (message: string) => void;
}

/** Each module under src/stores/ exports `open` with this shape. */
export type OpenStore = (options: StoreOptions) => Store | Promise<Store>;

/** Whether several processes may serve one DATA_DIR through this store, and why. */
export interface ProcessSafety {
  many: boolean;
  why: string;
}

/**
 * Something a store needs running before any process opens it, such as a database server.
 * Started once per DATA_DIR (by the primary in cluster mode, or by a lab tool for all its
 * servers); `env` is what the store's processes need to reach it, such as DATABASE_URL.
 */
export interface Service {
  env: Record<string, string>;
  stop(): Promise<void>;
}

/** A real engine from npm that a store runs on. */
export interface Engine {
  /** Its name and package, such as "LevelDB (npm classic-level)". */
  name: string;
  /** The approach of ours that reinvents it, such as "lsm". */
  like?: string;
}

/**
 * How much a store asks of the team that runs it, simplest first: a file you scan, a map in
 * memory, SQLite's one file (built into Node), an embedded engine from npm (a native
 * dependency, nothing to run), a store of our own making that you would have to own, a
 * database server. The decision ranks the approaches that pass by it.
 */
export const SIMPLICITY = ["file", "memory", "sqlite", "engine", "own", "server"] as const;
export type Simplicity = (typeof SIMPLICITY)[number];

/** How the lab runs a store, beyond its own settings. */
export interface LabTraits {
  /** Settings for the crash lab, such as a small memtable so that faults land during flushes. */
  crashEnv?: Readonly<Record<string, string>>;
  /** Other settings of it measured beside it, each by name, such as SQLite at synchronous=NORMAL. */
  variants?: readonly { name: string; env: Readonly<Record<string, string>> }[];
  /** Settings the contention lab also runs two processes with, such as PGlite without its lock. */
  contentionVariants?: readonly { name: string; env: Readonly<Record<string, string>> }[];
}

/** What a store module exports. */
export interface StoreModule {
  simplicity: Simplicity;
  /** A ceiling, not a store: it keeps nothing, and is measured only to compare with. */
  ceiling?: true;
  /** The settings (environment) it runs with for its durability claim, as the lab runs it. */
  settings?: Readonly<Record<string, string>>;
  /** Why it cannot take orders all or nothing, when it cannot; its routes then answer 501. */
  ordersUnsupported?: string;
  /** How the lab runs it: settings that put its background work in reach of the faults, and variants measured beside it. */
  lab?: LabTraits;
  open: OpenStore;
  service?: (options: StoreOptions) => Promise<Service>;
  /**
   * Builds the store's own files in DATA_DIR from what `npm run seed` wrote, if they are not
   * there yet (an engine's database, loaded from the seeded JSONL files). Run once per
   * DATA_DIR before any process opens it: by server.ts, or by the lab on a cached dataset,
   * whose built files every cell then copies.
   */
  prepare?: (options: StoreOptions) => Promise<void>;
  /**
   * The real engine it runs on, from npm, when the store is not one of ours. The lab lists
   * such stores apart, as engines you might pick instead, each beside `like`, our store built
   * on the same idea, if there is one.
   */
  engine?: Engine;
  /** The files and directories in DATA_DIR it reads at start, once seeded and prepared. */
  files: readonly string[];
  processes: ProcessSafety;
}
