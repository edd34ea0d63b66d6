// Approach 2: the in-memory map. Start-up reads users.jsonl once into a Map; after that a
// read is one hash lookup and never touches the disk. Writes go to the file (the source of
// truth, so a restart rebuilds the map) and then to the map.
//
// The map holds each record's JSON line, not a parsed object: a read then answers with the
// text as it is. Measured at 1,000,000 records, that served ~10% more reads per second than
// keeping objects and serialising one per request.
import { join } from "node:path";
import { USERS_FILE, UserLog } from "../lib/user-log.ts";
import type { Durability, OpenStore, Store, StoreOptions } from "./_types.ts";

export interface MapStoreOptions {
  /** fsync after every append before acknowledging: the course's "JSONL with fsync". */
  fsyncEachWrite: boolean;
  durability: Durability;
}

export function openMapStore({ dataDir, log }: StoreOptions, opts: MapStoreOptions): Store {
  const users = new Map<string, string>();
  const file = UserLog.open(join(dataDir, USERS_FILE), log, (user, json) =>
    users.set(user.id, json),
  );

  return {
    durability: opts.durability,
    get: (id) => users.get(id),
    insert(user, json) {
      file.append(json);
      if (opts.fsyncEachWrite) file.sync();
      users.set(user.id, json);
    },
    count: () => users.size,
    close: () => file.close(),
  };
}

export const files = [USERS_FILE];

export const open: OpenStore = (options) =>
  openMapStore(options, {
    fsyncEachWrite: false,
    durability: {
      survives: "process-crash",
      claim:
        "Survives a process crash, not a power loss: the append is in the kernel's page cache, not on disk.",
    },
  });
