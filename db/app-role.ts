import postgres from "postgres";
import { APP_ROLE } from "./client";

/**
 * Let the app role (`crowdfund_app`, made by migration 0012) log in with `password` on the server of
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
