import path from "node:path";
import { migrate } from "drizzle-orm/postgres-js/migrator";
import { openDb } from "./client";

const MIGRATIONS = path.join(process.cwd(), "db", "migrations");
// Any constant: serialises concurrent migrators (several app instances starting at once).
const MIGRATION_LOCK = 7_231_001;

/** Apply the committed drizzle-kit migrations (each in one transaction) under an advisory lock. */
export async function migrateDatabase(url: string): Promise<void> {
  const { sql, db } = openDb(url, 1);
  try {
    await sql`select pg_advisory_lock(${MIGRATION_LOCK})`;
    await migrate(db, { migrationsFolder: MIGRATIONS });
    await sql`select pg_advisory_unlock(${MIGRATION_LOCK})`;
  } finally {
    await sql.end();
  }
}
