// npm run soak: a long mixed load with a share of malformed requests against each store;
// memory over time, error counts, and the final record count against the acknowledged one.
import { defineCommand, runMain } from "citty";
import { approachesArg, numberArg, wholeArg } from "./cli/flags.ts";
import {
  interruptSignal,
  log,
  outDir,
  outFlag,
  WORK_DIR_FLAG,
  workDir,
  writeLabOutputs,
} from "./cli/run.ts";
import { soak } from "./experiments/soak.ts";
import { renderMarkdown } from "./report/markdown.ts";
import { soakSection } from "./report/soak.ts";
import { type SoakResult, soakFailed } from "./results/soak.ts";

const command = defineCommand({
  meta: {
    name: "npm run soak --",
    description:
      "Run a long mixed read/write load with a share of malformed requests against each store, and report memory over time, error counts and the final record count against the acknowledged count.",
  },
  args: {
    minutes: { type: "string", description: "minutes per store (default 10)", valueHint: "N" },
    approaches: {
      type: "string",
      description: "comma-separated (default sqlite,map,jsonl-group)",
      valueHint: "a,b",
    },
    connections: { type: "string", description: "concurrent clients (default 16)", valueHint: "N" },
    "bad-share": {
      type: "string",
      description: "share of malformed requests (default 0.1)",
      valueHint: "F",
    },
    "write-share": { type: "string", description: "share of writes (default 0.1)", valueHint: "F" },
    records: {
      type: "string",
      description: "seeded records to start from (default 10000)",
      valueHint: "N",
    },
    out: outFlag("soak-results"),
    "work-dir": WORK_DIR_FLAG,
  },
  async run({ args }) {
    const approaches = approachesArg(args.approaches, ["sqlite", "map", "jsonl-group"]);
    const share = { min: 0, max: 1, above: true };
    const options = {
      minutes: numberArg(args.minutes, 10, "--minutes", { above: true }),
      connections: wholeArg(args.connections, 16, "--connections"),
      badShare: numberArg(args["bad-share"], 0.1, "--bad-share", share),
      writeShare: numberArg(args["write-share"], 0.1, "--write-share", share),
      records: wholeArg(args.records, 10_000, "--records"),
      workDir: workDir(args["work-dir"]),
      log,
    };
    const out = outDir(args.out, "soak-results");
    const signal = interruptSignal("what ran so far");
    const results: SoakResult[] = [];
    for (const approach of approaches) {
      if (signal.aborted) break;
      results.push(await soak(approach, options, signal));
    }
    const md = renderMarkdown({
      title: "needadb soak report",
      intro: [],
      sections: [soakSection(results)],
    });
    writeLabOutputs(out, "soak", results, md, false);
    if (results.some(soakFailed)) process.exitCode = 1;
  },
});

if (import.meta.main) await runMain(command);
