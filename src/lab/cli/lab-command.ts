// The shape every lab tool but bench shares: its flags plus --out and --work-dir, Ctrl-C
// that stops the experiment and still writes what finished, and <name>.json with
// <name>.md from one report, then an exit code that says whether anything broke.
import { type ArgsDef, defineCommand, type ParsedArgs } from "citty";
import { renderHtml } from "../report/html.ts";
import { renderMarkdown } from "../report/markdown.ts";
import type { Report } from "../report/model.ts";
import { runCli } from "./main.ts";
import {
  interruptSignal,
  log,
  outDir,
  outFlag,
  WORK_DIR_FLAG,
  workDir,
  writeFiles,
  writeLabOutputs,
} from "./run.ts";

export interface LabContext {
  signal: AbortSignal;
  workDir: string;
  log: (m: string) => void;
}

export interface LabOutcome {
  /** The file names: `<name>.json` and `<name>.md`. */
  name: string;
  results: unknown;
  report: Report;
  /** 0 when all held; 1 when something broke or failed; 130 when interrupted. */
  exitCode: number;
}

export interface LabTool<A extends ArgsDef> {
  /** The npm script, such as "crash". */
  script: string;
  description: string;
  /** Where runs go by default: `<resultsDir>/<time>`. */
  resultsDir: string;
  /** What Ctrl-C still writes, such as "the finished trials". */
  kept: string;
  /** Whether `npm run bench` shows these results in its report. */
  inBench: boolean;
  /** Whether it also writes `<name>.html`, the report as a page. */
  html?: boolean;
  args: A;
  run(args: ParsedArgs<A>, lab: LabContext): Promise<LabOutcome>;
}

/** Runs the tool from the command line when `main` is true (the module is the entry point). */
export async function runLabTool<A extends ArgsDef>(tool: LabTool<A>, main: boolean) {
  const command = defineCommand({
    meta: { name: `npm run ${tool.script} --`, description: tool.description },
    args: { ...tool.args, out: outFlag(tool.resultsDir), "work-dir": WORK_DIR_FLAG },
    async run({ args }) {
      const out = outDir(args.out as string | undefined, tool.resultsDir);
      const lab = {
        workDir: workDir(args["work-dir"] as string | undefined),
        signal: interruptSignal(tool.kept),
        log,
      };
      const outcome = await tool.run(args as ParsedArgs<A>, lab);
      const md = renderMarkdown(outcome.report);
      writeLabOutputs(out, outcome.name, outcome.results, md, tool.inBench);
      if (tool.html) writeFiles(out, { [`${outcome.name}.html`]: renderHtml(outcome.report) });
      process.exitCode = outcome.exitCode;
    },
  });
  if (main) await runCli(command);
}
