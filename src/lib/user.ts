import { randomUUID } from "node:crypto";
import { v7 } from "uuid";

/** A user as the API returns it and every store keeps it. */
export interface User {
  id: string;
  name: string;
  email: string;
  created_at: string;
}

/**
 * Ids are UUIDs: 36 characters, lower-case hex in 8-4-4-4-12 groups. Version 4 (random), as
 * in the course, by default; version 7 (RFC 9562: the creation time in milliseconds, then
 * random bits) with USER_IDS=v7. A v7 id reveals when its user was created, and lands at the
 * end of a B-tree's id index rather than on a random leaf.
 */
export type IdVersion = "v4" | "v7";

export function idVersionFrom(env: Record<string, string | undefined>): IdVersion {
  const v = env.USER_IDS ?? "v4";
  if (v === "v4" || v === "v7") return v;
  throw new Error(
    `USER_IDS must be v4 (random ids, the default) or v7 (time-ordered ids), not "${v}"`,
  );
}
export const ID_LENGTH = 36;
const DASH = 45;

/** True for a well-formed id. Every GET by id asks, so it is a loop, not a regular expression. */
export function isId(value: string): boolean {
  if (value.length !== ID_LENGTH) return false;
  for (let i = 0; i < ID_LENGTH; i++) {
    const c = value.charCodeAt(i);
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (c !== DASH) return false;
    } else if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

/**
 * The one user the ceilings answer every read with: the `null` store, and the lab's bare
 * node:http server, which must answer the same bytes.
 */
export const FIXED_USER_JSON = JSON.stringify({
  id: "00000000-0000-4000-8000-000000000000",
  name: "Null User",
  email: "null@example.com",
  created_at: "2026-01-01T00:00:00.000Z",
});

/** Builds a new record. The stores persist it; none of them invents ids or timestamps. */
export function newUser(name: string, email: string, ids: IdVersion = "v4"): User {
  const id = ids === "v7" ? v7() : randomUUID();
  return { id, name, email, created_at: new Date().toISOString() };
}

/**
 * A cheap shape check for records read back from disk. Start-up runs it on every line
 * (a million at the course's largest size), so it checks types, not the API's rules.
 */
export function isUser(value: unknown): value is User {
  if (typeof value !== "object" || value === null) return false;
  const u = value as Record<string, unknown>;
  return (
    typeof u.id === "string" &&
    u.id.length === ID_LENGTH &&
    typeof u.name === "string" &&
    typeof u.email === "string" &&
    typeof u.created_at === "string"
  );
}

/**
 * Compares two users' JSON texts by created_at, oldest first, for lookups whose index is not
 * kept in the order users were created (the engines' email indexes are sorted by id).
 */
export function oldestFirst(a: string, b: string): number {
  const x = (JSON.parse(a) as User).created_at;
  const y = (JSON.parse(b) as User).created_at;
  return x < y ? -1 : x > y ? 1 : 0;
}
