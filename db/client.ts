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
