// npm run contention: two servers on one DATA_DIR against one, for each approach, with a
// probe that creates through one server and reads through the other.
import { defineCommand, runMain } from "citty";
import { approachesArg, STORING, wholeArg } from "./cli/flags.ts";
import { pairArgs, pairOptions } from "./cli/pair.ts";
import { interruptSignal, log, outDir, writeLabOutputs } from "./cli/run.ts";
import { runContention } from "./experiments/contention.ts";
import { contentionSection } from "./report/contention.ts";
import { renderMarkdown } from "./report/markdown.ts";

const command = defineCommand({
  meta: {
    name: "npm run contention --",
    description:
      "Run two servers on one DATA_DIR under write load for each approach, against one server at the same concurrency, with a probe that creates through one server and reads through the other. Writes contention.json and contention.md.",
  },
  args: {
    ...pairArgs("contention-results"),
    approaches: {
      type: "string",
      description: `comma-separated (default all but null: ${STORING.join(",")})`,
      valueHint: "a,b",
    },
    ports: {
      type: "string",
      description: "the two servers' ports (default 8081,8082; 0,0 picks free ones)",
      valueHint: "A,B",
    },
  },
  async run({ args }) {
    const ports = (args.ports ?? "8081,8082").split(",").map((p) => wholeArg(p, 0, "--ports", 0));
    if (ports.length !== 2 || ports.some((p) => p > 65535))
      throw new Error(`--ports takes two ports, such as 8081,8082, not "${args.ports}"`);
    const options = {
      approaches: approachesArg(args.approaches, STORING),
      ...pairOptions(args),
      ports: ports as [number, number],
      log,
    };
    const out = outDir(args.out, "contention-results");
    const signal = interruptSignal("the finished approaches");
    log(
      `needadb contention: ${options.approaches.length} approaches, ${options.durationS} s per phase, ` +
        `about ${Math.ceil((options.approaches.length * (2 * options.durationS + 4)) / 60)} min`,
    );
    const results = await runContention(options, signal);
    const md = renderMarkdown({
      title: "needadb contention report",
      intro: [],
      sections: [contentionSection(results)],
    });
    writeLabOutputs(out, "contention", results, md);
    if (results.error) process.exitCode = 1;
  },
});

if (import.meta.main) await runMain(command);
