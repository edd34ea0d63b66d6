// What makes numbers weak, in words: the bench's own warnings (results/warnings.ts) and the
// decision's, each saying which conclusions it weakens.
import type { DecisionWarning } from "../results/decision.ts";
import { SATURATED_SHARE } from "../results/summary.ts";
import { type CellRef, NOISY_SPREAD } from "../results/warnings.ts";
import { code, fixed, int, share, signedShare, times } from "./format.ts";

/** Cells named in one warning, at most; the rest are counted. */
const NAMED_MAX = 6;

function named(cells: readonly CellRef[], detail: (c: CellRef) => string): string {
  const shown = cells
    .slice(0, NAMED_MAX)
    .map((c) => `${code(c.approach)} ${c.workload} at ${int(c.records)} (${detail(c)})`);
  const more = cells.length - shown.length;
  return `${shown.join(", ")}${more > 0 ? ` and ${more} more` : ""}`;
}

export function warningText(w: DecisionWarning, tool: string): string {
  switch (w.id) {
    case "one-repeat":
      return "One repeat per cell: no cell's spread is known, so this run cannot tell noise from a difference. Run with `--repeat 3` (the default without `--quick`) before trusting close ratios.";
    case "stalled":
      return `No request finished in the measured phase, while the server was busy: ${named(w.cells, (c) => (c.figure ? `p50 ${fixed(c.figure, 0)} ms` : "none answered"))}. Each request there takes longer than the phase with every connection waiting at once: read their 0 as "under one request per phase".`;
    case "noisy":
      return `Noisy: ${named(w.cells, (c) => `varied ${share(c.figure)}`)} varied by more than ${share(NOISY_SPREAD)} across repeats. Ratios involving them are uncertain by at least that much.`;
    case "above-null":
      return `Above the ceiling: ${named(w.cells, (c) => `${times(c.figure)} null`)} measured faster than \`null\`, which does strictly less work, by more than the spread explains. The machine's load changed during the run: every ratio in it is weak.`;
    case "unsteady":
      return `Not steady: in ${named(w.cells, (c) => `${signedShare(c.figure)} over its window after ${fixed(c.other ?? 0)} s of warm-up`)}, the rate still moved beyond its noise while it was measured. Their req/s is a point on a moving curve, not the store's steady rate; "Cells that had not settled" draws them. A longer \`--warmup-max\` or \`--duration\` may let them settle.`;
    case "generator-paced":
      return `The load generator set the pace, not the server: in ${named(w.cells, (c) => `${tool} ${fixed(c.figure, 2)} cores, server ${fixed(c.other ?? 0, 2)}`)}, ${tool} used at least ${share(SATURATED_SHARE)} of its cores while the server did not. Those req/s are what this machine can measure, not the server's limit.`;
    case "autocannon":
      return "Load came from autocannon (wrk is not installed): it runs in one Node thread beside the lab and saturates before a fast server does. Fast stores' req/s are floors, not ceilings; install wrk (Debian: `apt-get install wrk`) for ceilings.";
    case "claim-stands-in":
      return `${code(w.approach)}'s crash trials were not measured here: its claim stands in (\`npm run crash\` measures it).`;
    case "records-not-measured":
      return `The bench measured up to ${int(w.largest)} records, not the profile's ${int(w.records)}: the figures there are bounded, and predicted where a fit allows, and each says which.`;
    case "capacity-unsteady":
      return `${code(w.approach)}'s ${w.workload} rate at ${int(w.records)} records had not settled while it was measured: its band is widened by how far it moved. A longer \`--warmup-max\` may settle it.`;
  }
}
