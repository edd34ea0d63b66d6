// npm run advise: a profile of the app in, a measured decision out. It runs only the labs
// the profile needs, reuses what an earlier run in the same directory measured, and writes
// decision.json, decision.md and decision.html.
import { defineCommand } from "citty";
import { approachesArg, STORING } from "./cli/flags.ts";
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
import { runAdvise } from "./experiments/advise.ts";
import { chooseTool } from "./load/load.ts";
import { decisionReport } from "./report/decision.ts";
import { renderHtml } from "./report/html.ts";
import { renderMarkdown } from "./report/markdown.ts";

const command = defineCommand({
  meta: {
    name: "npm run advise --",
    description:
      'Answer "do we need a database yet?" for one app: give its profile (--profile app.json, or the flags), and needadb measures what the decision needs on this machine and says which approach to use, why, and why each other one is ruled out.',
  },
  args: {
    ...PROFILE_FLAGS,
    quick: {
      type: "boolean",
      description: "short measurements: a few minutes for a small profile",
    },
    fresh: {
      type: "boolean",
      description: "measure again, even where --out holds matching results",
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
    const options = {
      profile,
      quick: Boolean(args.quick),
      fresh: Boolean(args.fresh),
      outDir: outDir(args.out, "advise-results"),
      workDir: workDir(args["work-dir"]),
      tool: chooseTool(args.tool, undefined),
      approaches: approachesArg(args.approaches, STORING),
      log,
    };
    const signal = interruptSignal("the decision from what finished");
    const advice = await runAdvise(options, signal);
    const report = decisionReport(advice);
    const md = renderMarkdown(report);
    const files = writeFiles(options.outDir, {
      "decision.json": `${JSON.stringify(advice, null, 2)}\n`,
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

if (import.meta.main) await runCli(command);
