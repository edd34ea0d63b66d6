// The orders section: are orders all-or-nothing through crashes, and does stock stay whole
// when two processes sell at once?
import type { Fault } from "../results/durability.ts";
import type { OrdersResults, OrdersRun } from "../results/orders.ts";
import { code, int, source } from "./format.ts";
import { type Section, section, table, text } from "./model.ts";

function crashCell(run: OrdersRun, fault: Fault): string {
  const c = run.crash.find((x) => x.fault === fault);
  if (!c) return run.takes_orders ? "not run" : "-";
  const invariant = c.invariant_broken
    ? `**invariant broken** after ${c.invariant_broken} of ${c.trials}`
    : `invariant held in ${c.trials}/${c.trials}`;
  const losses = `${int(c.lost)} of ${int(c.acked)} acknowledged lost${c.lost && c.holds ? ` (as claimed: survives ${c.claim} only)` : ""}`;
  return `${invariant}; ${losses}${c.holds ? "" : " (**claim broken**)"}`;
}

function ordersTable(r: OrdersResults) {
  return table(
    [
      "store",
      "takes orders",
      "process crash (SIGKILL)",
      "power cut",
      "two processes: orders placed",
      "units oversold",
      "stock + ordered = seeded, none negative",
    ],
    r.runs.map((run) => [
      code(run.approach),
      run.takes_orders ? "yes" : "no (501)",
      crashCell(run, "sigkill"),
      crashCell(run, "powercut"),
      run.race ? int(run.race.orders_placed) : run.race_refused ? "refused: one process only" : "-",
      run.race ? int(run.race.oversold_units) : "-",
      run.race ? (run.race.holds ? "holds" : "**broken** (oversold)") : "-",
    ]),
  );
}

function ordersNotes(r: OrdersResults): string {
  const no = r.runs.filter((x) => !x.takes_orders);
  const refused = r.runs.filter((x) => x.race_refused);
  return (
    `Crash trials: ${r.trials} per store and fault, ${r.writers ?? 16} clients placing random orders (1-3 products, 1-3 units each) until the fault; ` +
    "after the restart every acknowledged order must read back unchanged, and the stock taken must equal the units in the orders that exist. " +
    `Two processes: two servers on one DATA_DIR, ${r.racers_per_server ?? 8} clients each, race for ${r.hot_products ?? 3} products of ${int(r.hot_stock ?? 1000)} units for ${r.race_s} s (longer if the stock had not run out by then); ` +
    "then a fresh server reads the data back and every stock must be 0 or more." +
    (no.length
      ? ` Stores that answer 501: ${no.map((x) => code(x.approach)).join(", ")}; each says why (see orders.json).`
      : "") +
    refused
      .map((x) => ` ${code(x.approach)} kept the second server out: ${x.race_refused}`)
      .join("")
  );
}

export function ordersSection(r: OrdersResults, file?: string): Section {
  return section("Orders: writes that span several records, measured", [
    ...(file ? [text(source(file, "orders-check"))] : []),
    ordersTable(r),
    text(ordersNotes(r)),
  ]);
}
