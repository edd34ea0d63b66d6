// What makes a run's numbers weak, said in the run itself: cells that varied across
// repeats, stores measured faster than the `null` ceiling, and cells whose pace the load
// generator set rather than the server.
import type { Run } from "./bench.ts";
import type { Tool } from "./load.ts";
import { SATURATED_SHARE } from "./summary.ts";

/** Above this spread over repeats ((max - min) / median), a cell is called noisy. */
export const NOISY_SPREAD = 0.2;
/** A ratio to `null` above 1 by more than both cells' spreads plus this cannot be the store. */
const ABOVE_NULL_MARGIN = 0.1;
/** Cells named in one warning, at most; the rest are counted. */
const NAMED_MAX = 6;

const pct = (x: number) => `${Math.round(x * 100)}%`;
const name = (r: Run) => `\`${r.approach}\` ${r.workload} at ${r.records.toLocaleString("en")}`;

function named(runs: readonly Run[], detail: (r: Run) => string): string {
  const shown = runs.slice(0, NAMED_MAX).map((r) => `${name(r)} (${detail(r)})`);
  const more = runs.length - shown.length;
  return `${shown.join(", ")}${more > 0 ? ` and ${more} more` : ""}`;
}

function nullOf(runs: readonly Run[], r: Run): Run | undefined {
  return runs.find(
    (n) => n.approach === "null" && n.workload === r.workload && n.records === r.records,
  );
}

/** Every warning the run's cells call for, each saying which conclusions it weakens. */
export function trustWarnings(runs: readonly Run[], tool: Tool): string[] {
  const warnings: string[] = [];
  if (runs.length && runs.every((r) => r.repeats < 2))
    warnings.push(
      "One repeat per cell: no cell's spread is known, so this run cannot tell noise from a difference. Run with `--repeat 3` (the default without `--quick`) before trusting close ratios.",
    );
  const stalled = runs.filter((r) => r.rps === 0 && r.non2xx === 0);
  if (stalled.length)
    warnings.push(
      `No request finished in the measured phase: ${named(stalled, (r) => `${r.latency_ms.p50 ? `p50 ${r.latency_ms.p50.toFixed(0)} ms` : "none answered"}`)}. Each request there takes longer than the phase with every connection waiting at once: read their 0 as "under one request per phase", not as a failure.`,
    );
  const noisy = runs.filter((r) => r.spread !== null && r.spread > NOISY_SPREAD);
  if (noisy.length)
    warnings.push(
      `Noisy: ${named(noisy, (r) => `varied ${pct(r.spread ?? 0)}`)} varied by more than ${pct(NOISY_SPREAD)} across repeats. Ratios involving them are uncertain by at least that much.`,
    );
  const above = runs.filter((r) => {
    if (r.approach === "null" || r.ratio_to_null === null) return false;
    const slack = (r.spread ?? 0) + (nullOf(runs, r)?.spread ?? 0) + ABOVE_NULL_MARGIN;
    return r.ratio_to_null > 1 + slack;
  });
  if (above.length)
    warnings.push(
      `Above the ceiling: ${named(above, (r) => `${r.ratio_to_null?.toFixed(2)}× null`)} measured faster than \`null\`, which does strictly less work, by more than the spread explains. The machine's load changed during the run: every ratio in it is weak.`,
    );
  const unsteady = runs.filter((r) => r.steady === false);
  if (unsteady.length)
    warnings.push(
      `Not steady: in ${named(unsteady, (r) => `${r.trend >= 0 ? "+" : ""}${pct(r.trend)} over its window after ${r.warmup_s.toFixed(1)} s of warm-up`)}, the rate still moved beyond its noise while it was measured. Their req/s is a point on a moving curve, not the store's steady rate; "Cells that had not settled" draws them. A longer \`--warmup-max\` or \`--duration\` may let them settle.`,
    );
  const paced = runs.filter((r) => r.bottleneck === "load-generator");
  if (paced.length)
    warnings.push(
      `The load generator set the pace, not the server: in ${named(paced, (r) => `${tool} ${r.generator_cpu_cores?.toFixed(2)} cores, server ${r.cpu_cores.toFixed(2)}`)}, ${tool} used at least ${pct(SATURATED_SHARE)} of its cores while the server did not. Those req/s are what this machine can measure, not the server's limit; ratios near 1 there mean "as fast as the load generator".`,
    );
  if (tool === "autocannon")
    warnings.push(
      "Load came from autocannon (wrk is not installed): it runs in one Node thread beside the lab and saturates before a fast server does. Fast stores' req/s are floors, not ceilings; install wrk (Debian: `apt-get install wrk`) for ceilings.",
    );
  return warnings;
}
