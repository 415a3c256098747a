import postgres from "postgres";
import { type AppServer, provisionDatabase, startApp, type TestDatabase } from "./env";
import { tokenFor } from "./http";

/** A test file's own world: a fresh database, the app on it, a SQL handle, the demo users' API tokens. */
export interface OwnApp {
  tdb: TestDatabase;
  app: AppServer;
  sql: postgres.Sql;
  alice: string;
  bob: string;
  /** carol is the demo admin. */
  carol: string;
  /** Close the SQL handle, stop the app, drop the database. */
  stop(): Promise<void>;
}

/**
 * A fresh database named after `label` and the real app started on it with `env`, for files whose runs must
 * see only their own campaigns (payout runs, audits). Whatever started is undone if a later step fails.
 */
export async function startOwnApp(label: string, env: Record<string, string>): Promise<OwnApp> {
  const tdb = await provisionDatabase(label);
  let app: AppServer | undefined;
  let sql: postgres.Sql | undefined;
  const stop = async () => {
    await sql?.end();
    await app?.stop();
    await tdb.drop();
  };
  try {
    app = await startApp(tdb.url, env);
    sql = postgres(tdb.url, { max: 2, onnotice: () => {} });
    const [alice, bob, carol] = await Promise.all(["alice", "bob", "carol"].map((u) => tokenFor(`${u}@example.com`, tdb.url)));
    return { tdb, app, sql, alice: alice as string, bob: bob as string, carol: carol as string, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
