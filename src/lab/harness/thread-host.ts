// The lab's worker-thread setup (npm run contention): one process whose THREADS worker
// threads each run the whole API server (src/server.ts) on the same DATA_DIR, thread i on
// port PORT+i (every thread on a free port with PORT=0). Each thread has its own JavaScript
// heap, so a store that keeps state in memory holds one copy per thread: the course's note
// that a second writer in threads fares like a second process, measured rather than said.
// Threads get their own ports so that the probe can create through one and read through
// the other; one shared port (SO_REUSEPORT) would change only which thread a connection
// reaches, not what each thread knows. Lab only: `npm start` offers WORKERS (README says why).
//
// It prints one "listening on" line naming every thread's address, first thread first, as
// server-process.ts reads it. SIGTERM or SIGINT asks each thread to stop the way the API
// server stops (drain, flush, close); a second signal ends them at once. A thread that
// exits on its own ends the rest, so the lab never measures a host that is running short.
import { finished } from "node:stream/promises";
import { Worker } from "node:worker_threads";
import { SERVER_ENTRY } from "./server-process.ts";

/** More threads than this is a typo on the 2-core machines the lab runs on. */
const THREADS_MAX = 8;
/** Sent to a thread to stop it; src/server.ts listens for it on its parentPort. */
const STOP = { type: "stop" };

const log = (m: string) => process.stderr.write(`needadb thread host: ${m}\n`);
const threads = Number(process.env.THREADS ?? 2);
const port = Number(process.env.PORT ?? 0);
if (!Number.isInteger(threads) || threads < 2 || threads > THREADS_MAX) {
  log(`THREADS must be a whole number from 2 to ${THREADS_MAX}, not "${process.env.THREADS}"`);
  process.exit(1);
}

const workers = new Set<Worker>();
let stopping = false;

/** Passes a thread's stderr on, and resolves with its last line once the thread has exited. */
function relayStderr(worker: Worker): Promise<string> {
  let last = "";
  worker.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    process.stderr.write(chunk);
    last = chunk.trim().split("\n").at(-1) || last;
  });
  return finished(worker.stderr)
    .catch(() => undefined)
    .then(() => last);
}

/** Starts one thread and resolves with its address once it listens. */
function startThread(i: number): Promise<string> {
  const env = { ...process.env, PORT: String(port === 0 ? 0 : port + i) };
  const worker = new Worker(SERVER_ENTRY, { env, stderr: true });
  workers.add(worker);
  const lastLine = relayStderr(worker);
  let listening = false;
  return new Promise((resolve, reject) => {
    worker.on("message", (m: { type?: string; url?: string }) => {
      if (m.type !== "listening" || !m.url) return;
      listening = true;
      resolve(m.url.replace(/\/$/, ""));
    });
    worker.on("error", (err) => log(`thread ${i}: ${err.message}`));
    worker.on("exit", async (code) => {
      workers.delete(worker);
      const why = `thread ${i} exited with code ${code}: ${await lastLine}`;
      if (!listening) reject(new Error(why));
      else if (!stopping) void stopAll(1, why);
    });
  });
}

async function stopAll(exitCode: number, why: string): Promise<void> {
  if (stopping) {
    log("asked again, ending the threads without waiting");
    await Promise.all([...workers].map((w) => w.terminate()));
    process.exit(130);
  }
  stopping = true;
  const exits = [...workers].map((w) => new Promise((r) => w.once("exit", r)));
  for (const w of workers) w.postMessage(STOP);
  await Promise.all(exits);
  // The last line says why, as a server that gives up says it (server-process.ts reads it).
  log(why);
  process.exit(exitCode);
}

process.on("SIGINT", () => void stopAll(0, `stopped ${threads} threads (SIGINT)`));
process.on("SIGTERM", () => void stopAll(0, `stopped ${threads} threads (SIGTERM)`));

// One after another, as two servers start: a store's first open (migrations, an engine's
// build) is done once before a second thread opens the same files.
const urls: string[] = [];
try {
  for (let i = 0; i < threads; i++) urls.push(await startThread(i));
} catch (err) {
  await stopAll(1, (err as Error).message);
}
console.log(
  `needadb: ${process.env.APPROACH} listening on ${urls[0]} in ${threads} threads: ${urls.join(" ")}`,
);
