// The LSM store: what the course's "Writes Break the Index" lesson ends up reinventing.
// The sorted file and its 58-byte index (the `binary` approach) cannot take a write without
// being rewritten, so writes go elsewhere first and reach sorted files in bulk:
//
// 1. A write is appended to a write-ahead log (group commit: acknowledged after an fsync
//    that covers it) and then put in the memtable, an in-memory Map.
// 2. When the memtable holds MEMTABLE_MAX_RECORDS, it is frozen (still readable), a new log
//    starts, and a worker thread writes the frozen records, sorted, as an immutable segment
//    with its own index and Bloom filter. Then the manifest names the segment and the log
//    it replaces is deleted.
// 3. A read looks in the memtable, the frozen memtables, then the segments newest first
//    (each skipped when its Bloom filter rules the id out), then the seeded base files.
// 4. When more than MAX_SEGMENTS segments exist, the worker merges them into one.
//
// The manifest (lsm/MANIFEST.json) says which segments and logs are live; lib/files/lsm-tree.ts
// holds the mechanics and says how a crash at any step is recovered.

import { LsmTree, MAX_SEGMENTS } from "../../lib/files/lsm-tree.ts";
import { INDEX_FILE, SORTED_FILE } from "../../lib/files/sorted-file.ts";
import type { LabTraits, OpenStore, Simplicity } from "../_types.ts";

/** Records in the memtable before it is frozen and flushed. LSM_MEMTABLE_RECORDS overrides it (the crash lab uses a small one). */
const MEMTABLE_MAX_RECORDS = 50_000;
const MEMTABLE_RECORDS_RANGE = [10, 1_000_000] as const;

export const simplicity: Simplicity = "own";

export const ordersUnsupported =
  "lsm stores users only: an order's stock change spans several keys, and its log has no commit record for that yet";

export const lab: LabTraits = {
  // A small memtable: faults then land during flushes and compactions too.
  crashEnv: { LSM_MEMTABLE_RECORDS: "200" },
};

export const processes = {
  many: false,
  why: "each process keeps its own memtable, so users written through one process would be missing from the others until a flush, and two processes would flush over each other",
};

/** The seeded sorted pair is the oldest level; nothing else is needed at start. */
export const files = [SORTED_FILE, INDEX_FILE];

function memtableLimit(env: Record<string, string | undefined>): number {
  if (env.LSM_MEMTABLE_RECORDS === undefined) return MEMTABLE_MAX_RECORDS;
  const n = Number(env.LSM_MEMTABLE_RECORDS);
  const [min, max] = MEMTABLE_RECORDS_RANGE;
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new Error(
      `LSM_MEMTABLE_RECORDS must be a whole number from ${min} to ${max}, not "${env.LSM_MEMTABLE_RECORDS}"`,
    );
  }
  return n;
}

export const open: OpenStore = ({ dataDir, env, log }) => {
  const memtableMax = memtableLimit(env);
  const tree = new LsmTree({ dataDir, memtableMax, log });
  return {
    durability: {
      survives: "power-loss",
      claim:
        "Survives a power loss: a write is acknowledged after an fsync of the log covers it, and segments are durable before the manifest names them.",
    },
    details: {
      memtable_max_records: memtableMax,
      max_segments: MAX_SEGMENTS,
      email_lookup: "a second index in memory (email -> ids), built at start from every level",
    },
    findByEmail: (email) => tree.findByEmail(email),
    get: (id) => tree.find(id),
    fenced: () => tree.fenced(),
    insert: (user, json) => tree.insert(user, json),
    count: () => tree.count(),
    orders: {
      unsupported: ordersUnsupported,
    },
    stats: () => ({ ...tree.levels(), ...tree.stats }),
    close: () => tree.close(),
  };
};
