// Approach 2: the in-memory map. Start-up reads users.jsonl once into a Map; after that a
// read is one hash lookup and never touches the disk. Writes go to the file (the source of
// truth, so a restart rebuilds the map) and then to the map.
//
// The map holds each record's JSON line, not a parsed object: a read then answers with the
// text as it is. Measured at 1,000,000 records, that served ~10% more reads per second than
// keeping objects and serialising one per request.
import { join } from "node:path";
import { EmailIndex } from "../../lib/email-lookup.ts";
import { SetAside } from "../../lib/files/set-aside.ts";
import { openUserLog, USERS_FILE } from "../../lib/files/user-log.ts";
import type { GroupCommitLimits } from "../../lib/group-commit.ts";
import { ORDERS_FILE, openMemoryOrderBook } from "../../lib/memory-orders.ts";
import { PRODUCTS_FILE } from "../../lib/order.ts";
import { SteppedMap } from "../../lib/stepped-map.ts";
import type { Durability, OpenStore, Simplicity, Store, StoreOptions } from "../_types.ts";

export interface MapStoreOptions {
  /**
   * How a write reaches the disk. Without limits it is appended to the page cache and
   * acknowledged at once; with them it is acknowledged only after an fsync that covers it
   * (batches of 1: the course's "JSONL with fsync"; larger batches: group commit).
   */
  durableWrites?: Omit<GroupCommitLimits, "start">;
  durability: Durability;
}

export function openMapStore({ dataDir, log }: StoreOptions, opts: MapStoreOptions): Store {
  // Grows in small steps: a plain Map rebuilds itself whole at each doubling (lib/stepped-map.ts).
  const users = new SteppedMap<string>();
  // The second lookup field: a second index, kept in step with the first at every write.
  const byEmail = new EmailIndex();
  const aside = new SetAside(dataDir, log);
  const file = openUserLog(join(dataDir, USERS_FILE), aside, (user, json) => {
    users.set(user.id, json);
    byEmail.add(user.email, json);
  });
  const appender = opts.durableWrites && file.durableAppender(opts.durableWrites);
  // Orders are as durable as users: the same acknowledgement policy, on their own log.
  const orders = openMemoryOrderBook(dataDir, aside, (id) => users.has(id), opts.durableWrites);

  return {
    durability: opts.durability,
    details: { email_lookup: "a second in-memory index (email -> users), kept in step" },
    get: (id) => users.get(id),
    insert: appender
      ? async (user, json) => {
          await appender.submit(json);
          users.set(user.id, json);
          byEmail.add(user.email, json);
        }
      : (user, json) => {
          file.append(json);
          users.set(user.id, json);
          byEmail.add(user.email, json);
        },
    findByEmail: (email) => byEmail.find(email),
    count: () => users.size,
    fenced: () => file.fenced() ?? orders.fenced(),
    orders,
    ...(appender ? { stats: () => appender.report() } : {}),
    async close() {
      await appender?.drain();
      await orders.close();
      file.close();
    },
  };
}

export const simplicity: Simplicity = "memory";

export const processes = {
  many: false,
  why: "each process would keep its own in-memory copy, so a user created through one process would be missing from the others",
};

export const files = [USERS_FILE, PRODUCTS_FILE, ORDERS_FILE];

export const open: OpenStore = (options) =>
  openMapStore(options, {
    durability: {
      survives: "process-crash",
      claim:
        "Survives a process crash, not a power loss: the append is in the kernel's page cache, not on disk.",
    },
  });
