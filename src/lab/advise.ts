// npm run advise: a profile of the app in, a measured decision out. It runs only the labs
// the profile needs, reuses what an earlier run in the same directory measured, and writes
// decision.json, decision.md and decision.html.

import { defineCommand } from "citty";
import { choosable } from "../stores/index.ts";
import { approachesArg, listArg } from "./cli/flags.ts";
import { runCli } from "./cli/main.ts";
import { PROFILE_FLAGS, readProfile } from "./cli/profile.ts";
import {
  interruptSignal,
  log,
  outDir,
  outFlag,
  WORK_DIR_FLAG,
  workDir,
  writeFiles,
} from "./cli/run.ts";
import { nearest } from "./cli/unknown-flags.ts";
import { runAdvise, whatIf } from "./experiments/advise.ts";
import { chooseTool } from "./load/load.ts";
import { decisionReport, progressText } from "./report/decision.ts";
import { renderHtml } from "./report/html.ts";
import { renderMarkdown } from "./report/markdown.ts";

const command = defineCommand({
  meta: {
    name: "npm run advise --",
    description:
      'Answer "do we need a database yet?" for one app: give its profile (--profile app.json, or the flags), and needadb measures what the decision needs on this machine and says which approach to use, how to run it, and why each other one is ruled out. Measurements are kept per machine and commit, so the next profile reuses them. On this project\'s 2-core test machine, the first --quick run took 1 to 5.5 minutes (most profiles under 3), and a profile already covered about a second.',
  },
  args: {
    ...PROFILE_FLAGS,
    quick: {
      type: "boolean",
      description: "short measurements (1 repeat, 1 s windows, 2 crash trials)",
    },
    fresh: {
      type: "boolean",
      description: "measure again, ignoring what this machine kept for this commit",
    },
    "what-if": {
      type: "string",
      description:
        "decide variants of the profile from what is kept, measuring nothing: comma-separated, each field=value, joined with + (dau=200000,servers=2,dau=200000+servers=2)",
      valueHint: "V,V",
    },
    tool: { type: "string", description: "wrk or autocannon (default wrk when installed)" },
    approaches: {
      type: "string",
      description: "only these approaches, comma-separated (default: every one)",
      valueHint: "a,b",
    },
    out: outFlag("advise-results"),
    "work-dir": WORK_DIR_FLAG,
  },
  async run({ args }) {
    const profile = readProfile(args);
    const variants = whatIfProfiles(args, args["what-if"]);
    const options = {
      profile,
      quick: Boolean(args.quick),
      fresh: Boolean(args.fresh),
      workDir: workDir(args["work-dir"]),
      tool: chooseTool(args.tool, undefined),
      approaches: approachesArg(args.approaches, await choosable()),
      log,
    };
    const out = outDir(args.out, "advise-results");
    const signal = interruptSignal("the decision from what finished");
    const advice = await runAdvise(options, signal, (p) => log(progressText(p)));
    const ifs = variants.length
      ? await whatIf(
          options,
          variants.map((v) => v.profile),
        )
      : [];
    const report = decisionReport(
      advice,
      ifs.map((d, i) => ({ name: variants[i]?.name ?? "", decision: d })),
    );
    const md = renderMarkdown(report);
    const files = writeFiles(out, {
      "decision.json": `${JSON.stringify({ ...advice, what_if: ifs }, null, 2)}\n`,
      "decision.md": md,
      "decision.html": renderHtml(report),
    });
    process.stdout.write(md);
    log(`wrote ${files.join(", ")}`);
    // A decision from a failed or interrupted lab is no answer yet: the exit code says so.
    if (advice.status === "interrupted" || signal.aborted) process.exitCode = 130;
    else if (advice.status === "failed") process.exitCode = 1;
  },
});

/** "dau=200000+servers=2": a variant of the profile's flags; a field that is no flag is refused. */
function whatIfProfiles(args: Record<string, unknown>, spec: string | undefined) {
  return (listArg(spec, "--what-if") ?? []).map((variant) => {
    const flags: Record<string, unknown> = { ...args };
    for (const change of variant.split("+")) {
      const [key = "", value] = change.split("=");
      if (!(key in PROFILE_FLAGS) || key === "profile" || value === undefined) {
        const near = nearest(key, Object.keys(PROFILE_FLAGS));
        throw new Error(
          `--what-if: "${change}" is not field=value of a profile flag${near ? ` (did you mean ${near}=…?)` : ""}`,
        );
      }
      flags[key] = value;
    }
    return { name: variant, profile: readProfile(flags) };
  });
}

if (import.meta.main) await runCli(command);
