// What makes a run's numbers weak, found in the run itself, as data: cells that varied
// across repeats, stores measured faster than the `null` ceiling, cells whose rate still
// moved, and cells whose pace the load generator set rather than the server. report/
// says what each weakens.
import type { Run } from "./bench.ts";
import type { Tool } from "./load.ts";
import { SATURATED_SHARE } from "./summary.ts";

/** Above this spread over repeats ((max - min) / median), a cell is called noisy. */
export const NOISY_SPREAD = 0.2;
/** A ratio to `null` above 1 by more than both cells' spreads plus this cannot be the store. */
const ABOVE_NULL_MARGIN = 0.1;

/** A cell a warning names, and the figure that put it there. */
export interface CellRef {
  approach: string;
  workload: string;
  records: number;
  /** The figure: a spread, a ratio, a trend, the generator's cores, or p50 ms. */
  figure: number;
  /** A second figure where the warning has one: the warm-up's seconds, the server's cores. */
  other?: number;
}

export type TrustWarning =
  | { id: "one-repeat" }
  | { id: "stalled" | "noisy" | "above-null" | "unsteady" | "generator-paced"; cells: CellRef[] }
  | { id: "autocannon" };

const ref = (r: Run, figure: number, other?: number): CellRef => ({
  ...{ approach: r.approach, workload: r.workload, records: r.records, figure },
  ...(other === undefined ? {} : { other }),
});

function nullOf(runs: readonly Run[], r: Run): Run | undefined {
  return runs.find(
    (n) => n.approach === "null" && n.workload === r.workload && n.records === r.records,
  );
}

/** Every warning the run's cells call for. */
export function trustWarnings(runs: readonly Run[], tool: Tool): TrustWarning[] {
  const warnings: TrustWarning[] = [];
  const add = (id: Exclude<TrustWarning["id"], "one-repeat" | "autocannon">, cells: CellRef[]) => {
    if (cells.length) warnings.push({ id, cells });
  };
  if (runs.length && runs.every((r) => r.repeats < 2)) warnings.push({ id: "one-repeat" });
  add(
    "stalled",
    runs.filter((r) => r.rps === 0 && r.non2xx === 0).map((r) => ref(r, r.latency_ms.p50)),
  );
  add(
    "noisy",
    runs
      .filter((r) => r.spread !== null && r.spread > NOISY_SPREAD)
      .map((r) => ref(r, r.spread ?? 0)),
  );
  const above = runs.filter((r) => {
    if (r.approach === "null" || r.ratio_to_null === null) return false;
    const slack = (r.spread ?? 0) + (nullOf(runs, r)?.spread ?? 0) + ABOVE_NULL_MARGIN;
    return r.ratio_to_null > 1 + slack;
  });
  add(
    "above-null",
    above.map((r) => ref(r, r.ratio_to_null ?? 0)),
  );
  add(
    "unsteady",
    runs.filter((r) => r.steady === false).map((r) => ref(r, r.trend, r.warmup_s)),
  );
  add(
    "generator-paced",
    runs
      .filter((r) => r.bottleneck === "load-generator")
      .map((r) => ref(r, r.generator_cpu_cores ?? 0, r.cpu_cores)),
  );
  if (tool === "autocannon") warnings.push({ id: "autocannon" });
  return warnings;
}

export { SATURATED_SHARE };
