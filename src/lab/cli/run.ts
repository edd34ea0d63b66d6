// What every lab command does alike around its experiment: name its output and scratch
// directories, stop cleanly on Ctrl-C, find other tools' newest results, and write its own.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { PROJECT_ROOT } from "../harness/paths.ts";

export const log = (message: string) => process.stderr.write(`${message}\n`);

/** --out, or `<dirName>/<time>` under the current directory. */
export function outDir(arg: string | undefined, dirName: string): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19);
  return resolve(arg ?? join(dirName, stamp));
}

/** --work-dir, or the lab's scratch directory in the project. */
export function workDir(arg: string | undefined): string {
  return resolve(arg ?? join(PROJECT_ROOT, ".bench-data"));
}

/** The help line of --work-dir. */
export const WORK_DIR_FLAG = {
  type: "string",
  description: "datasets and scratch; its filesystem is the one measured (default .bench-data)",
  valueHint: "DIR",
} as const;

/** The help line of --out. */
export function outFlag(dirName: string) {
  return {
    type: "string",
    description: `output directory (default ${dirName}/<time>)`,
    valueHint: "DIR",
  } as const;
}

/**
 * A signal that the first Ctrl-C (or SIGTERM) aborts, so the command can stop its servers
 * and write what finished; a second one exits at once.
 */
export function interruptSignal(whatIsKept: string): AbortSignal {
  const abort = new AbortController();
  const interrupt = (signal: NodeJS.Signals) => {
    if (abort.signal.aborted) process.exit(130);
    log(`\n${signal}: stopping; ${whatIsKept} will be written (again to quit at once)`);
    abort.abort();
  };
  process.on("SIGINT", interrupt);
  process.on("SIGTERM", interrupt);
  return abort.signal;
}

/** Writes `name: text` pairs into `out`; returns the paths written. */
export function writeFiles(out: string, files: Record<string, string>): string[] {
  mkdirSync(out, { recursive: true });
  return Object.entries(files).map(([name, text]) => {
    const path = join(out, name);
    writeFileSync(path, text);
    return path;
  });
}

/** Writes `<name>.json` and `<name>.md` into `out`, prints the Markdown, and says where. */
export function writeLabOutputs(
  out: string,
  name: string,
  results: unknown,
  md: string,
  inBench = true,
): void {
  const [json] = writeFiles(out, {
    [`${name}.json`]: `${JSON.stringify(results, null, 2)}\n`,
    [`${name}.md`]: md,
  });
  process.stdout.write(md);
  log(
    `wrote ${json} and ${name}.md${inBench ? "; npm run bench shows the newest in its report" : ""}`,
  );
}

/** The newest <dir>/<time>/<file> (such as crash-results/…/durability.json), if any. */
function newestLabFile(dirName: string, file: string): string | undefined {
  const dir = resolve(dirName);
  if (!existsSync(dir)) return undefined;
  const runs = readdirSync(dir)
    .filter((d) => existsSync(join(dir, d, file)))
    .sort();
  return runs.length ? join(dir, runs.at(-1) as string, file) : undefined;
}

/**
 * Another tool's results that a flag such as --durability names: the given file, the
 * newest in `dirName`, or none for 'none'. Parsed as JSON; the caller knows its shape.
 */
export function readLabFile<T>(
  arg: string | undefined,
  dirName: string,
  file: string,
): { file: string; results: T } | undefined {
  const path = arg === "none" ? undefined : (arg ?? newestLabFile(dirName, file));
  if (!path) return undefined;
  log(`${file} from ${path}`);
  return { file: path, results: JSON.parse(readFileSync(path, "utf8")) as T };
}
