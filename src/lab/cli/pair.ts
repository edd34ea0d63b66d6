// The flags of the two-server tools (contention, topology), which measure alike.
import { chooseTool } from "../load/load.ts";
import { wholeArg } from "./flags.ts";

export function pairArgs() {
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
  } as const;
}

/** The options pairArgs' flags give. */
export function pairOptions(args: {
  quick?: boolean;
  records?: string;
  duration?: string;
  connections?: string;
  tool?: string;
}) {
  const quick = Boolean(args.quick);
  return {
    records: wholeArg(args.records, quick ? 1_000 : 10_000, "--records"),
    durationS: wholeArg(args.duration, quick ? 2 : 5, "--duration"),
    connections: wholeArg(args.connections, 32, "--connections", 2),
    tool: chooseTool(args.tool, undefined),
  };
}
