/**
 * The ledger's integrity as the database itself enforces it (invariant 2 of docs/architecture.md,
 * migrations 0002, 0013 and 0019), on a fresh migrated PostgreSQL database, every attack issued as plain SQL by
 * the database owner (the migrations' user): what a bug, a hand at psql or an injected statement would
 * try. Each attack must fail and leave the books exactly as they were; the app's own way of posting
 * (lib/ledger) must keep working beside it.
 */
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Db, openDb } from "@/db/client";
import { accounts, balance, postEntries, postEntry } from "@/lib/ledger";
import { auditLedger } from "@/lib/ledger/audit";
import { provisionDatabase, type TestDatabase } from "../support/env";
import { contributionEntry } from "../support/ledger";

const RUN = Date.now().toString(36);

describe("ledger integrity in the database", () => {
  let tdb: TestDatabase;
  let handle: ReturnType<typeof openDb>;
  let sql: postgres.Sql;
  let db: Db;
  const campaignA = `${RUN}-campaign-a`;
  const campaignB = `${RUN}-campaign-b`;

  /** Every line and account as it stands, to compare before and after an attack. */
  const books = async () => ({
    lines: await sql`select id, entry_id, account_id, amount, currency from ledger_lines order by id`,
    entries: await sql`select id, kind, reference, provider from ledger_entries order by id`,
    accounts: await sql`select id, kind, owner, currency from ledger_accounts order by id`,
  });

  beforeAll(async () => {
    tdb = await provisionDatabase("ledger");
    handle = openDb(tdb.url, 2);
    db = handle.db;
    sql = postgres(tdb.url, { max: 2, onnotice: () => {} });
    await db.transaction((tx) => postEntry(tx as unknown as Db, contributionEntry(`${RUN}-1`, campaignA, 5000)));
    await db.transaction((tx) => postEntry(tx as unknown as Db, contributionEntry(`${RUN}-2`, campaignB, 700)));
  });

  afterAll(async () => {
    await sql?.end();
    await handle?.sql.end();
    await tdb?.drop();
  });

  it.each(["ledger_lines", "ledger_entries", "ledger_accounts"])("refuses TRUNCATE of %s (also with CASCADE)", async (table) => {
    const before = await books();
    // Alone, entries and accounts were already kept by the lines' foreign keys; with CASCADE (or all three
    // named) nothing stopped it.
    await expect(sql.unsafe(`truncate ${table}`)).rejects.toThrow(/append-only \(TRUNCATE on|referenced in a foreign key/);
    await expect(sql.unsafe(`truncate ${table} cascade`)).rejects.toThrow(/append-only \(TRUNCATE on/);
    expect(await books()).toEqual(before);
  });

  it("refuses TRUNCATE of the three ledger tables at once", async () => {
    const before = await books();
    // With the checkpoint tables that reference accounts (migration 0017), or PostgreSQL refuses it for their foreign
    // key before the ledger's own trigger is asked.
    await expect(sql`truncate ledger_lines, ledger_entries, ledger_accounts, ledger_checkpoints, ledger_marks`).rejects.toThrow(
      /append-only \(TRUNCATE on/,
    );
    expect(await books()).toEqual(before);
  });

  it("refuses changing an account's owner, currency or kind, which would move every line posted to it", async () => {
    const before = await books();
    const [a] = await sql<
      { id: string }[]
    >`select id from ledger_accounts where kind = 'campaign_collected' and owner = ${campaignA}`;
    const id = a?.id as string;
    await expect(sql`update ledger_accounts set owner = ${campaignB} where id = ${id}`).rejects.toThrow(
      /append-only \(UPDATE on ledger_accounts/,
    );
    await expect(sql`update ledger_accounts set currency = 'EUR' where id = ${id}`).rejects.toThrow(/append-only/);
    await expect(sql`update ledger_accounts set kind = 'platform_fees' where id = ${id}`).rejects.toThrow(/append-only/);
    expect(await books()).toEqual(before);
    expect(await balance(db, accounts.campaignCollected(campaignA), "USD")).toBe(-5000);
  });

  it("refuses deleting an account, with or without lines", async () => {
    const before = await books();
    await expect(sql`delete from ledger_accounts where owner = ${campaignA}`).rejects.toThrow(
      /append-only \(DELETE on ledger_accounts/,
    );
    // One with no line yet (made by hand: the app makes accounts only with the lines that need them).
    await sql`insert into ledger_accounts (id, kind, owner, currency) values (gen_random_uuid(), 'campaign_collected', ${`${RUN}-empty`}, 'USD')`;
    await expect(sql`delete from ledger_accounts where owner = ${`${RUN}-empty`}`).rejects.toThrow(/append-only/);
    const after = await books();
    expect(after.lines).toEqual(before.lines);
    expect(after.accounts).toHaveLength(before.accounts.length + 1);
  });

  it("refuses new lines on an entry posted by an earlier transaction, even a balanced pair", async () => {
    const before = await books();
    const [e] = await sql<{ id: string }[]>`select id from ledger_entries where reference = ${`${RUN}-1`}`;
    const [a] = await sql<
      { id: string }[]
    >`select id from ledger_accounts where kind = 'campaign_collected' and owner = ${campaignA}`;
    const [b] = await sql<
      { id: string }[]
    >`select id from ledger_accounts where kind = 'campaign_collected' and owner = ${campaignB}`;
    // Campaign A's 1000 handed to campaign B under an old contribution's reference: it sums to zero, so the
    // balance check alone lets it through.
    const move = sql.begin(async (tx) => {
      await tx`insert into ledger_lines (entry_id, account_id, amount, currency) values
        (${e?.id as string}, ${a?.id as string}, 1000, 'USD'), (${e?.id as string}, ${b?.id as string}, -1000, 'USD')`;
    });
    await expect(move).rejects.toThrow(/ledger entry .* is posted/);
    expect(await books()).toEqual(before);
    expect(await balance(db, accounts.campaignCollected(campaignA), "USD")).toBe(-5000);
    expect(await balance(db, accounts.campaignCollected(campaignB), "USD")).toBe(-700);
  });

  it("refuses a line on a posted entry even outside an explicit transaction", async () => {
    const [e] = await sql<{ id: string }[]>`select id from ledger_entries where reference = ${`${RUN}-2`}`;
    const [a] = await sql<
      { id: string }[]
    >`select id from ledger_accounts where kind = 'campaign_collected' and owner = ${campaignB}`;
    await expect(
      sql`insert into ledger_lines (entry_id, account_id, amount, currency) values (${e?.id as string}, ${a?.id as string}, -1, 'USD')`,
    ).rejects.toThrow(/is posted/);
  });

  /** A fresh entry of `provider` by the owner, in `tx`, and the IDs of campaign A's account and `provider`'s clearing. */
  const openEntry = async (tx: postgres.TransactionSql, provider = "sandbox") => {
    const [e] = await tx<{ id: string }[]>`
      insert into ledger_entries (id, kind, reference, description, provider)
      values (gen_random_uuid(), 'test', gen_random_uuid()::text, 'attack', ${provider}) returning id`;
    const [a] = await tx<{ id: string }[]>`
      select id from ledger_accounts where kind = 'campaign_collected' and owner = ${campaignA}`;
    const [c] = await tx<{ id: string }[]>`
      select id from ledger_accounts where kind = 'provider_clearing' and owner = 'sandbox'`;
    return { entry: e?.id as string, campaign: a?.id as string, clearing: c?.id as string };
  };
  const pgError = async (p: Promise<unknown>) => {
    try {
      await p;
    } catch (err) {
      return err as { code?: string; message: string };
    }
    throw new Error("the statement was accepted");
  };

  it("refuses an entry whose lines do not balance, and halves that balance only together (0019: per statement)", async () => {
    const before = await books();
    const unbalanced = await pgError(
      sql.begin(async (tx) => {
        const { entry, campaign, clearing } = await openEntry(tx);
        await tx`insert into ledger_lines (entry_id, account_id, amount, currency)
          values (${entry}, ${clearing}, 100, 'USD'), (${entry}, ${campaign}, -99, 'USD')`;
      }),
    );
    expect(unbalanced.code).toBe("23514");
    expect(unbalanced.message).toMatch(/does not balance in USD: .* sum to 1$/);
    // Each statement's lines must balance: two halves that sum to zero only together are refused at the first.
    const halves = await pgError(
      sql.begin(async (tx) => {
        const { entry, campaign, clearing } = await openEntry(tx);
        await tx`insert into ledger_lines (entry_id, account_id, amount, currency) values (${entry}, ${clearing}, 100, 'USD')`;
        await tx`insert into ledger_lines (entry_id, account_id, amount, currency) values (${entry}, ${campaign}, -100, 'USD')`;
      }),
    );
    expect(halves.code).toBe("23514");
    expect(await books()).toEqual(before);
    // Two statements each balanced make a balanced entry: accepted (here a charge and its reversal, so that the
    // balances the later tests expect stay as they are).
    const accepted = await sql.begin(async (tx) => {
      const { entry, campaign, clearing } = await openEntry(tx);
      await tx`insert into ledger_lines (entry_id, account_id, amount, currency)
        values (${entry}, ${clearing}, 3, 'USD'), (${entry}, ${campaign}, -3, 'USD')`;
      await tx`insert into ledger_lines (entry_id, account_id, amount, currency)
        values (${entry}, ${clearing}, -3, 'USD'), (${entry}, ${campaign}, 3, 'USD')`;
      return entry;
    });
    const [{ n } = { n: 0 }] = await sql<
      { n: number }[]
    >`select count(*)::int as n from ledger_lines where entry_id = ${accepted}`;
    expect(n).toBe(4);
  });

  it("refuses a line in another currency than its account's, and one on a provider's account in another provider's entry", async () => {
    const before = await books();
    const currency = await pgError(
      sql.begin(async (tx) => {
        const { entry, campaign, clearing } = await openEntry(tx);
        await tx`insert into ledger_lines (entry_id, account_id, amount, currency)
          values (${entry}, ${clearing}, 100, 'EUR'), (${entry}, ${campaign}, -100, 'EUR')`;
      }),
    );
    expect(currency.code).toBe("23514");
    expect(currency.message).toMatch(/currency EUR differs from its account's \(USD\)/);
    const provider = await pgError(
      sql.begin(async (tx) => {
        const { entry, campaign, clearing } = await openEntry(tx, "stripe");
        await tx`insert into ledger_lines (entry_id, account_id, amount, currency)
          values (${entry}, ${clearing}, 100, 'USD'), (${entry}, ${campaign}, -100, 'USD')`;
      }),
    );
    expect(provider.code).toBe("23514");
    expect(provider.message).toMatch(/provider_clearing of provider sandbox in an entry of provider stripe/);
    expect(await books()).toEqual(before);
  });

  it("checks lines written straight into a partition, also one made after the migrations", async () => {
    const before = await books();
    await sql`select * from ensure_time_partitions(6)`;
    // Each partition with an entry ID inside its range: its lower bound (DEFAULT: a v4 ID, outside every month).
    const parts = await sql<{ name: string; lower: string | null }[]>`
      select c.relname as name,
             substring(pg_get_expr(c.relpartbound, c.oid) from 'FROM [(]''([0-9a-f-]+)''[)]') as lower
      from pg_inherits i join pg_class c on c.oid = i.inhrelid
      where i.inhparent = 'ledger_lines'::regclass order by 1`;
    expect(parts.length).toBeGreaterThan(6);
    for (const { name, lower } of parts) {
      const e = await pgError(
        sql.begin(async (tx) => {
          const { campaign, clearing } = await openEntry(tx);
          const entry = lower ?? crypto.randomUUID();
          await tx`insert into ledger_entries (id, kind, reference, description, provider)
            values (${entry}, 'test', ${`${name}-direct`}, 'attack', 'sandbox')`;
          await tx.unsafe(
            `insert into "${name}" (entry_id, account_id, amount, currency) values ($1, $2, 9, 'USD'), ($1, $3, -8, 'USD')`,
            [entry, clearing, campaign],
          );
        }),
      );
      expect(`${name}: ${e.message}`).toMatch(new RegExp(`^${name}: ledger entry .* does not balance in USD`));
    }
    expect(await books()).toEqual(before);
  });

  it("keeps its checks when the app role shadows the ledger tables with temporary ones (0019: search paths, no TEMP)", async () => {
    const before = await books();
    // The database refuses the app role temporary tables at all.
    const temp = await pgError(
      sql.begin(async (tx) => {
        await tx`set local role crowdfund_app`;
        await tx`create temp table ledger_entries (id uuid, provider text)`;
      }),
    );
    expect(temp.code).toBe("42501");
    // And where a role may make them, the checks still read the real tables: a posted entry stays closed and a
    // line keeps its account's currency. (The grant is this test database's only; it is taken back below.)
    await sql`grant temporary on database ${sql(new URL(tdb.url).pathname.slice(1))} to crowdfund_app`;
    try {
      const [posted] = await sql<{ id: string }[]>`select id from ledger_entries where reference = ${`${RUN}-1`}`;
      const shadowed = await pgError(
        sql.begin(async (tx) => {
          await tx`set local role crowdfund_app`;
          const { campaign, clearing } = await openEntry(tx);
          await tx`create temp table ledger_entries (id uuid, provider text) on commit drop`;
          await tx`create temp table ledger_accounts (id uuid, kind text, owner text, currency char(3)) on commit drop`;
          await tx`create temp sequence ledger_lines_id_seq`;
          await tx`insert into pg_temp.ledger_entries select id, 'sandbox' from public.ledger_entries`;
          await tx`insert into pg_temp.ledger_accounts select id, kind::text, 'sandbox', 'EUR' from public.ledger_accounts`;
          await tx`insert into ledger_lines (entry_id, account_id, amount, currency)
            values (${posted?.id as string}, ${clearing}, 500, 'EUR'), (${posted?.id as string}, ${campaign}, -500, 'EUR')`;
        }),
      );
      expect(shadowed.code).toBe("23514");
      expect(shadowed.message).toMatch(/currency EUR differs from its account's \(USD\)/);
    } finally {
      await sql`revoke temporary on database ${sql(new URL(tdb.url).pathname.slice(1))} from crowdfund_app`;
    }
    expect(await books()).toEqual(before);
  });

  it("refuses a line whose explicit ID is at or below a ledger mark taken before (the checkpoints would never count it)", async () => {
    const before = await books();
    await sql`select take_ledger_mark()`;
    const [{ upto } = { upto: "0" }] = await sql<{ upto: string }[]>`select max(upto_line)::text as upto from ledger_marks`;
    const low = await pgError(
      sql.begin(async (tx) => {
        const { entry, campaign, clearing } = await openEntry(tx);
        await tx`insert into ledger_lines (id, entry_id, account_id, amount, currency)
          values (${upto}, ${entry}, ${clearing}, 5, 'USD'), (${upto}::bigint - 1, ${entry}, ${campaign}, -5, 'USD')`;
      }),
    );
    expect(low.code).toBe("23514");
    expect(low.message).toMatch(/at or below ledger mark line/);
    expect(await books()).toEqual(before);
    // Lines whose IDs come from the default are above it, as always.
    await sql.begin(async (tx) => {
      const { entry, campaign, clearing } = await openEntry(tx);
      await tx`insert into ledger_lines (entry_id, account_id, amount, currency)
        values (${entry}, ${clearing}, 5, 'USD'), (${entry}, ${campaign}, -5, 'USD'),
               (${entry}, ${clearing}, -5, 'USD'), (${entry}, ${campaign}, 5, 'USD')`;
    });
  });

  it("the audit names a partition made by hand, which lacks the statement check", async () => {
    expect((await auditLedger(db)).uncheckedPartitions).toEqual([]);
    // A range of one ID, a version-7 one: DEFAULT holds the lines with version-4 entry IDs, and a wider range
    // (a month, f4… to f5…) takes any of them beginning with f4, 1 in 256, which makes the partition's creation
    // fail ("updated partition constraint for default partition … would be violated").
    await sql`create table ledger_lines_p2099_01 partition of ledger_lines
      for values from ('f4000000-0000-7000-8000-000000000000') to ('f4000000-0000-7000-8000-000000000001')`;
    try {
      const report = await auditLedger(db);
      expect(report.uncheckedPartitions).toEqual(["ledger_lines_p2099_01"]);
      expect(report.ok).toBe(false);
    } finally {
      await sql`drop table ledger_lines_p2099_01`;
    }
    expect((await auditLedger(db)).uncheckedPartitions).toEqual([]);
  });

  it("still refuses UPDATE and DELETE of lines and entries (0002)", async () => {
    const before = await books();
    await expect(sql`update ledger_lines set amount = amount + 1`).rejects.toThrow(/append-only \(UPDATE on ledger_lines/);
    await expect(sql`delete from ledger_lines`).rejects.toThrow(/append-only \(DELETE on ledger_lines/);
    await expect(sql`update ledger_entries set reference = 'x'`).rejects.toThrow(/append-only \(UPDATE on ledger_entries/);
    await expect(sql`delete from ledger_entries`).rejects.toThrow(/append-only \(DELETE on ledger_entries/);
    expect(await books()).toEqual(before);
  });

  it("still posts as the app does: an entry and its lines in one transaction, one or many at once", async () => {
    await db.transaction((tx) => postEntry(tx as unknown as Db, contributionEntry(`${RUN}-3`, campaignA, 250)));
    const fresh = await db.transaction((tx) =>
      postEntries(tx as unknown as Db, [
        contributionEntry(`${RUN}-4`, campaignA, 50),
        contributionEntry(`${RUN}-5`, campaignB, 30),
      ]),
    );
    expect(fresh.size).toBe(2);
    // Posting the same (kind, reference) again is a no-op, not an error.
    expect(await db.transaction((tx) => postEntry(tx as unknown as Db, contributionEntry(`${RUN}-3`, campaignA, 250)))).toBe(
      false,
    );
    expect(await balance(db, accounts.campaignCollected(campaignA), "USD")).toBe(-5300);
    expect(await balance(db, accounts.campaignCollected(campaignB), "USD")).toBe(-730);
    expect(await balance(db, accounts.providerClearing("sandbox"), "USD")).toBe(6030);
  });

  it("still posts entries and lines written by hand in one transaction (the suite's and the bench's fixtures)", async () => {
    const before = await balance(db, accounts.campaignCollected(campaignA), "USD");
    await sql.begin(async (tx) => {
      const [e] = await tx<{ id: string }[]>`
        insert into ledger_entries (id, kind, reference, description, provider)
        values (gen_random_uuid(), 'contribution', ${`${RUN}-hand`}, 'by hand', 'sandbox') returning id`;
      await tx`insert into ledger_lines (entry_id, account_id, amount, currency)
        select ${e?.id as string}, id, case when kind = 'provider_clearing' then 10 else -10 end, 'USD' from ledger_accounts
        where (kind = 'provider_clearing' and owner = 'sandbox') or (kind = 'campaign_collected' and owner = ${campaignA})`;
    });
    expect(await balance(db, accounts.campaignCollected(campaignA), "USD")).toBe(before - 10);
  });
});
