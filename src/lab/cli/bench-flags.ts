// npm run bench's flags: their help, and the options they give, checked.
import { APPROACHES } from "../../stores/index.ts";
import { type BenchOptions, phaseDefaults } from "../experiments/bench.ts";
import { DEFAULT_SEED } from "../harness/seed.ts";
import { chooseTool } from "../load/load.ts";
import { checkAssumptions, DEFAULT_ASSUMPTIONS } from "../results/dau.ts";
import { WORKLOADS } from "../results/load.ts";
import { approachesArg, choicesArg, listArg, numberArg, wholeArg } from "./flags.ts";
import { log, outFlag, WORK_DIR_FLAG, workDir } from "./run.ts";

export const BENCH_ARGS = {
  quick: {
    type: "boolean",
    description: "1,000 and 100,000 records, short phases, 1 repeat (about 2 minutes)",
  },
  approaches: {
    type: "string",
    description: `comma-separated; default all: ${APPROACHES.join(",")}`,
    valueHint: "a,b",
  },
  workloads: {
    type: "string",
    description: "comma-separated from read,write,mixed; default all",
    valueHint: "w,w",
  },
  records: {
    type: "string",
    description: "dataset sizes, comma-separated (default 1000,1000000)",
    valueHint: "N,N",
  },
  repeat: {
    type: "string",
    description: "measure each cell this many times and report the median (default 3)",
    valueHint: "N",
  },
  duration: {
    type: "string",
    description: "seconds measured per cell (default 2; --quick 1)",
    valueHint: "S",
  },
  warmup: {
    type: "string",
    description:
      "least seconds of warm-up per cell, not measured; it goes on until the rate is steady (default 1)",
    valueHint: "S",
  },
  "warmup-max": {
    type: "string",
    description:
      "most seconds of warm-up per cell, steady or not; 0 skips the warm-up (default 30; --quick 10)",
    valueHint: "S",
  },
  connections: {
    type: "string",
    description: "concurrent connections (default 50, as in the course)",
    valueHint: "N",
  },
  threads: {
    type: "string",
    description: "wrk threads (default 1: the server needs the other core)",
    valueHint: "N",
  },
  inserts: {
    type: "string",
    description:
      "POST this many new users to each cell before its warm-up, on top of the seeded records (default 0)",
    valueHint: "N",
  },
  rate: {
    type: "string",
    description:
      "open model: a fixed arrival rate in requests/s, latency corrected for coordinated omission (uses autocannon)",
    valueHint: "N",
  },
  tool: {
    type: "string",
    description: "wrk or autocannon (default: wrk if installed)",
    valueHint: "NAME",
  },
  seed: { type: "string", description: `dataset seed (default ${DEFAULT_SEED})`, valueHint: "N" },
  out: outFlag("bench-results"),
  "work-dir": WORK_DIR_FLAG,
  compare: {
    type: "string",
    description: "an earlier results.json: print the change per cell after the run",
    valueHint: "OLD.json",
  },
  against: {
    type: "string",
    description: "with --compare: compare this results.json instead of running",
    valueHint: "NEW.json",
  },
  durability: {
    type: "string",
    description:
      "durability.json from npm run crash, shown as the measured durability column (default: the newest in crash-results/; 'none' for none)",
    valueHint: "FILE",
  },
  contention: {
    type: "string",
    description:
      "contention.json from npm run contention, shown in the report (default: the newest in contention-results/; 'none' for none)",
    valueHint: "FILE",
  },
  orders: {
    type: "string",
    description:
      "orders.json from npm run orders-check, shown in the report (default: the newest in orders-results/; 'none' for none)",
    valueHint: "FILE",
  },
  topology: {
    type: "string",
    description:
      "topology.json from npm run topology, shown in the report (default: the newest in topology-results/; 'none' for none)",
    valueHint: "FILE",
  },
  "requests-per-user": {
    type: "string",
    description: `DAU assumption: requests per user per day (default ${DEFAULT_ASSUMPTIONS.requestsPerUserPerDay})`,
    valueHint: "N",
  },
  "peak-factor": {
    type: "string",
    description: `DAU assumption: peak load over average (default ${DEFAULT_ASSUMPTIONS.peakFactor})`,
    valueHint: "N",
  },
  "write-share": {
    type: "string",
    description: `share of writes in the mixed workload and the DAU maths (default ${DEFAULT_ASSUMPTIONS.writeShare})`,
    valueHint: "F",
  },
  "user-ids": {
    type: "string",
    description:
      "new users' ids in every cell: v4 (random, as in the course; the default) or v7 (time-ordered)",
    valueHint: "v4|v7",
  },
  floor: {
    type: "boolean",
    default: true,
    description:
      "also measure each store in process, with no HTTP, at the largest size (--no-floor skips it)",
  },
  "target-dau": {
    type: "string",
    description: "daily active users the recommendation aims at (default 100000)",
    valueHint: "N",
  },
} as const;

export type Args = Record<string, unknown>;
export const str = (args: Args, name: string) => args[name] as string | undefined;

/** The options the flags give, checked. */
export function benchOptions(args: Args): BenchOptions & { targetDau: number } {
  const quick = Boolean(args.quick);
  const phases = phaseDefaults(quick);
  const rate = args.rate ? numberArg(str(args, "rate"), 0, "--rate", { min: 1 }) : undefined;
  const assumptions = {
    requestsPerUserPerDay: numberArg(
      str(args, "requests-per-user"),
      DEFAULT_ASSUMPTIONS.requestsPerUserPerDay,
      "--requests-per-user",
    ),
    peakFactor: numberArg(
      str(args, "peak-factor"),
      DEFAULT_ASSUMPTIONS.peakFactor,
      "--peak-factor",
    ),
    writeShare: numberArg(
      str(args, "write-share"),
      DEFAULT_ASSUMPTIONS.writeShare,
      "--write-share",
    ),
  };
  checkAssumptions(assumptions);
  const sizes =
    listArg(str(args, "records"), "--records") ??
    (quick ? ["1000", "100000"] : ["1000", "1000000"]);
  return {
    approaches: approachesArg(str(args, "approaches"), APPROACHES),
    workloads: choicesArg(str(args, "workloads"), WORKLOADS, WORKLOADS, "--workloads"),
    records: sizes.map((r) => wholeArg(r, 0, "--records")),
    repeat: wholeArg(str(args, "repeat"), phases.repeat, "--repeat"),
    durationS: wholeArg(str(args, "duration"), phases.durationS, "--duration"),
    warmupS: wholeArg(str(args, "warmup"), phases.warmupS, "--warmup", 0),
    warmupMaxS: wholeArg(str(args, "warmup-max"), phases.warmupMaxS, "--warmup-max", 0),
    warmupCompareMs: phases.warmupCompareMs,
    timeoutS: 10,
    connections: wholeArg(str(args, "connections"), 50, "--connections"),
    threads: wholeArg(str(args, "threads"), 1, "--threads"),
    rate,
    inserts: wholeArg(str(args, "inserts"), 0, "--inserts", 0),
    tool: chooseTool(str(args, "tool"), rate),
    seed: wholeArg(str(args, "seed"), DEFAULT_SEED, "--seed", 0),
    workDir: workDir(str(args, "work-dir")),
    assumptions,
    targetDau: wholeArg(str(args, "target-dau"), 100_000, "--target-dau"),
    floor: args.floor !== false,
    userIds: choicesArg(str(args, "user-ids"), ["v4", "v7"] as const, ["v4"], "--user-ids")[0],
    log,
  };
}
