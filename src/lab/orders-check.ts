// npm run orders-check: are orders all-or-nothing on every approach? Crash trials under
// order load, and two processes racing for scarce stock.
import { defineCommand, runMain } from "citty";
import { approachesArg, choicesArg, STORING, wholeArg } from "./cli/flags.ts";
import {
  interruptSignal,
  log,
  outDir,
  outFlag,
  WORK_DIR_FLAG,
  workDir,
  writeLabOutputs,
} from "./cli/run.ts";
import { runOrdersCheck } from "./experiments/orders.ts";
import { availableFaults, FAULTS } from "./faults/faults.ts";
import { renderMarkdown } from "./report/markdown.ts";
import { ordersSection } from "./report/orders.ts";
import { ordersBroken } from "./results/orders.ts";

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
      description: `comma-separated (default all but null: ${STORING.join(",")})`,
      valueHint: "a,b",
    },
    faults: {
      type: "string",
      description: "sigkill, powercut or both (default both when FUSE is available)",
      valueHint: "f,f",
    },
    out: outFlag("orders-results"),
    "work-dir": WORK_DIR_FLAG,
  },
  async run({ args }) {
    const quick = Boolean(args.quick);
    const requested = args.faults ? choicesArg(args.faults, FAULTS, FAULTS, "--faults") : undefined;
    const options = {
      approaches: approachesArg(args.approaches, STORING),
      trials: wholeArg(args.trials, quick ? 2 : 5, "--trials"),
      raceS: wholeArg(args.race, quick ? 2 : 4, "--race"),
      faults: availableFaults(requested, log),
      workDir: workDir(args["work-dir"]),
      log,
    };
    const out = outDir(args.out, "orders-results");
    const signal = interruptSignal("the finished stores");
    log(
      `needadb orders-check: ${options.approaches.length} stores, ${options.trials} trials per fault`,
    );
    const results = await runOrdersCheck(options, signal);
    const md = renderMarkdown({
      title: "needadb orders check",
      intro: [],
      sections: [ordersSection(results)],
    });
    writeLabOutputs(out, "orders", results, md);
    if (results.error || results.runs.some(ordersBroken)) process.exitCode = 1;
  },
});

if (import.meta.main) await runMain(command);
