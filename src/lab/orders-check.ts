// npm run orders-check: the course's "Atomic Multi-Record Writes" lesson, measured. An
// order changes several records (the order, and each product's stock). For every approach:
// 1. crash trials: SIGKILL (and power cuts, where FUSE is available) in the middle of order
//    load; after the restart, every acknowledged order must be there, and the stock taken
//    must equal the units in the orders that exist: no order without its stock change, and
//    no stock change without its order;
// 2. two server processes on the same data sell a few scarce products at once; afterwards
//    no stock may be negative, and stock plus units ordered must equal what was seeded.
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { defineCommand, runMain } from "citty";
import { PRODUCTS_FILE, type Product } from "../lib/order.ts";
import { APPROACHES, type Approach, isApproach } from "../stores/index.ts";
import { interruptSignal, outDir, wholeArg, workDir, writeLabOutputs } from "./cli.ts";
import { claimHolds, type Fault, runTrial, type Trial, type TrialWorkload } from "./crash.ts";
import { ensureDataset, prepareCellDir } from "./datasets.ts";
import { startServiceFor } from "./pair.ts";
import { powerCutUnavailable } from "./powercut/mount.ts";
import { IDS_FILE } from "./seed.ts";
import { type ServerProcess, startServer } from "./server-process.ts";
import { mdTable, type Table } from "./table.ts";

/** Seeded users in the dataset the check runs on. */
const RECORDS = 1_000;
/** The scarce products that the two processes race for, and orders' largest quantity of one. */
const HOT_PRODUCTS = 3;
const HOT_MAX_QUANTITY = 25;
/** Order-placing loops per server in the two-process race. */
const RACERS_PER_SERVER = 8;

export interface CrashResult {
  fault: Fault;
  trials: number;
  acked: number;
  lost: number;
  corrupt: number;
  /** Trials after which stock taken and units ordered disagreed, or stock went negative. */
  invariant_broken: number;
  restarted: number;
  /** What the store claims an acknowledged write survives. */
  claim: string;
  /** The durability claim held (losses within it), and no restart found an order without its stock change or the reverse. */
  holds: boolean;
  /** The first description of a broken invariant. */
  example?: string;
}

export interface RaceResult {
  orders_placed: number;
  refused_409: number;
  errors_5xx: number;
  /** Units sold beyond the stock there was: the sum of the negative stocks after the race. */
  oversold_units: number;
  negative_products: number;
  /** Σ stock + Σ units ordered = Σ seeded stock. */
  conserved: boolean;
  holds: boolean;
}

export interface OrdersRun {
  approach: string;
  takes_orders: boolean;
  /** Why not, from the store's 501. */
  why?: string;
  crash: CrashResult[];
  race?: RaceResult;
}

export interface OrdersResults {
  needadb_orders: 1;
  started_at: string;
  finished_at: string;
  complete: boolean;
  error?: string;
  trials: number;
  race_s: number;
  runs: OrdersRun[];
}

const log = (m: string) => process.stderr.write(`${m}\n`);

interface Dataset {
  dir: string;
  users: string[];
  products: Product[];
}

function loadDataset(workDir: string): Dataset {
  const { dir } = ensureDataset(workDir, RECORDS, 42);
  return {
    dir,
    users: readFileSync(join(dir, IDS_FILE), "utf8").trim().split("\n"),
    products: readFileSync(join(dir, PRODUCTS_FILE), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Product),
  };
}

const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)] as T;

/** What the store holds now: each product's stock, and the units in all its orders. */
async function stockAndUnits(url: string, products: readonly Product[]) {
  const stock = await Promise.all(
    products.map(async (p) => {
      const res = await fetch(`${url}/products/${p.id}`);
      return (JSON.parse(await res.text()) as Product).stock;
    }),
  );
  const health = (await (await fetch(`${url}/health`)).json()) as { units_ordered?: number };
  return { stock, units: health.units_ordered ?? 0 };
}

/** Compares the store with the seed: what is wrong, or undefined. */
async function conservation(url: string, products: readonly Product[]) {
  const { stock, units } = await stockAndUnits(url, products);
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
      const lines = 1 + Math.floor(Math.random() * 3);
      const chosen = new Set<string>();
      while (chosen.size < lines) chosen.add(pick(d.products).id);
      const items = [...chosen].map((product_id) => ({
        product_id,
        quantity: 1 + Math.floor(Math.random() * 3),
      }));
      return { path: "/orders", body: JSON.stringify({ user_id: pick(d.users), items }) };
    },
    location: (created) => `/orders/${(JSON.parse(created) as { id: string }).id}`,
    invariant: async (url) => (await conservation(url, d.products)).describe,
  };
}

/** Two servers on one DATA_DIR sell the scarce products until they are gone. */
async function race(
  approach: Approach,
  d: Dataset,
  cellDir: string,
  raceS: number,
  signal: AbortSignal,
): Promise<RaceResult> {
  await prepareCellDir(d.dir, cellDir, approach);
  const service = await startServiceFor(approach, cellDir, log);
  const env = service?.env ?? {};
  const servers: ServerProcess[] = [];
  const r = { orders_placed: 0, refused_409: 0, errors_5xx: 0 };
  try {
    for (let i = 0; i < 2; i++)
      servers.push(await startServer({ approach, dataDir: cellDir, env }));
    const hot = d.products.slice(0, HOT_PRODUCTS);
    const deadline = Date.now() + raceS * 1000;
    const racer = async (url: string) => {
      while (Date.now() < deadline && !signal.aborted) {
        const res = await fetch(`${url}/orders`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({
            user_id: pick(d.users),
            items: [
              {
                product_id: pick(hot).id,
                quantity: 1 + Math.floor(Math.random() * HOT_MAX_QUANTITY),
              },
            ],
          }),
        });
        await res.arrayBuffer();
        if (res.status === 201) r.orders_placed++;
        else if (res.status === 409) r.refused_409++;
        else r.errors_5xx++;
      }
    };
    await Promise.all(
      servers.flatMap((s) => Array.from({ length: RACERS_PER_SERVER }, () => racer(s.url))),
    );
    for (const s of servers.splice(0)) await s.stop();
    // The truth is what a fresh process reads back from disk, not either racer's memory.
    const judge = await startServer({ approach, dataDir: cellDir, env });
    servers.push(judge);
    const c = await conservation(judge.url, d.products);
    return {
      ...r,
      oversold_units: c.oversold,
      negative_products: c.negative,
      conserved: c.conserved,
      holds: c.conserved && c.negative === 0,
    };
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    await service?.stop();
    rmSync(cellDir, { recursive: true, force: true });
  }
}

/** The store's 501 reason, or undefined if it takes orders. */
async function ordersUnsupported(approach: Approach, d: Dataset, cellDir: string) {
  await prepareCellDir(d.dir, cellDir, approach);
  const service = await startServiceFor(approach, cellDir, log);
  const server = await startServer({ approach, dataDir: cellDir, env: service?.env ?? {} });
  try {
    const res = await fetch(`${server.url}/products/${d.products[0]?.id}`);
    const body = (await res.json()) as { error?: string };
    return res.status === 501 ? (body.error ?? "501") : undefined;
  } finally {
    await server.stop();
    await service?.stop();
    rmSync(cellDir, { recursive: true, force: true });
  }
}

export interface OrdersOptions {
  approaches: Approach[];
  trials: number;
  raceS: number;
  faults: Fault[];
  workDir: string;
}

export async function runOrdersCheck(
  o: OrdersOptions,
  signal: AbortSignal,
): Promise<OrdersResults> {
  const started = new Date();
  const d = loadDataset(o.workDir);
  const cellDir = join(o.workDir, "orders-cell");
  const trialDir = join(o.workDir, "orders-crash");
  const runs: OrdersRun[] = [];
  let error: string | undefined;
  try {
    for (const [i, approach] of o.approaches.entries()) {
      if (signal.aborted) break;
      log(`[${i + 1}/${o.approaches.length}] ${approach}`);
      const why = await ordersUnsupported(approach, d, cellDir);
      if (why) {
        runs.push({ approach, takes_orders: false, why, crash: [] });
        log(`  does not take orders (501)`);
        continue;
      }
      const crash: CrashResult[] = [];
      // PostgreSQL runs as its own user, whom the power-cut filesystem does not let in.
      const faults = o.faults.filter((f) => f === "sigkill" || approach !== "postgres");
      for (const fault of faults) {
        const trials: Trial[] = [];
        for (let n = 1; n <= o.trials && !signal.aborted; n++) {
          const target = { name: approach, approach, env: {} };
          trials.push(await runTrial(target, fault, n, d.dir, trialDir, orderWrites(d)));
        }
        const broken = trials.filter((t) => t.invariant_broken);
        const lost = trials.reduce((n, t) => n + t.lost_acked, 0);
        const corrupt = trials.reduce((n, t) => n + t.corrupt, 0);
        const restarted = trials.filter((t) => t.restarted).length;
        const claim = trials[0]?.claim ?? "unknown";
        crash.push({
          fault,
          trials: trials.length,
          acked: trials.reduce((n, t) => n + t.acked, 0),
          lost,
          corrupt,
          invariant_broken: broken.length,
          restarted,
          claim,
          holds:
            broken.length === 0 &&
            claimHolds(claim, fault, lost, corrupt, restarted === trials.length),
          ...(broken[0]?.invariant_broken ? { example: broken[0].invariant_broken } : {}),
        });
        const last = crash.at(-1) as CrashResult;
        log(
          `  ${fault}: ${last.trials} trials, ${last.acked} orders acknowledged, ${last.lost} lost, ` +
            `invariant broken after ${last.invariant_broken}`,
        );
      }
      if (signal.aborted) break;
      const raced = await race(approach, d, cellDir, o.raceS, signal);
      log(
        `  two processes: ${raced.orders_placed} orders, ${raced.oversold_units} units oversold, ` +
          `${raced.holds ? "invariant holds" : "invariant BROKEN"}`,
      );
      runs.push({ approach, takes_orders: true, crash, race: raced });
    }
  } catch (err) {
    if (!signal.aborted) {
      error = (err as Error).message;
      log(`the check failed: ${error}`);
    }
  }
  return {
    needadb_orders: 1,
    started_at: started.toISOString(),
    finished_at: new Date().toISOString(),
    complete: !error && !signal.aborted && runs.length === o.approaches.length,
    ...(error ? { error } : {}),
    trials: o.trials,
    race_s: o.raceS,
    runs,
  };
}

const int = (n: number) => Math.round(n).toLocaleString("en");

/** The invariant table, as orders.md and the benchmark report show it. */
export function ordersTable(r: OrdersResults): Table {
  const crashCell = (run: OrdersRun, fault: Fault) => {
    const c = run.crash.find((x) => x.fault === fault);
    if (!c) return run.takes_orders ? "not run" : "-";
    const invariant = c.invariant_broken
      ? `**invariant broken** after ${c.invariant_broken} of ${c.trials}`
      : `invariant held in ${c.trials}/${c.trials}`;
    const losses = `${int(c.lost)} of ${int(c.acked)} acknowledged lost${c.lost && c.holds ? ` (as claimed: survives ${c.claim} only)` : ""}`;
    return `${invariant}; ${losses}${c.holds ? "" : " (**claim broken**)"}`;
  };
  return {
    header: [
      "store",
      "takes orders",
      "process crash (SIGKILL)",
      "power cut",
      "two processes: orders placed",
      "units oversold",
      "stock + ordered = seeded, none negative",
    ],
    rows: r.runs.map((run) => [
      `\`${run.approach}\``,
      run.takes_orders ? "yes" : `no (501)`,
      crashCell(run, "sigkill"),
      crashCell(run, "powercut"),
      run.race ? int(run.race.orders_placed) : "-",
      run.race ? int(run.race.oversold_units) : "-",
      run.race ? (run.race.holds ? "holds" : "**broken** (oversold)") : "-",
    ]),
  };
}

export function ordersNotes(r: OrdersResults): string {
  const no = r.runs.filter((x) => !x.takes_orders);
  return (
    `Crash trials: ${r.trials} per store and fault, 16 clients placing random orders (1-3 products, 1-3 units each) until the fault; ` +
    "after the restart every acknowledged order must read back unchanged, and the stock taken must equal the units in the orders that exist. " +
    `Two processes: two servers on one DATA_DIR, ${RACERS_PER_SERVER} clients each, race for ${HOT_PRODUCTS} products of 1,000 units for ${r.race_s} s; ` +
    "then a fresh server reads the data back and every stock must be 0 or more. " +
    (no.length
      ? `Stores that answer 501: ${no.map((x) => `\`${x.approach}\``).join(", ")}; each says why (see orders.json).`
      : "")
  );
}

const FAULTS: Fault[] = ["sigkill", "powercut"];

const command = defineCommand({
  meta: {
    name: "npm run orders-check --",
    description:
      "Check that orders are all-or-nothing on every approach: crash trials under order load, and two processes racing for scarce stock. Writes orders.json and orders.md.",
  },
  args: {
    quick: { type: "boolean", description: "2 trials per fault and a 2 s race (a few minutes)" },
    trials: {
      type: "string",
      description: "trials per store and fault (default 5; --quick 2)",
      valueHint: "N",
    },
    race: {
      type: "string",
      description: "seconds of the two-process race (default 4; --quick 2)",
      valueHint: "S",
    },
    approaches: {
      type: "string",
      description: `comma-separated (default all but null: ${APPROACHES.filter((a) => a !== "null").join(",")})`,
      valueHint: "a,b",
    },
    faults: {
      type: "string",
      description: "sigkill, powercut or both (default both when FUSE is available)",
    },
    out: {
      type: "string",
      description: "output directory (default orders-results/<time>)",
      valueHint: "DIR",
    },
    "work-dir": {
      type: "string",
      description: "datasets and scratch (default .bench-data)",
      valueHint: "DIR",
    },
  },
  async run({ args }) {
    const quick = Boolean(args.quick);
    const approaches = args.approaches
      ? args.approaches.split(",").map((s) => s.trim())
      : APPROACHES.filter((a) => a !== "null");
    for (const a of approaches)
      if (!isApproach(a))
        throw new Error(`unknown approach "${a}"; choose from ${APPROACHES.join(", ")}`);
    const noFuse = powerCutUnavailable();
    const faults = (args.faults ? args.faults.split(",").map((s) => s.trim()) : FAULTS) as Fault[];
    for (const f of faults)
      if (!FAULTS.includes(f)) throw new Error(`--faults takes sigkill and powercut, not "${f}"`);
    if (noFuse && faults.includes("powercut")) {
      if (args.faults) throw new Error(`power cuts are not available here: ${noFuse}`);
      log(`power cuts skipped: ${noFuse}`);
    }
    const options: OrdersOptions = {
      approaches: approaches as Approach[],
      trials: wholeArg(args.trials, quick ? 2 : 5, "--trials"),
      raceS: wholeArg(args.race, quick ? 2 : 4, "--race"),
      faults: noFuse ? faults.filter((f) => f !== "powercut") : faults,
      workDir: workDir(args["work-dir"]),
    };
    const out = outDir(args.out, "orders-results");
    const signal = interruptSignal("the finished stores");
    log(
      `needadb orders-check: ${options.approaches.length} stores, ${options.trials} trials per fault`,
    );
    const results = await runOrdersCheck(options, signal);
    const md = `# needadb orders check\n\n${mdTable(ordersTable(results))}\n\n${ordersNotes(results)}\n`;
    writeLabOutputs(out, "orders", results, md);
    const failed = results.runs.some(
      (run) =>
        run.crash.some((c) => !c.holds) ||
        // Only the stores that claim to be safe with several processes must hold the race.
        (run.race &&
          !run.race.holds &&
          ["sqlite", "sqlite-group", "postgres"].includes(run.approach)),
    );
    if (results.error || failed) process.exitCode = 1;
  },
});

if (import.meta.main) await runMain(command);
