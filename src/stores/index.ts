import type { StoreModule } from "./_types.ts";

/**
 * Every approach: the course's, in its order, then group commit and the LSM store, then the
 * multi-process stores, then the engines one might pick instead, then the ceiling. Modules
 * load lazily so that starting one approach never opens another's files.
 */
const modules = {
  linear: () => import("./linear.ts"),
  map: () => import("./map.ts"),
  binary: () => import("./binary.ts"),
  sqlite: () => import("./sqlite.ts"),
  "jsonl-fsync": () => import("./jsonl-fsync.ts"),
  "sqlite-batched": () => import("./sqlite-batched.ts"),
  "jsonl-group": () => import("./jsonl-group.ts"),
  "sqlite-group": () => import("./sqlite-group.ts"),
  lsm: () => import("./lsm.ts"),
  "map-shared": () => import("./map-shared.ts"),
  postgres: () => import("./postgres.ts"),
  lmdb: () => import("./lmdb.ts"),
  leveldb: () => import("./leveldb.ts"),
  null: () => import("./null.ts"),
} satisfies Record<string, () => Promise<StoreModule>>;

export type Approach = keyof typeof modules;
export const APPROACHES = Object.keys(modules) as Approach[];

export function isApproach(name: string): name is Approach {
  return Object.hasOwn(modules, name);
}

export async function loadStore(approach: Approach): Promise<StoreModule> {
  return modules[approach]();
}
