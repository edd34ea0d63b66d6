// npm run failover: PostgreSQL's primary dies under write load, on an HA cluster from
// Debian's packages (Patroni, etcd, HAProxy), and the app's view of it is measured: how long
// writes stop, and what acknowledged writes each replication mode loses.
import { choicesArg, wholeArg } from "./cli/flags.ts";
import { runLabTool } from "./cli/lab-command.ts";
import { FAILOVER_STALL_MS, FAILOVER_WRITERS, runFailover } from "./experiments/failover.ts";
import { HA_PACKAGES, missingPackages } from "./harness/ha-cluster.ts";
import { failoverReport } from "./report/failover.ts";
import { FAILOVER_FAULTS, FAILOVER_MODES } from "./results/failover.ts";

await runLabTool(
  {
    script: "failover",
    description: `Kill PostgreSQL's primary under write load, on a Patroni cluster on loopback, and measure at the app how long writes stop and which acknowledged writes each replication mode loses. Needs Debian's ${Object.keys(HA_PACKAGES).join(", ")} and python3-etcd. Writes failover.json, failover.md and failover.html.`,
    resultsDir: "failover-results",
    kept: "the finished trials",
    inBench: false,
    html: true,
    args: {
      quick: {
        type: "boolean",
        description: "one trial of each fault, asynchronous and synchronous (about 4 minutes here)",
      },
      trials: {
        type: "string",
        description: "trials of each fault and mode (default 3; --quick 1)",
        valueHint: "N",
      },
      modes: {
        type: "string",
        description: `comma-separated from ${FAILOVER_MODES.join(",")} (default all; --quick async,sync)`,
        valueHint: "m,m",
      },
      faults: {
        type: "string",
        description: `comma-separated from ${FAILOVER_FAULTS.join(",")} (default all)`,
        valueHint: "f,f",
      },
      "stall-ms": {
        type: "string",
        description: `how long replication stalls before stall-node's kill (default ${FAILOVER_STALL_MS})`,
        valueHint: "MS",
      },
    },
    async run(args, lab) {
      const missing = missingPackages();
      if (missing.length)
        throw new Error(
          `the failover lab needs Debian's ${missing.join(", ")}: apt-get install -y --no-install-recommends ${missing.join(" ")}`,
        );
      const quickModes: readonly (typeof FAILOVER_MODES)[number][] = ["async", "sync"];
      const results = await runFailover(
        {
          modes: choicesArg(
            args.modes,
            FAILOVER_MODES,
            args.quick ? quickModes : FAILOVER_MODES,
            "--modes",
          ),
          faults: choicesArg(args.faults, FAILOVER_FAULTS, FAILOVER_FAULTS, "--faults"),
          trials: wholeArg(args.trials, args.quick ? 1 : 3, "--trials"),
          stallMs: wholeArg(args["stall-ms"], FAILOVER_STALL_MS, "--stall-ms"),
          writers: FAILOVER_WRITERS,
          workDir: lab.workDir,
          log: lab.log,
        },
        lab.signal,
      );
      return {
        name: "failover",
        results,
        report: failoverReport(results),
        exitCode: results.error ? 1 : results.complete ? 0 : 130,
      };
    },
  },
  import.meta.main,
);
