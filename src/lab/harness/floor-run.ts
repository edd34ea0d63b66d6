// The in-process floor of one store: run as a child process (harness/floor.ts starts it), it
// opens the store on a cell's DATA_DIR with no HTTP in between and times lookups of seeded
// ids and committed writes, each with the same 50 requests in flight as the bench's load,
// then prints what it measured as one line of JSON. The server's CPU per request over HTTP,
// less this and less `null`'s, is what HTTP and the app cost for this store.
//
// Each workload runs in ROUNDS rounds of FLOOR_ROUND_MS each (every one of the 50 lanes does
// at least one operation), as a cell measures for a time, not a fixed count: a store whose
// cost comes in bursts (a WAL checkpoint, a compaction, a batch) pays them here as often as
// under load. The rounds' scatter is the floor's own noise, which the report carries into
// the overhead's band.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { newUser } from "../../lib/user.ts";
import { loadStore } from "../../stores/index.ts";
import { median } from "../results/stats.ts";
import { IDS_FILE } from "./seed.ts";

const IN_FLIGHT = 50;
const ROUNDS = 3;
const approach = process.env.APPROACH as string;
const dataDir = process.env.DATA_DIR as string;
const ROUND_MS = Number(process.env.FLOOR_ROUND_MS ?? 500);

interface Round {
  cpu_us: number;
  rps: number;
}

/** Runs `op` for `ms`, IN_FLIGHT at once, each lane at least once. */
async function round(ms: number, op: () => unknown): Promise<Round> {
  let next = 0;
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      do {
        next++;
        await op();
      } while (performance.now() - t0 < ms);
    }),
  );
  const used = process.cpuUsage(cpu);
  return {
    cpu_us: (used.user + used.system) / next,
    rps: (next * 1000) / (performance.now() - t0),
  };
}

/** ROUNDS rounds: their medians, and each round's µs per op. */
async function rounds(op: () => unknown) {
  const each: Round[] = [];
  for (let r = 0; r < ROUNDS; r++) each.push(await round(ROUND_MS, op));
  const cpu_us_samples = each.map((x) => x.cpu_us);
  return { cpu_us: median(cpu_us_samples), rps: median(each.map((x) => x.rps)), cpu_us_samples };
}

const store = await (await loadStore(approach)).open({ dataDir, env: process.env, log: () => {} });
const ids = readFileSync(join(dataDir, IDS_FILE), "utf8").trim().split("\n");
let seq = 0;
const lookup = () => store.get(ids[(seq++ * 7919) % ids.length] as string);
await round(ROUND_MS, lookup); // warm: V8's tiers, the engine's caches
const read = await rounds(lookup);
const write = await rounds(() => {
  const i = seq++;
  const user = newUser(`Floor ${i}`, `floor-${i}@example.com`);
  return store.insert(user, JSON.stringify(user));
});
await store.close();
process.stdout.write(`${JSON.stringify({ read, write })}\n`);
process.exit(0);
