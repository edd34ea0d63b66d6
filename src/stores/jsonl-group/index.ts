// Group commit on the course's JSONL file: as honest as jsonl-fsync, close to as fast as the
// lying stores. A write is acknowledged only after an fsync that covers it, but writes that
// arrive while one fsync runs all share the next one: one write(2) and one fsync for the
// whole batch. No timer: a lone write on an idle server gets its own fsync straight away,
// and batches grow only as far as the load pushes them. See lib/group-commit.ts.
import type { OpenStore } from "../_types.ts";
import { openMapStore } from "../map/index.ts";

/** Records in one write+fsync (at most ~3 MB at the API's longest records). */
const MAX_BATCH_RECORDS = 1024;
/** Records waiting for the disk before new writes get 503 with Retry-After. */
const MAX_QUEUE_RECORDS = 16_384;

// The map store with another write policy: same files, same limits across processes.
export { files, processes, simplicity } from "../map/index.ts";

export const open: OpenStore = (options) =>
  openMapStore(options, {
    durableWrites: { maxBatch: MAX_BATCH_RECORDS, maxQueue: MAX_QUEUE_RECORDS },
    durability: {
      survives: "power-loss",
      claim:
        "Survives a power loss: each write is acknowledged after an fsync that covers it; writes that arrive during one fsync share the next.",
    },
  });
