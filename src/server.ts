// Start-up and environment: pick the store named by APPROACH, open it on DATA_DIR and serve
// the API with srvx. On SIGINT/SIGTERM stop taking requests, let the store flush, and exit.
// With WORKERS=N, a primary process runs N such servers on one port (node:cluster), if the
// store is correct across processes; otherwise it refuses and says which stores are. The
// lab's thread host (lab/harness/thread-host.ts) runs this same server in worker threads.
import cluster from "node:cluster";
import { accessSync, constants, mkdirSync } from "node:fs";
import type { Server } from "node:http";
import { resolve } from "node:path";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { isMainThread, parentPort } from "node:worker_threads";
import { serve } from "srvx";
import { createApp, MAX_BODY_BYTES } from "./app.ts";
import { setAsideSummary } from "./lib/files/set-aside.ts";
import { reportAnswers } from "./lib/http/answer-counter.ts";
import { ConnectionDrain, type DrainLimits } from "./lib/http/http-drain.ts";
import { OneWriteResponse } from "./lib/http/one-write-response.ts";
import { idVersionFrom } from "./lib/user.ts";
import type { Service, Store } from "./stores/_types.ts";
import { APPROACHES, type Approach, isApproach, loadStore } from "./stores/index.ts";

/**
 * The graceful stop (lib/http/http-drain.ts). An idle keep-alive connection stays open for 500 ms
 * after its last answer, so a client that sends its next request the moment an answer
 * arrives is answered, across any network path whose round trip is under that (the longest
 * routes round the Earth take about 300 ms); a connection idle for longer is a client's
 * unused pool connection and closes at once. Requests in flight get 2 s in all, then are cut.
 */
const DRAIN: DrainLimits = { idle_ms_max: 500, grace_ms_max: 2_000 };
/** A worker that has not stopped this long after being asked is killed. */
const WORKER_STOP_TIMEOUT_MS = 10_000;
/** More workers than this is a typo, not a plan, on any machine this runs on. */
const MAX_WORKERS = 64;

const log = (message: string) => process.stderr.write(`${message}\n`);

function fail(message: string): never {
  log(`needadb: ${message}`);
  process.exit(1);
}

const HELP = `needadb: the users API on one storage approach

Usage: npm start    (or: npx node src/server.ts)

Configured by environment variables:
  APPROACH            the store: ${APPROACHES.join(", ")} (default sqlite)
  PORT                port to listen on, 0 for any free one (default 8081)
  HOST                interface to listen on (default 127.0.0.1)
  DATA_DIR            where the store keeps its files (default ./data)
  WORKERS             processes serving the same port and DATA_DIR (default 1); only for
                      stores that are correct across processes
  SQLITE_SYNCHRONOUS  FULL or NORMAL, for the SQLite stores (default FULL for sqlite,
                      sqlite-group and sqlite-batched; each engine's own for better-sqlite3
                      (NORMAL in WAL) and libsql (FULL))
  USER_IDS            v4 (random ids, as in the course; the default) or v7 (time-ordered:
                      new rows land at the end of a B-tree's index; the id reveals when)
  PGLITE_UNGUARDED    1: no lock on DATA_DIR for pglite (only to show what two processes lose)
  DATABASE_URL        for APPROACH=postgres: the PostgreSQL (or compatible) server to use;
                      unset, an embedded PostgreSQL runs with its data in DATA_DIR/postgres
  POSTGRES_REPLICAS   for the embedded PostgreSQL: hot standbys to start beside it, 0 to 8
                      (default 0); reads go to them, writes to the primary
  DATABASE_REPLICA_URLS  with DATABASE_URL: your replicas, comma-separated, to read from

Example: APPROACH=map PORT=8082 npm start
Routes: POST /users, GET /users/:id, GET /health. With replicas, a POST /users that sends
"Prefer: read-your-writes" waits until the replicas show it. Ctrl-C stops it, letting the store flush.
`;

if (process.argv.includes("--help") || process.argv.includes("-h")) {
  process.stdout.write(HELP);
  process.exit(0);
}

const env = process.env;
const approach = env.APPROACH ?? "sqlite";
if (!isApproach(approach)) {
  fail(`unknown APPROACH "${approach}". Choose one of: ${APPROACHES.join(", ")}.`);
}
const port = Number(env.PORT ?? 8081);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  fail(`PORT must be a whole number from 0 to 65535, not "${env.PORT}".`);
}
/** New users' ids (USER_IDS), checked before anything starts. */
const ids = (() => {
  try {
    return idVersionFrom(env);
  } catch (err) {
    return fail(`${(err as Error).message}.`);
  }
})();

const workers = Number(env.WORKERS ?? 1);
if (!Number.isInteger(workers) || workers < 1 || workers > MAX_WORKERS) {
  fail(`WORKERS must be a whole number from 1 to ${MAX_WORKERS}, not "${env.WORKERS}".`);
}
const hostname = env.HOST ?? "127.0.0.1";
const dataDir = resolve(env.DATA_DIR ?? "data");

if (cluster.isPrimary && workers > 1) await runPrimary(approach, workers);
else await runServer(approach);

/**
 * Creates DATA_DIR if it is missing, or says in one line why it cannot be used. Every store
 * writes there from the start, so a directory it cannot write (a read-only filesystem, no
 * permission) is refused here, in words, rather than by each engine in its own.
 */
function makeDataDir(): void {
  try {
    mkdirSync(dataDir, { recursive: true });
    accessSync(dataDir, constants.W_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === "EEXIST" || code === "ENOTDIR"
        ? "it, or a folder above it, is a file"
        : code === "EROFS"
          ? "it is on a read-only filesystem (EROFS)"
          : code === "EACCES" || code === "EPERM"
            ? `this user may not write there (${code})`
            : (err as Error).message;
    fail(
      `DATA_DIR ${dataDir} cannot be used: ${why}. Set DATA_DIR to a directory this user can write.`,
    );
  }
}

/**
 * Builds the store's own files if it has any to build (an engine's database), then starts
 * what it needs running first (PostgreSQL for `postgres`), once, and passes its settings on
 * through the environment, which cluster workers inherit.
 */
async function startService(approach: Approach): Promise<Service | undefined> {
  makeDataDir();
  const { service, prepare } = await loadStore(approach);
  try {
    await prepare?.({ dataDir, env, log });
  } catch (err) {
    fail(`could not build ${approach}'s files in ${dataDir}: ${(err as Error).message}`);
  }
  if (!service) return undefined;
  try {
    const started = await service({ dataDir, env, log });
    Object.assign(env, started.env);
    return started;
  } catch (err) {
    fail(`could not start what ${approach} needs: ${(err as Error).message}`);
  }
}

/**
 * A full garbage collection after the store has opened, before the server listens. A store
 * that loads its data into memory (map, jsonl-*, lsm's email index) leaves the load's
 * garbage in a heap of hundreds of MB, and V8 otherwise collects it during the first seconds
 * of traffic, on a marking thread that competes with the server for the CPU. Measured with
 * map at a million records, wrk -c50 posting users for the first 5 s after the server
 * listened, twice each way: p99 13-14 ms without this and 6.7-6.8 ms with it, at 22.7-22.9k
 * against 23.0-24.1k writes/s; the start took 3.5 s instead of 3.3. A heap that loaded
 * nothing takes a few ms. V8 exposes gc() only to code that asks for it by flag.
 */
function collectLoadGarbage(): void {
  setFlagsFromString("--expose-gc");
  (runInNewContext("gc") as () => void)();
}

/** One server process: the whole API on one store. */
async function runServer(approach: Approach): Promise<void> {
  const service = cluster.isWorker ? undefined : await startService(approach);
  let store: Store;
  try {
    store = await (await loadStore(approach)).open({ dataDir, env, log });
    collectLoadGarbage();
  } catch (err) {
    await service?.stop();
    fail(`could not open the ${approach} store in ${dataDir}: ${(err as Error).message}`);
  }

  const server = serve({
    fetch: createApp(store, {
      ...{ approach, log, ids },
      setAside: () => setAsideSummary(dataDir),
    }),
    port,
    hostname,
    silent: true,
    gracefulShutdown: false, // handled below, so that the store can flush before exit
    maxRequestBodySize: MAX_BODY_BYTES,
    // A worker listens through the primary, which owns one socket and deals connections out
    // round-robin; with PORT=0 every worker then gets the same port. Each answer goes to the
    // socket in one write (lib/http/one-write-response.ts).
    node: { exclusive: false, ServerResponse: OneWriteResponse },
  });
  // srvx's Node adapter made this node:http server in serve(); it has not taken a connection yet.
  const http = server.node?.server as Server;
  const connections = new ConnectionDrain(http, DRAIN);
  if (!cluster.isWorker) reportAnswers(() => connections.answered);
  try {
    await server.ready();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    await store.close();
    await service?.stop();
    fail(
      code === "EADDRINUSE"
        ? `port ${port} on ${hostname} is in use. Stop the other server, or choose another with PORT=.`
        : `could not listen on ${hostname}:${port}: ${(err as Error).message}`,
    );
  }

  /**
   * The graceful stop: the connections drain (no new ones; every answer closes its own;
   * idle ones close after their window; what still runs at the grace is cut), and then the
   * store flushes and closes.
   */
  const stop = async (why: string, again: () => void): Promise<void> => {
    if (connections.stopping) return again();
    const cut = await connections.drain();
    if (cut > 0)
      log(`needadb: ${cut} requests still running after ${DRAIN.grace_ms_max} ms were cut`);
    await store.close();
    await service?.stop();
    log(`needadb: ${approach} stopped (${why})`);
    process.exit(0);
  };
  const onSignal = (signal: NodeJS.Signals) =>
    stop(signal, () => {
      log(`needadb: ${signal} again, exiting without waiting`);
      process.exit(130);
    });
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  // A cluster worker's primary, or the thread host, asks over its channel: a terminal's
  // Ctrl-C, which reaches every worker as well, is then not a second, impatient signal (and
  // a worker thread gets no signals at all).
  const channel = cluster.isWorker ? process : isMainThread ? undefined : parentPort;
  if (channel) {
    channel.on("message", (m: { type?: string }) => {
      if (m.type === "stop") void stop("asked to stop", () => {});
    });
    const listening = { type: "listening", url: server.url };
    if (channel === parentPort) parentPort.postMessage(listening);
    else process.send?.(listening);
    return;
  }
  // Announced only once the stop handlers above are in place: tools that start the server
  // read this line to learn the address (PORT=0 picks a free port), and may signal it next.
  console.log(`needadb: ${approach} listening on ${server.url} (data in ${dataDir})`);
}

/** WORKERS=N: N server processes on one port, sharing DATA_DIR. */
async function runPrimary(approach: Approach, count: number): Promise<void> {
  const { processes } = await loadStore(approach);
  if (!processes.many) {
    const able = [];
    for (const a of APPROACHES) if ((await loadStore(a)).processes.many) able.push(a);
    fail(
      `APPROACH=${approach} cannot run in several processes: ${processes.why}. ` +
        `Run it with WORKERS=1, or choose a store that can: ${able.join(", ")}.`,
    );
  }
  const service = await startService(approach);
  const forked = Array.from({ length: count }, () => cluster.fork());
  let stopping = false;
  const urls = await Promise.all(
    forked.map(
      (worker) =>
        new Promise<string>((resolveUrl, reject) => {
          worker.on("message", (m: { type?: string; url?: string }) => {
            if (m.type === "listening" && m.url) resolveUrl(m.url);
          });
          worker.on("exit", (code) =>
            reject(new Error(`a worker exited with code ${code} while starting`)),
          );
        }),
    ),
  ).catch(async (err: Error) => {
    for (const w of forked) w.process.kill("SIGKILL");
    await service?.stop();
    fail(err.message);
  });

  // A worker that dies on its own leaves the others serving a store the operator believes
  // is whole: stop them all and say so, rather than quietly run short.
  for (const worker of forked) {
    worker.on("exit", (code, signal) => {
      if (stopping) return;
      log(
        `needadb: worker ${worker.process.pid} died (${signal ?? `code ${code}`}); stopping the others`,
      );
      void stopAll(1);
    });
  }

  async function stopAll(exitCode: number): Promise<void> {
    if (stopping) {
      log("needadb: asked again, killing the workers without waiting");
      for (const w of forked) w.process.kill("SIGKILL");
      process.exit(130);
    }
    stopping = true;
    const exits = forked
      .filter((w) => w.process.exitCode === null && w.process.signalCode === null)
      .map((w) => new Promise((r) => w.once("exit", r)));
    for (const w of forked) if (w.isConnected()) w.send({ type: "stop" });
    const timer = setTimeout(() => {
      for (const w of forked) w.process.kill("SIGKILL");
    }, WORKER_STOP_TIMEOUT_MS);
    await Promise.all(exits);
    clearTimeout(timer);
    await service?.stop();
    log(`needadb: ${approach} stopped (${count} workers)`);
    process.exit(exitCode);
  }
  process.on("SIGINT", () => void stopAll(0));
  process.on("SIGTERM", () => void stopAll(0));

  console.log(
    `needadb: ${approach} listening on ${urls[0]} with ${count} workers (data in ${dataDir})`,
  );
}
