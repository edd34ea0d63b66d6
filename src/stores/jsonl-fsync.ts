// The course's "JSONL append, with fsync": the map store, plus one fsync per write before
// the 201 goes out. Every acknowledged user is on disk, and every write pays a full device
// flush, so throughput is capped by the disk's fsync latency.
import { USERS_FILE } from "../lib/user-log.ts";
import type { OpenStore } from "./_types.ts";
import { openMapStore } from "./map.ts";

export const files = [USERS_FILE];

export const open: OpenStore = (options) =>
  openMapStore(options, {
    fsyncEachWrite: true,
    durability: {
      survives: "power-loss",
      claim: "Survives a power loss: each write is fsynced before it is acknowledged.",
    },
  });
