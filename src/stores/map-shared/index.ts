// The in-memory map, made coherent across processes that share one users.jsonl. Every
// process appends to the same file and keeps its own Map of what it has read from it.
//
// Records are never changed once written, so a record a process finds in its Map is never
// stale. Only a miss can be: the user may have been created through another process a
// moment ago. So a miss first catches up on the file (one fstat, and a read of the new
// tail if it grew) and then looks again. Since a 201 is sent only after the append's
// write(2) has returned, and every process reads the same page cache, a user created
// anywhere is found everywhere from then on. The count catches up first as well.

import { join } from "node:path";
import { EmailIndex } from "../../lib/email-lookup.ts";
import { SetAside } from "../../lib/files/set-aside.ts";
import { SharedUserLog } from "../../lib/files/shared-log.ts";
import { USERS_FILE } from "../../lib/files/user-log.ts";
import { SteppedMap } from "../../lib/stepped-map.ts";
import type { OpenStore, Simplicity } from "../_types.ts";

export const simplicity: Simplicity = "own";

export const ordersUnsupported =
  "map-shared runs in several processes, and checking stock then taking it is two steps that another process can come between (an oversell); it has no lock across processes";

export const processes = {
  many: true,
  why: "every process appends to the one file and reads what the others appended before it answers a miss",
};

export const files = [USERS_FILE];

export const open: OpenStore = ({ dataDir, log }) => {
  const users = new SteppedMap<string>(); // see lib/stepped-map.ts
  const byEmail = new EmailIndex();
  // Every record this process learns of joins both indexes once. Catching up reads this
  // process's own appends again; those are in already.
  const file = new SharedUserLog(
    join(dataDir, USERS_FILE),
    new SetAside(dataDir, log),
    (user, json) => {
      if (users.has(user.id)) return;
      users.set(user.id, json);
      byEmail.add(user.email, json);
    },
  );
  let catchUps = 0;

  return {
    durability: {
      survives: "process-crash",
      claim:
        "Survives a process crash, not a power loss: the append is in the kernel's page cache, not on disk.",
    },
    get(id) {
      const json = users.get(id);
      if (json !== undefined) return json;
      catchUps++;
      file.catchUp();
      return users.get(id);
    },
    insert(user, json) {
      file.append(json);
      users.set(user.id, json);
      byEmail.add(user.email, json);
    },
    // Any answer could be missing a user another process just created, so every lookup
    // by email catches up first (one fstat when nothing is new).
    findByEmail(email) {
      file.catchUp();
      return byEmail.find(email);
    },
    count() {
      file.catchUp();
      return users.size;
    },
    orders: {
      unsupported: ordersUnsupported,
    },
    details: { email_lookup: "a second in-memory index, caught up on the shared file first" },
    stats: () => ({ catch_ups: catchUps }),
    fenced: () => file.fenced(),
    close: () => file.close(),
  };
};
