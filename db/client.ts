import { drizzle, type PostgresJsDatabase } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { config } from "@/lib/config";
import * as schema from "./schema";

export type Db = PostgresJsDatabase<typeof schema>;

/** Open a pool + drizzle handle on a connection string. Callers own `sql.end()`. */
export function openDb(url: string, max = config().DATABASE_POOL_SIZE) {
  const sql = postgres(url, { max, onnotice: () => {}, connect_timeout: 10 });
  return { sql, db: drizzle(sql, { schema }) };
}

// One pool per process; kept on globalThis so `next dev` hot reloads reuse it.
const g = globalThis as unknown as { __cfDb?: ReturnType<typeof openDb> };

/** The process-wide database of the web app (DATABASE_URL, set by the launcher for the embedded default). */
export function db(): Db {
  if (!g.__cfDb) {
    const url = config().DATABASE_URL;
    if (!url) throw new Error("DATABASE_URL is not set: start the app with `npm start` (embedded PostgreSQL) or set it");
    g.__cfDb = openDb(url);
  }
  return g.__cfDb.db;
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
