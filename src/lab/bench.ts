// npm run bench: every approach × workload × dataset size on this machine, then
// results.json, report.md and report.html from what was measured.
import { readFileSync } from "node:fs";
import { defineCommand } from "citty";
import { type Args, BENCH_ARGS, benchOptions, str } from "./cli/bench-flags.ts";
import { runCli } from "./cli/main.ts";
import { interruptSignal, log, outDir, readLabFile, writeFiles } from "./cli/run.ts";
import { runBench } from "./experiments/bench.ts";
import { benchFiles } from "./report/bench.ts";
import { formatComparison } from "./report/compare.ts";
import type { Results } from "./results/bench.ts";
import { compareRuns } from "./results/compare.ts";
import type { ContentionResults } from "./results/contention.ts";
import type { DurabilityResults } from "./results/durability.ts";
import type { OrdersResults } from "./results/orders.ts";
import type { TopologyResults } from "./results/topology.ts";

/** The other labs' newest results, which the report shows beside the benchmark's. */
function attachLabResults(results: Results, args: Args): void {
  const d = readLabFile<DurabilityResults>(
    str(args, "durability"),
    "crash-results",
    "durability.json",
  );
  if (d) results.durability = { file: d.file, runs: d.results.runs };
  const c = readLabFile<ContentionResults>(
    str(args, "contention"),
    "contention-results",
    "contention.json",
  );
  if (c) results.contention = c;
  const t = readLabFile<TopologyResults>(
    str(args, "topology"),
    "topology-results",
    "topology.json",
  );
  if (t) results.topology = t;
  const o = readLabFile<OrdersResults>(str(args, "orders"), "orders-results", "orders.json");
  if (o) results.orders = o;
}

const readResults = (file: string) => JSON.parse(readFileSync(file, "utf8")) as Results;

const command = defineCommand({
  meta: {
    name: "npm run bench --",
    description:
      "Measure every approach's reads and writes on this machine and write results.json, report.md and report.html. Each cell runs a fresh server on a fresh copy of a seeded dataset, warms up, then measures. Ctrl-C stops cleanly and still writes what finished.",
  },
  args: BENCH_ARGS,
  async run({ args }) {
    if (args.compare && args.against) {
      const changes = compareRuns(readResults(args.compare).runs, readResults(args.against).runs);
      process.stdout.write(formatComparison(changes));
      return;
    }
    const { targetDau, ...options } = benchOptions(args);
    const out = outDir(args.out, "bench-results");
    log(
      `needadb bench: ${options.approaches.length} approaches × ${options.workloads.length} workloads × ${options.records.length} sizes × ${options.repeat} repeats, ` +
        `${options.tool}, ${options.rate ? `open model at ${options.rate} req/s` : "closed model"}, results in ${out}`,
    );
    const signal = interruptSignal("the finished cells");
    const results = await runBench(options, signal);
    attachLabResults(results, args);
    const files = writeFiles(out, benchFiles(results, targetDau));
    log(
      `${results.complete ? "done" : `interrupted after ${results.cells_done} of ${results.cells_total} cells`}: ${files.join(", ")}`,
    );
    if (args.compare)
      process.stdout.write(
        formatComparison(compareRuns(readResults(args.compare).runs, results.runs)),
      );
    if (results.error) process.exitCode = 1;
    else if (!results.complete) process.exitCode = 130;
  },
});

if (import.meta.main) await runCli(command);
