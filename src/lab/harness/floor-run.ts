// The in-process floor of one store: run as a child process (harness/floor.ts starts it), it
// opens the store on a cell's DATA_DIR with no HTTP in between and times lookups of seeded
// ids and committed writes, each with the same 50 requests in flight as the bench's load,
// then prints what it measured as one line of JSON. The server's CPU per request over HTTP,
// less this and less `null`'s, is what HTTP and the app cost for this store.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { newUser } from "../../lib/user.ts";
import { loadStore } from "../../stores/index.ts";
import { IDS_FILE } from "./seed.ts";

const IN_FLIGHT = 50;
const approach = process.env.APPROACH as string;
const dataDir = process.env.DATA_DIR as string;
const ops = Number(process.env.FLOOR_OPS ?? 20_000);

/** Runs `op` `n` times, IN_FLIGHT at once; returns µs of this process's CPU per op and ops/s. */
async function timed(
  n: number,
  op: (i: number) => unknown,
): Promise<{ cpu_us: number; rps: number }> {
  let next = 0;
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < n) await op(next++);
    }),
  );
  const used = process.cpuUsage(cpu);
  return { cpu_us: (used.user + used.system) / n, rps: (n * 1000) / (performance.now() - t0) };
}

const store = await (await loadStore(approach)).open({ dataDir, env: process.env, log: () => {} });
const ids = readFileSync(join(dataDir, IDS_FILE), "utf8").trim().split("\n");
const pick = (i: number) => ids[(i * 7919) % ids.length] as string;
await timed(Math.min(ops, 2_000), (i) => store.get(pick(i))); // warm: V8's tiers, the engine's caches
const read = await timed(ops, (i) => store.get(pick(i)));
const write = await timed(Math.max(1, Math.floor(ops / 10)), (i) => {
  const user = newUser(`Floor ${i}`, `floor-${i}@example.com`);
  return store.insert(user, JSON.stringify(user));
});
await store.close();
process.stdout.write(`${JSON.stringify({ read, write })}\n`);
process.exit(0);
