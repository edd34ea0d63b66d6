// npm run topology: two app servers on one PostgreSQL, then two on one SQLite file each,
// with a create-here-read-there probe; and PostgreSQL against the `null` ceiling.
import { defineCommand, runMain } from "citty";
import { pairArgs, pairOptions } from "./cli/pair.ts";
import { interruptSignal, log, outDir, writeLabOutputs } from "./cli/run.ts";
import { runTopology } from "./experiments/topology.ts";
import { renderMarkdown } from "./report/markdown.ts";
import { topologySection } from "./report/topology.ts";

const command = defineCommand({
  meta: {
    name: "npm run topology --",
    description:
      "Run two app servers on one PostgreSQL (embedded, from npm) and then two on one SQLite file each, with write load and a create-here-read-there probe; measure PostgreSQL against null. Writes topology.json and topology.md.",
  },
  args: pairArgs("topology-results"),
  async run({ args }) {
    const options = { ...pairOptions(args), log };
    const out = outDir(args.out, "topology-results");
    const signal = interruptSignal("what finished");
    log(`needadb topology: 3 steps, about ${Math.ceil((7 * options.durationS + 20) / 60)} min`);
    const results = await runTopology(options, signal);
    const md = renderMarkdown({
      title: "needadb topology report",
      intro: [],
      sections: [topologySection(results)],
    });
    writeLabOutputs(out, "topology", results, md);
    if (!results.complete) process.exitCode = 1;
  },
});

if (import.meta.main) await runMain(command);
