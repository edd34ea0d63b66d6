// Start-up and environment: pick the store named by APPROACH, open it on DATA_DIR and serve
// the API with srvx. On SIGINT/SIGTERM stop taking requests, let the store flush, and exit.
import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { serve } from "srvx";
import { createApp, MAX_BODY_BYTES } from "./app.ts";
import type { Store } from "./stores/_types.ts";
import { APPROACHES, isApproach, loadStore } from "./stores/index.ts";

/** In-flight requests get this long to finish after a stop signal. */
const SHUTDOWN_GRACE_MS = 2_000;

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
  SQLITE_SYNCHRONOUS  FULL or NORMAL, for the SQLite stores (default FULL)

Example: APPROACH=map PORT=8082 npm start
Routes: POST /users, GET /users/:id, GET /health. Ctrl-C stops it, letting the store flush.
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
const hostname = env.HOST ?? "127.0.0.1";
const dataDir = resolve(env.DATA_DIR ?? "data");

mkdirSync(dataDir, { recursive: true });
let store: Store;
try {
  store = await (await loadStore(approach)).open({ dataDir, env, log });
} catch (err) {
  fail(`could not open the ${approach} store in ${dataDir}: ${(err as Error).message}`);
}

const server = serve({
  fetch: createApp(store, { approach, log }),
  port,
  hostname,
  silent: true,
  gracefulShutdown: false, // handled below, so that the store can flush before exit
  maxRequestBodySize: MAX_BODY_BYTES,
});
try {
  await server.ready();
} catch (err) {
  const code = (err as NodeJS.ErrnoException).code;
  fail(
    code === "EADDRINUSE"
      ? `port ${port} on ${hostname} is in use. Stop the other server, or choose another with PORT=.`
      : `could not listen on ${hostname}:${port}: ${(err as Error).message}`,
  );
}

let stopping = false;
async function stop(signal: NodeJS.Signals): Promise<void> {
  if (stopping) {
    log(`needadb: ${signal} again, exiting without waiting`);
    process.exit(130);
  }
  stopping = true;
  const closed = server.close();
  await Promise.race([closed, new Promise((r) => setTimeout(r, SHUTDOWN_GRACE_MS).unref())]);
  await server.close(true);
  await store.close();
  log(`needadb: ${approach} stopped (${signal})`);
  process.exit(0);
}
process.on("SIGINT", stop);
process.on("SIGTERM", stop);

// Announced only once the stop handlers above are in place: tools that start the server read
// this line to learn the address (PORT=0 picks a free port), and may signal it right after.
console.log(`needadb: ${approach} listening on ${server.url} (data in ${dataDir})`);
