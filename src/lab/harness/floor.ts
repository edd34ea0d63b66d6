// Each store's in-process floor (harness/floor-run.ts), on a fresh cell, in a child process
// of its own: a store's engine and its memory are then its own, as in a server.
import { spawn } from "node:child_process";
import { copyFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Approach } from "../../stores/index.ts";
import type { Floor } from "../results/bench.ts";
import { withCell } from "./cell.ts";
import { IDS_FILE } from "./seed.ts";

const FLOOR_ENTRY = fileURLToPath(new URL("./floor-run.ts", import.meta.url));
/** A floor that takes longer than this is stopped, and not reported. */
const FLOOR_TIMEOUT_MS = 120_000;
/** Each of the floor's timed rounds lasts this share of a cell's measured window. */
const ROUND_SHARE_OF_CELL = 0.25;

export async function measureFloor(
  o: {
    approach: Approach;
    dataset: string;
    dir: string;
    records: number;
    /** The bench's measured window per cell, in seconds. */
    durationS: number;
    log: (m: string) => void;
  },
  signal: AbortSignal,
): Promise<Floor> {
  return withCell(o, async ({ dir, env }) => {
    copyFileSync(join(o.dataset, IDS_FILE), join(dir, IDS_FILE));
    const child = spawn(process.execPath, [FLOOR_ENTRY], {
      env: {
        ...{ ...process.env, ...env, APPROACH: o.approach, DATA_DIR: dir },
        FLOOR_ROUND_MS: String(Math.round(o.durationS * 1000 * ROUND_SHARE_OF_CELL)),
      },
      stdio: ["ignore", "pipe", "pipe"],
      signal: AbortSignal.any([signal, AbortSignal.timeout(FLOOR_TIMEOUT_MS)]),
    });
    let out = "";
    let err = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (out += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (err += c));
    const code = await new Promise<number | null>((res, rej) => {
      child.on("error", rej);
      child.on("exit", res);
    });
    if (code !== 0)
      throw new Error(`the in-process floor of ${o.approach} failed (code ${code}): ${err.trim()}`);
    const m = JSON.parse(out) as Omit<Floor, "approach" | "records">;
    return { approach: o.approach, records: o.records, ...m };
  });
}
