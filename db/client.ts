import { drizzle, type PostgresJsDatabase } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import * as schema from "./schema";

export type Db = PostgresJsDatabase<typeof schema>;

/**
 * Open a pool of at most `max` connections + its drizzle handle on a connection string. Callers own
 * `sql.end()`. The web role's pool is built once by the composition root (lib/app, `db()`).
 */
export function openDb(url: string, max: number) {
  const sql = postgres(url, { max, onnotice: () => {}, connect_timeout: 10 });
  return { sql, db: drizzle(sql, { schema }) };
}

/**
 * Memoize `build` per database handle and configuration: what it builds (a payment
 * provider, a Stripe client and its connection pool) is made once, not per request.
 */
export function perDbAndConfig<C extends object, T>(build: (db: Db, c: C) => T): (db: Db, c: C) => T {
  const built = new WeakMap<Db, WeakMap<C, T>>();
  return (db, c) => {
    let byConfig = built.get(db);
    if (!byConfig) {
      byConfig = new WeakMap();
      built.set(db, byConfig);
    }
    let value = byConfig.get(c);
    if (value === undefined) {
      value = build(db, c);
      byConfig.set(c, value);
    }
    return value;
  };
}
