import { sql as q } from "drizzle-orm";
import postgres from "postgres";
import type { Config } from "@/lib/config";
import { APP_ROLE, type Db, type OpenDbOptions, openDb } from "./client";

/**
 * Where and as whom the app's own pools connect (docs/operations.md, "Database roles"): DATABASE_APP_URL
 * (a login that owns nothing) as itself when set; else `ownerUrl` (DATABASE_URL by default) acting as
 * `crowdfund_app` from the first query on. Only the migrator uses the owner's connection as is.
 * Throws when neither URL is set.
 */
export function appDatabase(
  c: Pick<Config, "DATABASE_APP_URL" | "DATABASE_URL">,
  ownerUrl?: string,
): { url: string } & OpenDbOptions {
  if (c.DATABASE_APP_URL) return { url: c.DATABASE_APP_URL };
  const url = ownerUrl ?? c.DATABASE_URL;
  if (!url) throw new Error("DATABASE_URL is not set: start the app with `npm start` (embedded PostgreSQL) or set it");
  return { url, role: APP_ROLE };
}

/** Open a pool of `max` connections on the app's connection of `c` (appDatabase); the caller ends it. */
export function openAppDb(c: Pick<Config, "DATABASE_APP_URL" | "DATABASE_URL">, max: number, ownerUrl?: string) {
  const { url, ...opts } = appDatabase(c, ownerUrl);
  return openDb(url, max, opts);
}

/**
 * Refuse to start when the app's connection could rewrite the ledger or the schema: a login that owns the
 * tables, is a superuser, or was granted UPDATE, DELETE or TRUNCATE on a ledger table (DATABASE_APP_URL
 * set to the owner's URL, or a grant too wide). Throws an Error naming the variable to fix
 * (docs/operations.md, "Database roles"; the rule: docs/security.md, "Least-privilege app role").
 * `npm start` checks before serving, every process again before starting its roles (lib/app/roles.ts).
 */
export async function assertLeastPrivilege(db: Db): Promise<void> {
  const rows = await db.execute<{ who: string; can_edit_ledger: boolean }>(q`
    select current_user as who,
      (select rolsuper from pg_roles where rolname = current_user)
      or pg_has_role(current_user, (select tableowner from pg_tables where schemaname = 'public' and tablename = 'ledger_lines'), 'USAGE')
      or has_table_privilege('public.ledger_lines', 'UPDATE, DELETE, TRUNCATE')
      or has_table_privilege('public.ledger_entries', 'UPDATE, DELETE, TRUNCATE')
      or has_table_privilege('public.ledger_accounts', 'UPDATE, DELETE, TRUNCATE') as can_edit_ledger`);
  const row = rows[0];
  if (row?.can_edit_ledger) {
    throw new Error(
      `the app's database role ${row.who} owns the tables or may change the ledger: set DATABASE_APP_URL to a login that is a member of crowdfund_app and owns nothing, or unset it (docs/operations.md, "Database roles")`,
    );
  }
}

/**
 * Let the app role (`crowdfund_app`, made by migration 0014) log in with `password` on the server of
 * `ownerUrl`, and return the app's connection string: `ownerUrl` with that user and password (same host,
 * port and database). For servers this project runs itself, the embedded default and the test suite's
 * (docs/operations.md, "Database roles"); on your own server you make the login yourself. Run after
 * the migrations; `ownerUrl` must be allowed to alter roles (the embedded `postgres` superuser is).
 * The role is one per server: every database on it shares this password.
 */
export async function enableAppLogin(ownerUrl: string, password: string): Promise<string> {
  const sql = postgres(ownerUrl, { max: 1, onnotice: () => {} });
  try {
    // A password is a literal in ALTER ROLE (no bind parameter there): quote it as one.
    await sql.unsafe(`alter role ${APP_ROLE} login password '${password.replaceAll("'", "''")}'`);
  } finally {
    await sql.end();
  }
  const u = new URL(ownerUrl);
  u.username = APP_ROLE;
  u.password = password; // the setter percent-encodes it
  return u.toString();
}
