// npm run crash: the durability lab. Each trial kills a store mid-load (and, for a power
// cut, drops every write not yet fsynced), restarts it, and checks every acknowledged write.
import { defineCommand, runMain } from "citty";
import { choicesArg, wholeArg } from "./cli/flags.ts";
import {
  interruptSignal,
  log,
  outDir,
  outFlag,
  WORK_DIR_FLAG,
  workDir,
  writeLabOutputs,
} from "./cli/run.ts";
import { crashTargets, runDurability } from "./experiments/durability.ts";
import { availableFaults, FAULTS } from "./faults/faults.ts";
import { durabilityIntro, durabilitySection } from "./report/durability.ts";
import { renderMarkdown } from "./report/markdown.ts";
import { text } from "./report/model.ts";

const targets = await crashTargets();

const command = defineCommand({
  meta: {
    name: "npm run crash --",
    description:
      "Measure what each store's acknowledged writes survive: kill the server mid-load (and, for a power cut, drop every write not yet fsynced), restart it, and check every acknowledged record. Writes durability.json and durability.md.",
  },
  args: {
    quick: { type: "boolean", description: "5 trials per store and fault (a few minutes)" },
    trials: {
      type: "string",
      description: "trials per store and fault (default 20; --quick 5)",
      valueHint: "N",
    },
    approaches: {
      type: "string",
      description: `comma-separated; default all: ${targets.map((t) => t.name).join(",")}`,
      valueHint: "a,b",
    },
    faults: {
      type: "string",
      description:
        "sigkill, powercut or both (default: both where this machine can; powercut needs FUSE)",
      valueHint: "f,f",
    },
    records: {
      type: "string",
      description: "seeded records each trial starts from (default 1000)",
      valueHint: "N",
    },
    out: outFlag("crash-results"),
    "work-dir": WORK_DIR_FLAG,
  },
  async run({ args }) {
    const names = targets.map((t) => t.name);
    const chosen = choicesArg(args.approaches, names, names, "--approaches");
    const options = {
      targets: targets.filter((t) => chosen.includes(t.name)),
      faults: availableFaults(
        args.faults ? choicesArg(args.faults, FAULTS, FAULTS, "--faults") : undefined,
        log,
      ),
      trials: wholeArg(args.trials, args.quick ? 5 : 20, "--trials"),
      records: wholeArg(args.records, 1000, "--records"),
      workDir: workDir(args["work-dir"]),
      log,
    };
    const out = outDir(args.out, "crash-results");
    const signal = interruptSignal("the finished trials");
    const { results, error } = await runDurability(options, signal);
    const md = renderMarkdown({
      title: "needadb durability report",
      intro: [text(durabilityIntro(results))],
      sections: [durabilitySection(results.runs, "")],
    });
    writeLabOutputs(out, "durability", results, md);
    if (error) process.exitCode = 1;
    else if (!results.complete) process.exitCode = 130;
  },
});

if (import.meta.main) await runMain(command);
