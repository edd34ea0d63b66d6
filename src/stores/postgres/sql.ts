// What this store's SQL needs of a connection pool: pg's Pool has it, and so does the PGlite
// store's one in-process database (stores/pglite), which runs the same schema, seed loading,
// users and orders over it.
import type { User } from "../../lib/user.ts";

export type SqlQuery = string | { text: string; values?: unknown[]; name?: string };

export interface SqlResult<R> {
  rows: R[];
  rowCount: number | null;
}

export interface SqlClient {
  // biome-ignore lint/suspicious/noExplicitAny: rows are typed by each query, as pg's are
  query<R = any>(q: SqlQuery, values?: unknown[]): Promise<SqlResult<R>>;
}

/** A pool: queries, and a client held for one transaction. */
export interface SqlPool extends SqlClient {
  connect(): Promise<SqlClient & { release(): void }>;
}

type UserRow = { id: string; name: string; email: string; created_at: string };

/** Built in the API's field order, so the text matches what the 201 sent. */
const userJson = (u: UserRow) =>
  JSON.stringify({ id: u.id, name: u.name, email: u.email, created_at: u.created_at });

export const findUser = (id: string) => ({
  name: "find-user",
  text: "SELECT id, name, email, created_at FROM users WHERE id = $1",
  values: [id],
});

export const findByEmail = (email: string) => ({
  name: "find-users-by-email",
  text: "SELECT id, name, email, created_at FROM users WHERE email = $1 ORDER BY created_at, id",
  values: [email],
});

export const insertUser = (user: User) => ({
  name: "insert-user",
  text: "INSERT INTO users (id, name, email, created_at) VALUES ($1, $2, $3, $4)",
  values: [user.id, user.name, user.email, user.created_at],
});

/** The users table's reads, each through `read` (a replica, where there are some). */
export function usersOf(pool: SqlPool, read: <T>(q: (p: SqlClient) => Promise<T>) => Promise<T>) {
  return {
    get: (id: string) =>
      read(async (p) => (await p.query<UserRow>(findUser(id))).rows[0]).then(
        (u) => u && userJson(u),
      ),
    findByEmail: async (email: string) =>
      (await read((p) => p.query<UserRow>(findByEmail(email)))).rows.map(userJson),
    async count() {
      const { rows } = await pool.query<{ n: string }>("SELECT count(*) AS n FROM users");
      return Number(rows[0]?.n);
    },
  };
}

/** pg_settings' values of `names`. */
export async function settingsOf(
  pool: SqlClient,
  names: readonly string[],
): Promise<Record<string, string>> {
  const { rows } = await pool.query<{ name: string; setting: string }>(
    "SELECT name, setting FROM pg_settings WHERE name = ANY($1)",
    [names],
  );
  return Object.fromEntries(rows.map((r) => [r.name, r.setting]));
}
