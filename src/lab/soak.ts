// npm run soak: a long mixed load with a share of malformed requests against each store;
// memory over time, error counts, and the final record count against the acknowledged one.
import { approachesArg, numberArg, wholeArg } from "./cli/flags.ts";
import { runLabTool } from "./cli/lab-command.ts";
import { soak } from "./experiments/soak.ts";
import { soakSection } from "./report/soak.ts";
import { type SoakResult, soakFailed } from "./results/soak.ts";

const SHARE = { min: 0, max: 1, above: true };

await runLabTool(
  {
    script: "soak",
    description:
      "Run a long mixed read/write load with a share of malformed requests against each store, and report memory over time, error counts and the final record count against the acknowledged count.",
    resultsDir: "soak-results",
    kept: "what ran so far",
    inBench: false,
    args: {
      minutes: { type: "string", description: "minutes per store (default 10)", valueHint: "N" },
      approaches: {
        type: "string",
        description: "comma-separated (default sqlite,map,jsonl-group)",
        valueHint: "a,b",
      },
      connections: {
        type: "string",
        description: "concurrent clients (default 16)",
        valueHint: "N",
      },
      "bad-share": {
        type: "string",
        description: "share of malformed requests (default 0.1)",
        valueHint: "F",
      },
      "write-share": {
        type: "string",
        description: "share of writes (default 0.1)",
        valueHint: "F",
      },
      records: {
        type: "string",
        description: "seeded records to start from (default 10000)",
        valueHint: "N",
      },
    },
    async run(args, lab) {
      const approaches = approachesArg(args.approaches, ["sqlite", "map", "jsonl-group"]);
      const o = {
        minutes: numberArg(args.minutes, 10, "--minutes", { above: true }),
        connections: wholeArg(args.connections, 16, "--connections"),
        badShare: numberArg(args["bad-share"], 0.1, "--bad-share", SHARE),
        writeShare: numberArg(args["write-share"], 0.1, "--write-share", SHARE),
        records: wholeArg(args.records, 10_000, "--records"),
        ...lab,
      };
      const results: SoakResult[] = [];
      for (const approach of approaches) {
        if (lab.signal.aborted) break;
        results.push(await soak(approach, o, lab.signal));
      }
      return {
        name: "soak",
        results,
        report: { title: "needadb soak report", intro: [], sections: [soakSection(results)] },
        exitCode: results.some(soakFailed) ? 1 : 0,
      };
    },
  },
  import.meta.main,
);
