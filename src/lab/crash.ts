// npm run crash: the durability lab. Each trial kills a store mid-load (and, for a power
// cut, drops every write not yet fsynced), restarts it, and checks every acknowledged write.
import { choicesArg, wholeArg } from "./cli/flags.ts";
import { runLabTool } from "./cli/lab-command.ts";
import { crashTargets, runDurability } from "./experiments/durability.ts";
import { availableFaults, FAULTS } from "./faults/faults.ts";
import { durabilityIntro, durabilitySections } from "./report/durability.ts";
import { text } from "./report/model.ts";

const targets = await crashTargets();
const names = targets.map((t) => t.name);

await runLabTool(
  {
    script: "crash",
    description:
      "Measure what each store's acknowledged writes survive: kill the server mid-load (and, for a power cut, drop every write not yet fsynced; or first fill the disk, fail an fsync, tear the unsynced writes), restart it, and check every acknowledged record. Writes durability.json and durability.md.",
    resultsDir: "crash-results",
    kept: "the finished trials",
    inBench: true,
    args: {
      quick: { type: "boolean", description: "5 trials per store and fault (a few minutes)" },
      trials: {
        type: "string",
        description: "trials per store and fault (default 20; --quick 5)",
        valueHint: "N",
      },
      approaches: {
        type: "string",
        description: `comma-separated; default all: ${names.join(",")}`,
        valueHint: "a,b",
      },
      faults: {
        type: "string",
        description:
          "crashes: sigkill, powercut (the default: each this machine can do); the disk misbehaving: enospc, eio, torn (asked for by name); all but sigkill need FUSE",
        valueHint: "f,f",
      },
      records: {
        type: "string",
        description: "seeded records each trial starts from (default 1000)",
        valueHint: "N",
      },
    },
    async run(args, lab) {
      const chosen = choicesArg(args.approaches, names, names, "--approaches");
      const requested = args.faults
        ? choicesArg(args.faults, FAULTS, FAULTS, "--faults")
        : undefined;
      const { results, error } = await runDurability(
        {
          targets: targets.filter((t) => chosen.includes(t.name)),
          faults: availableFaults(requested, lab.log),
          trials: wholeArg(args.trials, args.quick ? 5 : 20, "--trials"),
          records: wholeArg(args.records, 1000, "--records"),
          workDir: lab.workDir,
          log: lab.log,
        },
        lab.signal,
      );
      return {
        name: "durability",
        results,
        report: {
          title: "needadb durability report",
          intro: [text(durabilityIntro(results))],
          sections: durabilitySections(results.runs, ""),
        },
        exitCode: error ? 1 : results.complete ? 0 : 130,
      };
    },
  },
  import.meta.main,
);
