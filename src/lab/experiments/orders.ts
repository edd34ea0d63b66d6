// The course's "Atomic Multi-Record Writes" lesson, measured. An order changes several
// records (the order, and each product's stock). For every approach:
// 1. crash trials under order load; after the restart, every acknowledged order must be
//    there, and the stock taken must equal the units in the orders that exist;
// 2. two server processes on the same data sell a few scarce products at once; afterwards
//    no stock may be negative, and stock plus units ordered must equal what was seeded.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { PRODUCTS_FILE, type Product } from "../../lib/order.ts";
import { type Approach, loadStore } from "../../stores/index.ts";
import { faultSkips } from "../faults/faults.ts";
import { withCell, withServer, withServers } from "../harness/cell.ts";
import { createdId, get, health, post } from "../harness/client.ts";
import { ensureDataset, idsFile } from "../harness/datasets.ts";
import { DEFAULT_SEED, PRODUCT_STOCK } from "../harness/seed.ts";
import { orKeptOut } from "../harness/server-process.ts";
import type { Fault, Trial } from "../results/durability.ts";
import {
  type CrashResult,
  foldCrashTrials,
  type OrdersResults,
  type OrdersRun,
  type RaceResult,
} from "../results/orders.ts";
import { runTrial, type TrialWorkload, WRITERS } from "./crash-trial.ts";

/** Seeded users in the dataset the check runs on. */
const RECORDS = 1_000;
/** The scarce products that the two processes race for, and orders' largest quantity of one. */
const HOT_PRODUCTS = 3;
const HOT_MAX_QUANTITY = 25;
/** Order-placing loops per server in the two-process race. */
const RACERS_PER_SERVER = 8;
/**
 * The race goes on past its time until the racers have been refused this often for lack of
 * stock (the scarce products are sold out, in some process's view), up to RACE_S_MAX: on a
 * busy machine a short race may not sell the stock once, and then nothing can be oversold.
 */
const SOLD_OUT_REFUSALS = HOT_PRODUCTS * 2;
const RACE_S_MAX = 30;

interface Dataset {
  dir: string;
  users: string[];
  products: Product[];
}

function loadDataset(workDir: string): Dataset {
  const { dir } = ensureDataset(workDir, RECORDS, DEFAULT_SEED);
  return {
    dir,
    users: readFileSync(idsFile(dir), "utf8").trim().split("\n"),
    products: readFileSync(join(dir, PRODUCTS_FILE), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Product),
  };
}

const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)] as T;
const upTo = (n: number) => 1 + Math.floor(Math.random() * n);

/** Compares the store with the seed: stock left, units ordered, and what is wrong if anything. */
async function conservation(url: string, products: readonly Product[]) {
  const stock = await Promise.all(
    products.map(
      async (p) => (JSON.parse((await get(url, `/products/${p.id}`)).text) as Product).stock,
    ),
  );
  const units = (await health(url)).units_ordered ?? 0;
  const seeded = products.reduce((n, p) => n + p.stock, 0);
  const left = stock.reduce((n, s) => n + s, 0);
  const negative = stock.filter((s) => s < 0);
  return {
    conserved: left + units === seeded,
    oversold: negative.reduce((n, s) => n - s, 0),
    negative: negative.length,
    describe:
      left + units !== seeded
        ? `stock taken (${seeded - left}) is not the units in the orders (${units})`
        : negative.length
          ? `${negative.length} products have negative stock`
          : undefined,
  };
}

/** Random orders of 1-3 products, 1-3 units each: the crash trials' load. */
function orderWrites(d: Dataset): TrialWorkload {
  return {
    request() {
      const chosen = new Set<string>();
      for (const lines = upTo(3); chosen.size < lines; ) chosen.add(pick(d.products).id);
      const items = [...chosen].map((product_id) => ({ product_id, quantity: upTo(3) }));
      return { path: "/orders", body: JSON.stringify({ user_id: pick(d.users), items }) };
    },
    location: (created) => `/orders/${createdId(created)}`,
    invariant: async (url) => (await conservation(url, d.products)).describe,
  };
}

/** What the racers' answers were. */
type Tally = Pick<RaceResult, "orders_placed" | "refused_409" | "errors_5xx">;

/** Places orders for the scarce products through `url` until `deadline` and the stock ran out. */
async function racer(url: string, d: Dataset, deadline: number, signal: AbortSignal, r: Tally) {
  const hot = d.products.slice(0, HOT_PRODUCTS);
  const cap = Math.max(deadline, Date.now() + RACE_S_MAX * 1000);
  const going = () =>
    Date.now() < deadline || (r.refused_409 < SOLD_OUT_REFUSALS && Date.now() < cap);
  while (going() && !signal.aborted) {
    const items = [{ product_id: pick(hot).id, quantity: upTo(HOT_MAX_QUANTITY) }];
    const { status } = await post(
      url,
      "/orders",
      JSON.stringify({ user_id: pick(d.users), items }),
    );
    if (status === 201) r.orders_placed++;
    else if (status === 409) r.refused_409++;
    else r.errors_5xx++;
  }
}

/** Two servers on one DATA_DIR sell the scarce products until they are gone. */
async function race(
  approach: Approach,
  d: Dataset,
  dir: string,
  o: OrdersOptions,
  signal: AbortSignal,
): Promise<RaceResult> {
  return withCell({ approach, dataset: d.dir, dir, log: o.log }, async ({ env }) => {
    const r: Tally = { orders_placed: 0, refused_409: 0, errors_5xx: 0 };
    const start = { approach, dataDir: dir, env };
    const deadline = Date.now() + o.raceS * 1000;
    await withServers([start, start], (servers) =>
      Promise.all(
        servers.flatMap((s) =>
          Array.from({ length: RACERS_PER_SERVER }, () => racer(s.url, d, deadline, signal, r)),
        ),
      ),
    );
    // The truth is what a fresh process reads back from disk, not either racer's memory.
    const c = await withServer(start, (judge) => conservation(judge.url, d.products));
    return {
      ...r,
      oversold_units: c.oversold,
      negative_products: c.negative,
      conserved: c.conserved,
      holds: c.conserved && c.negative === 0,
    };
  });
}

/** The store's 501 reason, or undefined if it takes orders. */
function ordersUnsupported(approach: Approach, d: Dataset, dir: string, log: (m: string) => void) {
  return withCell({ approach, dataset: d.dir, dir, log }, ({ env }) =>
    withServer({ approach, dataDir: dir, env }, async (server) => {
      const res = await get(server.url, `/products/${d.products[0]?.id}`);
      return res.status === 501
        ? ((JSON.parse(res.text) as { error?: string }).error ?? "501")
        : undefined;
    }),
  );
}

export interface OrdersOptions {
  approaches: Approach[];
  trials: number;
  raceS: number;
  faults: Fault[];
  workDir: string;
  log: (m: string) => void;
}

/** Crash trials of one store under each fault that applies to it. */
async function crashOrders(
  approach: Approach,
  d: Dataset,
  o: OrdersOptions,
  signal: AbortSignal,
): Promise<CrashResult[]> {
  const store = await loadStore(approach);
  const crash: CrashResult[] = [];
  for (const fault of o.faults.filter((f) => !faultSkips(f, store))) {
    const trials: Trial[] = [];
    for (let n = 1; n <= o.trials && !signal.aborted; n++) {
      const target = { name: approach, approach, env: {} };
      trials.push(
        await runTrial(target, fault, n, d.dir, join(o.workDir, "orders-crash"), orderWrites(d)),
      );
    }
    const c = foldCrashTrials(fault, trials);
    crash.push(c);
    o.log(
      `  ${fault}: ${c.trials} trials, ${c.acked} orders acknowledged, ${c.lost} lost, invariant broken after ${c.invariant_broken}`,
    );
  }
  return crash;
}

async function checkApproach(
  approach: Approach,
  d: Dataset,
  o: OrdersOptions,
  signal: AbortSignal,
): Promise<OrdersRun | undefined> {
  const cellDir = join(o.workDir, "orders-cell");
  const why = await ordersUnsupported(approach, d, cellDir, o.log);
  if (why) {
    o.log("  does not take orders (501)");
    return { approach, takes_orders: false, why, crash: [] };
  }
  const crash = await crashOrders(approach, d, o, signal);
  if (signal.aborted) return undefined;
  const { many } = (await loadStore(approach)).processes;
  const run: OrdersRun = { approach, takes_orders: true, claims_many: many, crash };
  const raced = await orKeptOut(many, () => race(approach, d, cellDir, o, signal));
  if ("keptOut" in raced) {
    o.log(`  two processes: the second server would not start: ${raced.keptOut}`);
    return { ...run, race_refused: raced.keptOut };
  }
  const r = raced.ran;
  o.log(
    `  two processes: ${r.orders_placed} orders, ${r.oversold_units} units oversold, ${r.holds ? "invariant holds" : "invariant BROKEN"}`,
  );
  return { ...run, race: r };
}

export async function runOrdersCheck(
  o: OrdersOptions,
  signal: AbortSignal,
): Promise<OrdersResults> {
  const started = new Date();
  const d = loadDataset(o.workDir);
  const runs: OrdersRun[] = [];
  let error: string | undefined;
  try {
    for (const [i, approach] of o.approaches.entries()) {
      if (signal.aborted) break;
      o.log(`[${i + 1}/${o.approaches.length}] ${approach}`);
      const run = await checkApproach(approach, d, o, signal);
      if (run) runs.push(run);
    }
  } catch (err) {
    if (!signal.aborted) {
      error = (err as Error).message;
      o.log(`the check failed: ${error}`);
    }
  }
  return {
    needadb_orders: 1,
    started_at: started.toISOString(),
    finished_at: new Date().toISOString(),
    complete: !error && !signal.aborted && runs.length === o.approaches.length,
    ...(error ? { error } : {}),
    ...{
      trials: o.trials,
      race_s: o.raceS,
      writers: WRITERS,
      racers_per_server: RACERS_PER_SERVER,
    },
    ...{ hot_products: HOT_PRODUCTS, hot_stock: PRODUCT_STOCK },
    runs,
  };
}
