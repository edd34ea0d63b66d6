import type { StoreModule } from "./_types.ts";

/**
 * Every approach, in the course's order, then the ceilings. Modules load lazily so that
 * starting one approach never opens another's files.
 */
const modules = {
  linear: () => import("./linear.ts"),
  map: () => import("./map.ts"),
  binary: () => import("./binary.ts"),
  sqlite: () => import("./sqlite.ts"),
  "jsonl-fsync": () => import("./jsonl-fsync.ts"),
  "sqlite-batched": () => import("./sqlite-batched.ts"),
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
