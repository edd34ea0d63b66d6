// PGlite (PostgreSQL compiled to WASM, npm @electric-sql/pglite) as a pool for the
// PostgreSQL store's SQL: one database in this process, one query at a time. A client holds
// it for a whole transaction, so that no other request's query lands inside one.
import { PGlite } from "@electric-sql/pglite";
import type { SqlClient, SqlPool, SqlQuery } from "../postgres/sql.ts";

/** Its cluster's directory, under DATA_DIR. */
export const PGLITE_DIR = "pglite";

export interface PglitePool extends SqlPool {
  end(): Promise<void>;
}

/** Opens (or creates) the database in `dir`, with PGlite's defaults, as a pool of one. */
export async function openPglite(dir: string): Promise<PglitePool> {
  const db = await PGlite.create(dir);
  let turn: Promise<unknown> = Promise.resolve();
  /** Runs `fn` once every earlier one has finished: one holder of the database at a time. */
  const inTurn = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = turn.then(fn);
    turn = run.catch(() => {});
    return run;
  };
  const run: SqlClient["query"] = async (q: SqlQuery, values?: unknown[]) => {
    const text = typeof q === "string" ? q : q.text;
    const params = typeof q === "string" ? values : (q.values ?? values);
    // With no parameters, as pg does, the simple protocol, which takes several statements
    // (a migration); its answer is the last statement's.
    const r = params?.length
      ? await db.query(text, params as unknown[])
      : ((await db.exec(text)).at(-1) ?? { rows: [], affectedRows: 0 });
    // pg's rowCount: the rows a SELECT returned, or the rows a write changed.
    return { rows: r.rows as never[], rowCount: r.rows.length || (r.affectedRows ?? 0) };
  };
  return {
    query: (q, values) => inTurn(() => run(q, values)),
    connect: () =>
      new Promise((taken) => {
        void inTurn(
          () => new Promise<void>((release) => taken({ query: run, release: () => release() })),
        );
      }),
    end: () => inTurn(() => db.close()),
  };
}
