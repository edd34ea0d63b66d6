// What srvx and the app cost over Node itself: `null` (our app on no storage) beside the
// bare node:http server (lab/harness/bare-http.ts), for reads and writes at each size, as
// ratios and as the server's CPU per answer. Pure functions over results.json.
import type { Results, Run, Sample } from "./bench.ts";
import type { Workload } from "./load.ts";

export interface CeilingRow {
  workload: Workload;
  records: number;
  node_rps: number;
  null_rps: number | null;
  /** null's rps / node:http's. */
  ratio: number | null;
  node_us: number | null;
  null_us: number | null;
  /** µs of server CPU per answer that srvx, routing and validation add over Node. */
  added_us: number | null;
}

export function ceilingRows(results: Results): CeilingRow[] {
  return (results.ceilings ?? []).map((node) => {
    const app = results.runs.find(
      (r) => r.approach === "null" && r.workload === node.workload && r.records === node.records,
    );
    const added =
      app?.cpu_us_per_request != null && node.cpu_us_per_request != null
        ? app.cpu_us_per_request - node.cpu_us_per_request
        : null;
    return {
      ...{ workload: node.workload, records: node.records, node_rps: node.rps },
      null_rps: app?.rps ?? null,
      ratio: app && node.rps > 0 ? app.rps / node.rps : null,
      ...{ node_us: node.cpu_us_per_request, null_us: app?.cpu_us_per_request ?? null },
      added_us: added,
    };
  });
}

/** The samples, of stores and ceilings alike, whose measured window still trended. */
export function unsteadySamples(results: Results): Sample[] {
  return [...results.samples, ...(results.ceiling_samples ?? [])].filter((s) => s.steady === false);
}

/** Every row of the run, ceilings included, for tables that list each cell. */
export function allRuns(results: Results): Run[] {
  return [...results.runs, ...(results.ceilings ?? [])];
}
