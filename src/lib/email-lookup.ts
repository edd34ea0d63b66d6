// Looking users up by email, the course's second lookup field. Two ways, one file:
// - EmailIndex: a second in-memory index kept in step with the first, for the stores that
//   already hold every record in memory (the map stores) or choose to keep one (lsm);
// - scanForEmail: a scan of a file of user lines, for the stores that keep no index
//   (linear, binary): each lookup reads the whole file, and the course's point shows.
import { closeSync, existsSync, openSync } from "node:fs";
import { scanLines, scanLinesAsync } from "./files/jsonl.ts";
import { SteppedMap } from "./stepped-map.ts";
import type { User } from "./user.ts";

/**
 * email -> the values of its users (their JSON texts, or ids), in the order they were
 * added. Users are never changed or removed, so adding is the only upkeep.
 */
export class EmailIndex {
  /** As large as the users it indexes, so it grows in steps too (stepped-map.ts). */
  private readonly byEmail = new SteppedMap<string[]>();

  add(email: string, value: string): void {
    const list = this.byEmail.get(email);
    if (list) list.push(value);
    else this.byEmail.set(email, [value]);
  }

  find(email: string): readonly string[] {
    return this.byEmail.get(email) ?? [];
  }
}

/**
 * The lines of `path` whose user has exactly this email, without blocking the event loop.
 * A line is parsed only if it holds the email as JSON text, so most are skipped with a
 * byte search; the parse then checks that the text was the email and not part of a name.
 */
export async function scanForEmail(path: string, email: string): Promise<string[]> {
  const needle = Buffer.from(JSON.stringify(email));
  const found: string[] = [];
  await scanLinesAsync(path, (buf, begin, end) => {
    if (buf.subarray(begin, end).indexOf(needle) === -1) return;
    const text = buf.toString("utf8", begin, end);
    if ((JSON.parse(text) as User).email === email) found.push(text);
  });
  return found;
}

/**
 * Adds every user line of `path` to `index` as email -> id, reading it once, synchronously
 * (for a store's start-up). A missing file adds nothing.
 */
export function indexFileByEmail(path: string, index: EmailIndex): void {
  if (!existsSync(path)) return;
  const fd = openSync(path, "r");
  try {
    scanLines(fd, 0, (buf, begin, end) => {
      const user = JSON.parse(buf.toString("utf8", begin, end)) as User;
      index.add(user.email, user.id);
      return undefined;
    });
  } finally {
    closeSync(fd);
  }
}
