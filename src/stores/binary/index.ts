// Approach 3: binary search on disk. users.sorted.jsonl holds the records sorted by id and
// users.idx holds one 58-byte entry per record, also sorted by id. A read is a binary search
// over the index with positional reads, then one read of the data line: memory stays small
// and start-up is instant, whatever the size of the data.
//
// Writes break the sort. Until the LSM store answers that properly, new records go to an
// unsorted tail file, users.tail.jsonl, which is kept in memory and checked first.

import { join } from "node:path";
import { scanForEmail } from "../../lib/email-lookup.ts";
import { SetAside } from "../../lib/files/set-aside.ts";
import { INDEX_FILE, SORTED_FILE, SortedFile, TAIL_FILE } from "../../lib/files/sorted-file.ts";
import { openUserLog } from "../../lib/files/user-log.ts";
import type { User } from "../../lib/user.ts";
import type { OpenStore, Simplicity } from "../_types.ts";

export const simplicity: Simplicity = "memory";

export const ordersUnsupported =
  "binary keeps no products: its files are sorted by user id and cannot take a stock change in place";

export const processes = {
  many: false,
  why: "each process keeps its own in-memory copy of the unsorted tail, so new users would be missing from the other processes",
};

export const files = [SORTED_FILE, INDEX_FILE];

export const open: OpenStore = ({ dataDir, log }) => {
  const sorted = SortedFile.open(join(dataDir, SORTED_FILE), join(dataDir, INDEX_FILE));
  const tail = new Map<string, string>();
  const tailFile = openUserLog(join(dataDir, TAIL_FILE), new SetAside(dataDir, log), (user, json) =>
    tail.set(user.id, json),
  );

  return {
    durability: {
      survives: "process-crash",
      claim: "Survives a process crash, not a power loss: tail appends are never fsynced.",
    },
    details: {
      email_lookup:
        "a scan of users.sorted.jsonl (sorted by id, so no help), then the tail in memory",
    },
    get: (id) => tail.get(id) ?? sorted?.find(id),
    // The files are sorted by id; an email could be anywhere. Keeping a second sorted index
    // in step with every write is what the LSM store's levels are for; binary scans.
    async findByEmail(email) {
      const found = await scanForEmail(join(dataDir, SORTED_FILE), email);
      for (const json of tail.values())
        if ((JSON.parse(json) as User).email === email) found.push(json);
      return found;
    },
    insert(user, json) {
      tailFile.append(json);
      tail.set(user.id, json);
    },
    count: () => (sorted?.entries ?? 0) + tail.size,
    fenced: () => tailFile.fenced(),
    orders: {
      unsupported: ordersUnsupported,
    },
    close() {
      sorted?.close();
      tailFile.close();
    },
  };
};
