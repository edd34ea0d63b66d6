// npm run orders-check: are orders all-or-nothing on every approach? Crash trials under
// order load, and two processes racing for scarce stock.
import { choosable } from "../stores/index.ts";
import { approachesArg, choicesArg, wholeArg } from "./cli/flags.ts";
import { runLabTool } from "./cli/lab-command.ts";
import { runOrdersCheck } from "./experiments/orders.ts";
import { availableFaults, FAULTS } from "./faults/faults.ts";
import { ordersSection } from "./report/orders.ts";
import { ordersBroken } from "./results/orders.ts";

await runLabTool(
  {
    script: "orders-check",
    description:
      "Check that orders are all-or-nothing on every approach: crash trials under order load, and two processes racing for scarce stock. Writes orders.json and orders.md.",
    resultsDir: "orders-results",
    kept: "the finished stores",
    inBench: true,
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
        description: "comma-separated (default: every store, not the ceiling)",
        valueHint: "a,b",
      },
      faults: {
        type: "string",
        description: "sigkill, powercut or both (default: each this machine can do)",
        valueHint: "f,f",
      },
    },
    async run(args, lab) {
      const requested = args.faults
        ? choicesArg(args.faults, FAULTS, FAULTS, "--faults")
        : undefined;
      const o = {
        approaches: approachesArg(args.approaches, await choosable()),
        trials: wholeArg(args.trials, args.quick ? 2 : 5, "--trials"),
        raceS: wholeArg(args.race, args.quick ? 2 : 4, "--race"),
        faults: availableFaults(requested, lab.log),
        ...lab,
      };
      lab.log(`needadb orders-check: ${o.approaches.length} stores, ${o.trials} trials per fault`);
      const results = await runOrdersCheck(o, lab.signal);
      return {
        name: "orders",
        results,
        report: { title: "needadb orders check", intro: [], sections: [ordersSection(results)] },
        exitCode: results.error || results.runs.some(ordersBroken) ? 1 : 0,
      };
    },
  },
  import.meta.main,
);
