// npm run topology: two app servers on one PostgreSQL, then two on one SQLite file each,
// with a create-here-read-there probe; and PostgreSQL against the `null` ceiling.
import { runLabTool } from "./cli/lab-command.ts";
import { pairArgs, pairOptions } from "./cli/pair.ts";
import { runTopology } from "./experiments/topology.ts";
import { topologySection } from "./report/topology.ts";

await runLabTool(
  {
    script: "topology",
    description:
      "Run two app servers on one PostgreSQL (embedded, from npm) and then two on one SQLite file each, with write load and a create-here-read-there probe; measure PostgreSQL against null; then PostgreSQL with 0, 1 and 2 read replicas: reads, writes, replication lag and stale reads, with and without Prefer: read-your-writes. Writes topology.json and topology.md.",
    resultsDir: "topology-results",
    kept: "what finished",
    inBench: true,
    args: pairArgs(),
    async run(args, lab) {
      const o = { ...pairOptions(args), ...lab };
      lab.log(`needadb topology: 4 steps, about ${Math.ceil((16 * o.durationS + 70) / 60)} min`);
      const results = await runTopology(o, lab.signal);
      return {
        name: "topology",
        results,
        report: {
          title: "needadb topology report",
          intro: [],
          sections: [topologySection(results)],
        },
        exitCode: results.complete ? 0 : 1,
      };
    },
  },
  import.meta.main,
);
