// Seeded datasets for the lab, cached by (records, seed) so repeated runs do not reseed, and
// the per-cell copies that servers actually run on, so no cell sees another cell's writes.
import {
  chmodSync,
  cpSync,
  existsSync,
  lchownSync,
  mkdirSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { type Approach, loadStore } from "../../stores/index.ts";
import { IDS_FILE, seed } from "./seed.ts";

/**
 * Orders seeded in every lab dataset, for the join (user-orders) workload: one for each
 * user up to this many, which the default 100 products' stock holds with room to spare.
 */
export const MAX_DATASET_ORDERS = 20_000;

/** Written last: a dataset directory without it was interrupted and is seeded again. */
const COMPLETE_MARKER = ".complete";

export function datasetDir(workDir: string, records: number, seedValue: number): string {
  // v3: users.db also holds the index on email, and datasets hold orders and emails.txt.
  // v4: lmdb's database is built compacted (lib/engines/lmdb.ts says why).
  // A dataset cached before them is seeded again.
  return join(workDir, "datasets", `${records}-seed${seedValue}-v4`);
}

/** The ids.txt that random_ids.lua draws from. */
export function idsFile(dataset: string): string {
  return join(dataset, IDS_FILE);
}

/** Returns the cached dataset's directory, seeding it first if it is missing or partial. */
export function ensureDataset(
  workDir: string,
  records: number,
  seedValue: number,
): { dir: string; seeded: boolean } {
  const dir = datasetDir(workDir, records, seedValue);
  if (existsSync(join(dir, COMPLETE_MARKER))) return { dir, seeded: false };
  const building = `${dir}.building-${process.pid}`;
  rmSync(building, { recursive: true, force: true });
  const orders = Math.min(records, MAX_DATASET_ORDERS);
  seed({ dataDir: building, count: records, orders, seed: seedValue, progress: true });
  writeFileSync(join(building, COMPLETE_MARKER), "");
  rmSync(dir, { recursive: true, force: true });
  renameSync(building, dir);
  return { dir, seeded: true };
}

/**
 * A fresh directory holding copies of the files `approach` reads, and nothing else, so
 * the copy costs only what that approach needs (a tenth of a second at a million records,
 * about a second for the engines' databases).
 */
export async function prepareCellDir(
  dataset: string,
  cellDir: string,
  approach: Approach,
): Promise<void> {
  rmSync(cellDir, { recursive: true, force: true });
  mkdirSync(cellDir, { recursive: true });
  const store = await loadStore(approach);
  // An engine's database is built once, in the cached dataset, and copied like a seeded file.
  await store.prepare?.({ dataDir: dataset, env: {}, log: () => {} });
  for (const file of store.files) copyKeepingOwner(join(dataset, file), join(cellDir, file));
}

/**
 * A copy that keeps the owner of what it copies. As root, PostgreSQL's cluster belongs to the
 * user it runs as ("postgres"), and PostgreSQL refuses a cluster that user does not own; a
 * plain copy would give it to root. A tree is taken to have one owner, as a cluster has.
 */
function copyKeepingOwner(from: string, to: string): void {
  cpSync(from, to, { recursive: true });
  const { uid, gid, mode } = statSync(from);
  chmodSync(to, mode); // a directory copied is made with the default mode; PostgreSQL wants 0700
  if (process.getuid?.() !== 0 || uid === 0) return;
  for (const e of readdirSync(to, { recursive: true, withFileTypes: true }))
    lchownSync(join(e.parentPath, e.name), uid, gid);
  lchownSync(to, uid, gid);
}
