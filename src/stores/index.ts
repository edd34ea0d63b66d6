import { isAbsolute, join } from "node:path";
import { pathToFileURL } from "node:url";
import type { StoreModule } from "./_types.ts";

/**
 * Every approach, one line each: the course's, in its order, then group commit and the LSM
 * store, then the multi-process stores, then the engines one might pick instead, then the
 * ceiling. Each is a folder holding its parts (stores/_types.ts StoreModule). Modules load
 * lazily so that starting one approach never loads another's engine.
 */
const modules: Record<string, () => Promise<StoreModule>> = {
  linear: () => import("./linear/index.ts"),
  map: () => import("./map/index.ts"),
  binary: () => import("./binary/index.ts"),
  sqlite: () => import("./sqlite/index.ts"),
  "jsonl-fsync": () => import("./jsonl-fsync/index.ts"),
  "sqlite-batched": () => import("./sqlite-batched/index.ts"),
  "jsonl-group": () => import("./jsonl-group/index.ts"),
  "sqlite-group": () => import("./sqlite-group/index.ts"),
  lsm: () => import("./lsm/index.ts"),
  "map-shared": () => import("./map-shared/index.ts"),
  postgres: () => import("./postgres/index.ts"),
  lmdb: () => import("./lmdb/index.ts"),
  leveldb: () => import("./leveldb/index.ts"),
  "better-sqlite3": () => import("./better-sqlite3/index.ts"),
  libsql: () => import("./libsql/index.ts"),
  pglite: () => import("./pglite/index.ts"),
  null: () => import("./null/index.ts"),
};

/**
 * More stores, each a folder shaped like these (its index.ts a StoreModule), from
 * NEEDADB_EXTRA_STORES (comma-separated paths): every lab, the decision and the tests take
 * them as they take these, which is how the tests prove that adding a store needs nothing else.
 */
const extraDirs: Record<string, string> = {};
for (const dir of (process.env.NEEDADB_EXTRA_STORES ?? "").split(",").filter(Boolean)) {
  const path = isAbsolute(dir) ? dir : join(process.cwd(), dir);
  const name = path.split("/").filter(Boolean).at(-1) as string;
  extraDirs[name] = path;
  modules[name] = () => import(pathToFileURL(join(path, "index.ts")).href);
}

/** Where a store's code is: its folder. */
export function codeOf(approach: Approach): string {
  return extraDirs[approach] ?? `src/stores/${approach}/`;
}

export type Approach = string;
export const APPROACHES: Approach[] = Object.keys(modules);

export function isApproach(name: string): name is Approach {
  return Object.hasOwn(modules, name);
}

export async function loadStore(approach: Approach): Promise<StoreModule> {
  const load = modules[approach];
  if (!load)
    throw new Error(`unknown approach "${approach}"; choose from ${APPROACHES.join(", ")}`);
  return load();
}

/** Every store module, by name, once: for what is derived from their declarations. */
let all: Promise<[Approach, StoreModule][]> | undefined;
export function allStores(): Promise<[Approach, StoreModule][]> {
  all ??= Promise.all(
    APPROACHES.map(async (a) => [a, await loadStore(a)] as [Approach, StoreModule]),
  );
  return all;
}

/** The stores a user may choose: every one but a ceiling. */
export async function choosable(): Promise<Approach[]> {
  return (await allStores()).filter(([, m]) => !m.ceiling).map(([a]) => a);
}

/** The stores that take orders all or nothing, in one process or in several. */
export async function orderAlternatives(): Promise<{ one: Approach[]; many: Approach[] }> {
  const taking = (await allStores()).filter(
    ([, m]) => !m.ceiling && m.ordersUnsupported === undefined,
  );
  return {
    one: taking.filter(([, m]) => !m.processes.many).map(([a]) => a),
    many: taking.filter(([, m]) => m.processes.many).map(([a]) => a),
  };
}
