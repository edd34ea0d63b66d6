// The course's "JSONL append, with fsync": the map store, where every write is fsynced on
// its own before its 201 goes out. Throughput is then capped by the disk's fsync latency.
//
// One difference from the course's writeSync + fsyncSync: the write and fsync run off the
// event loop, one at a time. Each record still gets its own fsync, never shared, but the
// next request is parsed while the disk flushes instead of after.
import type { OpenStore } from "../_types.ts";
import { openMapStore } from "../map/index.ts";

/** Writes waiting for their fsync before new ones get 503: far above any sane concurrency. */
const MAX_QUEUE_RECORDS = 10_000;

// The map store with another write policy: same files, same limits across processes.
export { files, processes, simplicity } from "../map/index.ts";

export const open: OpenStore = (options) =>
  openMapStore(options, {
    durableWrites: { maxBatch: 1, maxQueue: MAX_QUEUE_RECORDS },
    durability: {
      survives: "power-loss",
      claim: "Survives a power loss: each write is fsynced on its own before it is acknowledged.",
    },
  });
