// Approach 1: linear scan. The file is the only state. Every read walks users.jsonl from
// the top, line by line, until it meets the id, so a read costs O(records): the course's
// example of the approach that falls off a cliff as the data grows.

import { join } from "node:path";
import { scanForEmail } from "../../lib/email-lookup.ts";
import { scanLinesAsync } from "../../lib/files/jsonl.ts";
import { SetAside } from "../../lib/files/set-aside.ts";
import { openUserLog, USERS_FILE } from "../../lib/files/user-log.ts";
import type { User } from "../../lib/user.ts";
import type { OpenStore, Simplicity } from "../_types.ts";

// Every line our writers produce starts with the id, so most lines are rejected by comparing
// a few bytes instead of parsing them. A line in another key order is parsed in full.
const ID_PREFIX = Buffer.from('{"id":"');

export const simplicity: Simplicity = "file";

export const ordersUnsupported =
  "linear keeps no state to check stock against, short of scanning every order on every request";

export const processes = {
  many: false,
  why: "its record count is kept per process, and a process starting up may cut another's unfinished append as a torn line",
};

export const files = [USERS_FILE];

export const open: OpenStore = ({ dataDir, log }) => {
  let records = 0;
  const file = openUserLog(join(dataDir, USERS_FILE), new SetAside(dataDir, log), () => records++);

  return {
    durability: {
      survives: "process-crash",
      claim: "Survives a process crash, not a power loss: appends are never fsynced.",
    },
    details: { email_lookup: "a scan of users.jsonl, every line" },

    async get(id) {
      const wanted = Buffer.from(`${ID_PREFIX.toString()}${id}"`);
      let found: string | undefined;
      await scanLinesAsync(file.path, (buf, begin, end) => {
        const prefixed =
          buf.compare(ID_PREFIX, 0, ID_PREFIX.length, begin, begin + ID_PREFIX.length) === 0;
        if (prefixed && buf.compare(wanted, 0, wanted.length, begin, begin + wanted.length) !== 0) {
          return;
        }
        const text = buf.toString("utf8", begin, end);
        if (!prefixed && (JSON.parse(text) as User).id !== id) return;
        found = text;
        return true;
      });
      return found;
    },

    insert(_user, json) {
      file.append(json);
      records++;
    },

    // No index: like a read by id, a lookup by email walks the whole file.
    findByEmail: (email) => scanForEmail(file.path, email),

    count: () => records,
    fenced: () => file.fenced(),
    orders: {
      unsupported: ordersUnsupported,
    },
    close: () => file.close(),
  };
};
