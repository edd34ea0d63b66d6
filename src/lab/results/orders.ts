// The shape of orders.json (npm run orders-check), and its judgement: are orders
// all-or-nothing through crashes, and does stock stay whole when two processes sell at once?
import { type Claim, claimHolds, type Fault, type Trial } from "./durability.ts";

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
  claim: Claim;
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
  /** Whether the store says it is correct with several processes: then it must hold the race. */
  claims_many?: boolean;
  crash: CrashResult[];
  race?: RaceResult;
  /** Why the race could not run: the second server would not start (LevelDB's LOCK file). */
  race_refused?: string;
}

export interface OrdersResults {
  needadb_orders: 1;
  started_at: string;
  finished_at: string;
  complete: boolean;
  error?: string;
  trials: number;
  race_s: number;
  /** Clients placing orders in a crash trial, and per server in the race. */
  writers?: number;
  racers_per_server?: number;
  /** The products the race sells, and the stock each starts with. */
  hot_products?: number;
  hot_stock?: number;
  runs: OrdersRun[];
}

/** One store's crash trials under one fault, folded into one row. */
export function foldCrashTrials(fault: Fault, trials: readonly Trial[]): CrashResult {
  const broken = trials.filter((t) => t.invariant_broken);
  const lost = trials.reduce((n, t) => n + t.lost_acked, 0);
  const corrupt = trials.reduce((n, t) => n + t.corrupt, 0);
  const restarted = trials.filter((t) => t.restarted).length;
  const claim = trials[0]?.claim ?? "unknown";
  return {
    fault,
    trials: trials.length,
    acked: trials.reduce((n, t) => n + t.acked, 0),
    lost,
    corrupt,
    invariant_broken: broken.length,
    restarted,
    claim,
    holds:
      broken.length === 0 && claimHolds(claim, fault, lost, corrupt, restarted === trials.length),
    ...(broken[0]?.invariant_broken ? { example: broken[0].invariant_broken } : {}),
  };
}

/**
 * Whether a store broke what it claims: a crash trial outside its durability claim or with
 * a broken invariant, or, for a store that says it is safe with several processes, the race.
 */
export function ordersBroken(run: OrdersRun): boolean {
  return run.crash.some((c) => !c.holds) || (run.claims_many === true && run.race?.holds === false);
}
