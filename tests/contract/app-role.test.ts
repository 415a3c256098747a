/**
 * The app's least-privilege database role (migration 0014, docs/operations.md "Database roles"), on a fresh
 * migrated PostgreSQL database, both ways the app connects: its own login (DATABASE_APP_URL, what `npm start`
 * and the test suite use) and the owner's login acting as `crowdfund_app` (one connection string, as on
 * Vercel). What a SQL injection or a bug in the app could issue must fail: TRUNCATE, DROP TRIGGER, turning a
 * trigger off, UPDATE or DELETE of the ledger, any DDL. What the app does must keep working.
 */
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertLeastPrivilege, openAppDb } from "@/db/app-role";
import { APP_ROLE, type Db, openDb } from "@/db/client";
import { accounts, balance, postEntry } from "@/lib/ledger";
import { provisionDatabase, type TestDatabase } from "../support/env";
import { contributionEntry } from "../support/ledger";

const RUN = Date.now().toString(36);

const entry = (reference: string, amount: number) => contributionEntry(reference, `${RUN}-c`, amount);

describe("the app's database role", () => {
  let tdb: TestDatabase;
  let owner: postgres.Sql;
  const pools: { sql: postgres.Sql; db: Db }[] = [];

  beforeAll(async () => {
    tdb = await provisionDatabase("approle");
    owner = postgres(tdb.url, { max: 1, onnotice: () => {} });
  });

  afterAll(async () => {
    for (const p of pools) await p.sql.end();
    await owner?.end();
    await tdb?.drop();
  });

  const ways = [
    ["its own login (DATABASE_APP_URL)", () => openAppDb({ DATABASE_APP_URL: tdb.appUrl, DATABASE_URL: tdb.url }, 1)],
    ["the owner's login acting as crowdfund_app (one URL)", () => openAppDb({ DATABASE_URL: tdb.url }, 1)],
  ] as const;

  describe.each(ways)("as %s", (_, open) => {
    let app: { sql: postgres.Sql; db: Db };
    beforeAll(() => {
      app = open();
      pools.push(app);
    });

    it("is crowdfund_app, owns nothing and is no superuser", async () => {
      const [me] = await app.sql<{ who: string; superuser: boolean; owned: number }[]>`
        select current_user as who, (select rolsuper from pg_roles where rolname = current_user) as superuser,
          (select count(*)::int from pg_tables where schemaname = 'public' and tableowner = current_user) as owned`;
      expect(me).toEqual({ who: APP_ROLE, superuser: false, owned: 0 });
      await expect(assertLeastPrivilege(app.db)).resolves.toBeUndefined();
    });

    it("posts ledger entries and reads balances, as the app does", async () => {
      const ref = `${RUN}-${Math.random().toString(36).slice(2)}`;
      const before = await balance(app.db, accounts.campaignCollected(`${RUN}-c`), "USD");
      expect(await app.db.transaction((tx) => postEntry(tx as unknown as Db, entry(ref, 250)))).toBe(true);
      expect(await balance(app.db, accounts.campaignCollected(`${RUN}-c`), "USD")).toBe(before - 250);
    });

    it.each([
      ["TRUNCATE ledger_lines", "truncate ledger_lines", /permission denied/],
      ["TRUNCATE … CASCADE", "truncate ledger_entries cascade", /permission denied/],
      ["UPDATE ledger_lines", "update ledger_lines set amount = amount + 1", /permission denied/],
      ["DELETE FROM ledger_entries", "delete from ledger_entries", /permission denied/],
      ["UPDATE ledger_accounts", "update ledger_accounts set owner = 'someone else'", /permission denied/],
      ["DROP TRIGGER", "drop trigger ledger_lines_append_only on ledger_lines", /must be owner/],
      ["DISABLE TRIGGER", "alter table ledger_lines disable trigger ledger_lines_balanced", /must be owner/],
      ["DROP TABLE", "drop table contributions", /must be owner/],
      ["CREATE TABLE in public", "create table public.x (id int)", /permission denied for schema public/],
      [
        "CREATE FUNCTION in public",
        "create function public.f() returns int language sql as 'select 1'",
        /permission denied for schema public/,
      ],
      ["TRUNCATE of an app table", "truncate idempotency_keys", /permission denied/],
    ])("refuses %s", async (_, statement, refusal) => {
      const lines = await owner`select count(*)::int as n, coalesce(sum(amount), 0)::bigint as total from ledger_lines`;
      await expect(app.sql.unsafe(statement)).rejects.toThrow(refusal);
      expect(await owner`select count(*)::int as n, coalesce(sum(amount), 0)::bigint as total from ledger_lines`).toEqual(lines);
      const [trigger] = await owner`select tgenabled from pg_trigger where tgname = 'ledger_lines_append_only'`;
      expect(trigger?.tgenabled).toBe("O");
    });
  });

  it("its own login cannot SET ROLE back to the owner", async () => {
    const app = openAppDb({ DATABASE_APP_URL: tdb.appUrl, DATABASE_URL: tdb.url }, 1);
    pools.push(app);
    await expect(app.sql`set role postgres`).rejects.toThrow(/permission denied to set role/);
  });

  it("the one-URL mode's limit: a session logged in as the owner can SET ROLE back (why DATABASE_APP_URL is stronger)", async () => {
    const app = openAppDb({ DATABASE_URL: tdb.url }, 1);
    pools.push(app);
    await app.sql`set role postgres`;
    const [me] = await app.sql<{ who: string }[]>`select current_user as who`;
    expect(me?.who).toBe("postgres");
  });

  it("holds exactly: SELECT and INSERT on the ledger and the admin audit log, SELECT/INSERT/UPDATE/DELETE on every other table, no TRUNCATE, nothing on a partition", async () => {
    const rows = await owner<{ table: string; partition: boolean; privileges: string }[]>`
      select c.relname as table, c.relispartition as partition,
        concat_ws(',',
          case when has_table_privilege(${APP_ROLE}, c.oid, 'SELECT') then 'SELECT' end,
          case when has_table_privilege(${APP_ROLE}, c.oid, 'INSERT') then 'INSERT' end,
          case when has_table_privilege(${APP_ROLE}, c.oid, 'UPDATE') then 'UPDATE' end,
          case when has_table_privilege(${APP_ROLE}, c.oid, 'DELETE') then 'DELETE' end,
          case when has_table_privilege(${APP_ROLE}, c.oid, 'TRUNCATE') then 'TRUNCATE' end,
          case when has_table_privilege(${APP_ROLE}, c.oid, 'TRIGGER') then 'TRIGGER' end,
          case when has_table_privilege(${APP_ROLE}, c.oid, 'REFERENCES') then 'REFERENCES' end) as privileges
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relkind in ('r', 'p') order by 1`;
    expect(rows.length).toBeGreaterThan(20);
    expect(rows.filter((r) => r.partition).length).toBeGreaterThan(4);
    for (const r of rows) {
      expect(`${r.table}: ${r.privileges}`).toBe(
        // Append-only for the app: the ledger (migration 0014) and the admin audit log (migration 0016). A partition
        // (migration 0018) grants nothing: the app reaches its rows through the parent, whose rights are checked.
        // Ledger marks (migration 0017): taken by a SECURITY DEFINER function, old ones dropped, and only their
        // complete_at set (a column grant).
        `${r.table}: ${r.partition ? "" : r.table === "ledger_marks" ? "SELECT,DELETE" : r.table.startsWith("ledger_") || r.table === "admin_audit_log" ? "SELECT,INSERT" : "SELECT,INSERT,UPDATE,DELETE"}`,
      );
    }
  });

  it("a connection that could rewrite the ledger is refused at start (DATABASE_APP_URL set to the owner's)", async () => {
    const wrong = openDb(tdb.url, 1);
    pools.push(wrong);
    await expect(assertLeastPrivilege(wrong.db)).rejects.toThrow(/may change the ledger: set DATABASE_APP_URL/);
  });
});
