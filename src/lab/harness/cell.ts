// The lifecycle every experiment repeats: a fresh directory holding a copy of a seeded
// dataset, the store's service if it declares one (PostgreSQL), servers on it, and all of
// it stopped and removed afterwards, whatever happened in between.
import { mkdirSync, rmSync } from "node:fs";
import { type Approach, loadStore } from "../../stores/index.ts";
import { prepareCellDir } from "./datasets.ts";
import {
  type ServerProcess,
  StartFailed,
  type StartOptions,
  startServer,
} from "./server-process.ts";

export interface Cell {
  dir: string;
  /** What the servers need to reach the store's service, such as DATABASE_URL. */
  env: Record<string, string>;
}

/**
 * Copies `approach`'s files from `dataset` into `dir`, starts the store's service for it
 * once, runs `fn`, then stops the service and removes `dir`.
 */
export async function withCell<T>(
  o: {
    approach: Approach;
    dataset: string;
    dir: string;
    log: (m: string) => void;
    /** Settings for the service, such as POSTGRES_REPLICAS. */
    env?: Record<string, string>;
  },
  fn: (cell: Cell) => Promise<T>,
): Promise<T> {
  await prepareCellDir(o.dataset, o.dir, o.approach);
  try {
    const { service } = await loadStore(o.approach);
    const env = { ...process.env, ...o.env };
    const running = await service?.({ dataDir: o.dir, env, log: o.log });
    try {
      return await fn({ dir: o.dir, env: running?.env ?? {} });
    } finally {
      await running?.stop();
    }
  } finally {
    rmSync(o.dir, { recursive: true, force: true });
  }
}

/** An empty directory for an app server that keeps nothing on disk. */
export function emptyDir(dir: string): string {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Starts a server, runs `fn` with it, and stops it. */
export async function withServer<T>(
  options: StartOptions,
  fn: (server: ServerProcess) => Promise<T>,
): Promise<T> {
  const server = await startServer(options);
  try {
    return await fn(server);
  } finally {
    await server.stop();
  }
}

/**
 * Starts servers one by one, runs `fn` with them all, and stops them all. When `fn` fails,
 * its error carries what the servers logged, which usually says why.
 */
export async function withServers<T>(
  options: readonly StartOptions[],
  fn: (servers: ServerProcess[]) => Promise<T>,
): Promise<T> {
  const servers: ServerProcess[] = [];
  try {
    for (const o of options) servers.push(await startServer(o));
    return await fn(servers);
  } catch (err) {
    if (err instanceof StartFailed) throw err; // it carries its own log, and callers test for it
    const logs = servers.map((s) => s.stderr()).join("\n");
    throw new Error(`${(err as Error).message}${logs ? `\n${logs}` : ""}`);
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
}
