// npm run contention: two servers on one DATA_DIR, then two worker threads of one process,
// against one server, for each approach, with a probe that creates through one and reads
// through the other.
import { choosable } from "../stores/index.ts";
import { approachesArg, wholeArg } from "./cli/flags.ts";
import { runLabTool } from "./cli/lab-command.ts";
import { pairArgs, pairOptions } from "./cli/pair.ts";
import { runContention } from "./experiments/contention.ts";
import { contentionSections } from "./report/contention.ts";

function ports(arg: string | undefined): [number, number] {
  const ps = (arg ?? "8081,8082").split(",").map((p) => wholeArg(p, 0, "--ports", 0));
  if (ps.length !== 2 || ps.some((p) => p > 65535))
    throw new Error(`--ports takes two ports, such as 8081,8082, not "${arg}"`);
  return ps as [number, number];
}

await runLabTool(
  {
    script: "contention",
    description:
      "Run two servers on one DATA_DIR under write load for each approach, then two worker threads of one process, against one server at the same concurrency, with a probe that creates through one and reads through the other. Writes contention.json and contention.md.",
    resultsDir: "contention-results",
    kept: "the finished approaches",
    inBench: true,
    args: {
      ...pairArgs(),
      approaches: {
        type: "string",
        description: "comma-separated (default: every store, not the ceiling)",
        valueHint: "a,b",
      },
      ports: {
        type: "string",
        description:
          "the two servers' ports (default 8081,8082; 0,0 picks free ones); the threads use the first and the next",
        valueHint: "A,B",
      },
    },
    async run(args, lab) {
      const o = {
        approaches: approachesArg(args.approaches, await choosable()),
        ...pairOptions(args),
        ports: ports(args.ports),
        ...lab,
      };
      const minutes = Math.ceil((o.approaches.length * (3 * o.durationS + 6)) / 60);
      lab.log(
        `needadb contention: ${o.approaches.length} approaches, ${o.durationS} s per phase, about ${minutes} min`,
      );
      const results = await runContention(o, lab.signal);
      return {
        name: "contention",
        results,
        report: {
          title: "needadb contention report",
          intro: [],
          sections: contentionSections(results),
        },
        exitCode: results.error ? 1 : 0,
      };
    },
  },
  import.meta.main,
);
