// What every lab command does alike: read whole-number flags, name its output directory,
// and stop cleanly on Ctrl-C.
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { chooseTool } from "./load.ts";
import { PROJECT_ROOT } from "./wrk.ts";

/** A flag that must be a whole number of at least `min`; `fallback` when it is absent. */
export function wholeArg(v: string | undefined, fallback: number, flag: string, min = 1): number {
  const n = v === undefined ? fallback : Number(v);
  if (!Number.isInteger(n) || n < min)
    throw new Error(`${flag} must be a whole number of at least ${min}, not "${v}"`);
  return n;
}

/** --out, or `<dirName>/<time>` under the current directory. */
export function outDir(arg: string | undefined, dirName: string): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19);
  return resolve(arg ?? join(dirName, stamp));
}

/** --work-dir, or the lab's scratch directory in the project. */
export function workDir(arg: string | undefined): string {
  return resolve(arg ?? join(PROJECT_ROOT, ".bench-data"));
}

/**
 * A signal that the first Ctrl-C (or SIGTERM) aborts, so the command can stop its servers
 * and write what finished; a second one exits at once.
 */
export function interruptSignal(whatIsKept: string): AbortSignal {
  const abort = new AbortController();
  const interrupt = () => {
    if (abort.signal.aborted) process.exit(130);
    process.stderr.write(`\nstopping; ${whatIsKept} will be written (again to quit at once)\n`);
    abort.abort();
  };
  process.on("SIGINT", interrupt);
  process.on("SIGTERM", interrupt);
  return abort.signal;
}

/** The flags of the two-server tools (contention, topology), which measure alike. */
export function pairArgs(resultsDir: string) {
  return {
    quick: { type: "boolean", description: "short runs on a small dataset (about a minute)" },
    records: {
      type: "string",
      description: "seeded records (default 10000; --quick 1000)",
      valueHint: "N",
    },
    duration: {
      type: "string",
      description: "seconds of load per measurement (default 5; --quick 2)",
      valueHint: "S",
    },
    connections: { type: "string", description: "total connections (default 32)", valueHint: "N" },
    tool: { type: "string", description: "wrk or autocannon (default wrk when installed)" },
    out: {
      type: "string",
      description: `output directory (default ${resultsDir}/<time>)`,
      valueHint: "DIR",
    },
    "work-dir": {
      type: "string",
      description: "datasets and scratch (default .bench-data)",
      valueHint: "DIR",
    },
  } as const;
}

/** The options pairArgs' flags give. */
export function pairOptions(args: {
  quick?: boolean;
  records?: string;
  duration?: string;
  connections?: string;
  tool?: string;
  "work-dir"?: string;
}) {
  const quick = Boolean(args.quick);
  return {
    records: wholeArg(args.records, quick ? 1_000 : 10_000, "--records"),
    durationS: wholeArg(args.duration, quick ? 2 : 5, "--duration"),
    connections: wholeArg(args.connections, 32, "--connections", 2),
    tool: chooseTool(args.tool, undefined),
    workDir: workDir(args["work-dir"]),
  };
}

/** Writes `<name>.json` and `<name>.md` into `out`, prints the Markdown, and says where. */
export function writeLabOutputs(out: string, name: string, results: unknown, md: string): void {
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, `${name}.json`), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(out, `${name}.md`), md);
  process.stdout.write(md);
  process.stderr.write(
    `wrote ${join(out, `${name}.json`)} and ${name}.md; npm run bench shows the newest in its report\n`,
  );
}
