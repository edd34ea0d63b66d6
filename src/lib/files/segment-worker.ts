// The LSM store's worker thread: writes and merges segments off the event loop. Segment
// files are immutable once named, so reading the inputs here while the main thread serves
// lookups from them is safe.
import { parentPort } from "node:worker_threads";
import { runJob } from "./lsm-segment.ts";

parentPort?.on("message", ({ id, job }: { id: number; job: Parameters<typeof runJob>[0] }) => {
  try {
    parentPort?.postMessage({ id, entries: runJob(job) });
  } catch (err) {
    // The code (ENOSPC, EIO) goes too: the store decides from it whether to retry.
    const { message, code } = err as NodeJS.ErrnoException;
    parentPort?.postMessage({ id, error: message, code });
  }
});
