/**
 * Partitioning by time (migration 0018, docs/partitioning.md), on a database that has data: migrated to 0016,
 * given contributions and ledger entries of four months (and rows with v4 IDs), then migrated to the end.
 * Every row must still be there, in its month's partition, with the foreign keys, the unique payment ID and
 * receipt number, the ledger's triggers and the app role's rights still holding. Then the partitions kept
 * ahead (ensurePartitions: idempotent, racing callers, a month DEFAULT blocks), detaching and its refusals,
 * and the hot paths' plans.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { migrate } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import { v7 as uuidv7 } from "uuid";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enableAppLogin, openAppDb } from "@/db/app-role";
import { type Db, openDb } from "@/db/client";
import { migrateDatabase } from "@/db/migrate";
import { accounts, balance, postEntry } from "@/lib/ledger";
import { detachPartition, ensurePartitions, type PartitionRefusal, uuidTimeFloor } from "@/lib/ops/partitions";
import { campaignContributionsQuery, listCampaignContributions } from "@/lib/payments/contributions";
import { runCli } from "../support/cli";
import { TEST_APP_PASSWORD, testPostgresServer } from "../support/env";
import { contributionEntry } from "../support/ledger";

const root = path.resolve(import.meta.dirname, "../..");

/** The first day of the month `offset` months from this one (UTC). */
const monthStart = (offset: number) => {
  const d = new Date();
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + offset, 1));
};
/** Noon on the 15th of that month, as a UUIDv7's time. */
const midMonth = (offset: number) => monthStart(offset).getTime() + 14 * 86_400_000 + 12 * 3_600_000;
const ym = (offset: number) => monthStart(offset).toISOString().slice(0, 7);
const partOf = (table: string, offset: number) => `${table}_p${ym(offset).replace("-", "_")}`;

/** A v4 ID whose first 48 bits read as a time in the year 10000 or so: no month's range holds it. */
const V4_ID = "f1e2d3c4-b5a6-4978-8a6b-5c4d3e2f1a0b";
const V4_ENTRY = "f1e2d3c4-b5a6-4978-8a6b-5c4d3e2f1a0c";

/** The error PostgreSQL raised (drizzle wraps it in `cause`), for its SQLSTATE and constraint. */
const pgError = async (p: Promise<unknown>) => {
  const e = (await p.then(
    () => undefined,
    (err: unknown) => err,
  )) as { code?: string; constraint_name?: string; cause?: { code?: string; constraint_name?: string } } | undefined;
  if (!e) throw new Error("expected the database to refuse");
  return e.cause?.code ? e.cause : e;
};

const refusal = async (p: Promise<unknown>): Promise<PartitionRefusal | undefined> =>
  p.then(
    () => undefined,
    (e: { code?: PartitionRefusal }) => e.code,
  );

describe("partitioning contributions and ledger lines by month (migration 0018)", () => {
  let serverStop: () => Promise<void>;
  let serverUrl: string;
  let url: string;
  let name: string;
  let owner: postgres.Sql;
  let app: { sql: postgres.Sql; db: Db };
  let ownerDb: { sql: postgres.Sql; db: Db };
  let before: { contributions: unknown[]; lines: unknown[]; maxLineId: number };
  const user = uuidv7();
  const campaign = uuidv7();
  // Four months back to this one; a contribution of each (two in the oldest), and one with a v4 ID.
  const c = [-3, -3, -2, -1, 0].map((offset, i) => ({ id: uuidv7({ msecs: midMonth(offset) + i }), offset }));
  const entries = [-3, -2, -1, 0].map((offset) => ({ id: uuidv7({ msecs: midMonth(offset) }), offset }));

  beforeAll(async () => {
    const server = await testPostgresServer();
    serverStop = server.stop;
    serverUrl = server.url;
    name = `cf_partitioning_${Date.now().toString(36)}_${process.pid}`;
    const admin = postgres(server.url, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database "${name}"`);
    await admin.end();
    const u = new URL(server.url);
    u.pathname = `/${name}`;
    url = u.toString();

    // The migrations up to 0016 only: a copy of the folder whose journal stops there.
    const dir = mkdtempSync(path.join(os.tmpdir(), "cf-migrations-"));
    try {
      cpSync(path.join(root, "db", "migrations"), dir, { recursive: true });
      const journalPath = path.join(dir, "meta", "_journal.json");
      const journal = JSON.parse(readFileSync(journalPath, "utf8")) as { entries: { idx: number; tag: string }[] };
      const kept = journal.entries.filter((e) => e.idx <= 16);
      expect(kept.at(-1)?.tag).toBe("0016_issue17_community_mail");
      writeFileSync(journalPath, JSON.stringify({ ...journal, entries: kept }));
      const m = openDb(url, 1);
      await migrate(m.db, { migrationsFolder: dir });
      await m.sql.end();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }

    owner = postgres(url, { max: 1, onnotice: () => {} });
    await owner`insert into users (id, email, name) values (${user}, ${`${user}@partitioning.test`}, 'Donor')`;
    await owner`insert into campaigns (id, creator_id, title, story, goal_amount, currency, status)
      values (${campaign}, ${user}, 'Partitioned', 'A campaign of the partitioning test.', 100000, 'USD', 'active')`;
    for (const [i, x] of [...c, { id: V4_ID, offset: 99 }].entries()) {
      const pending = x.offset === -1;
      await owner`insert into contributions (id, campaign_id, contributor_id, amount, currency, status, payment_method, provider,
          provider_payment_id, receipt_number, created_at, settled_at)
        values (${x.id}, ${campaign}, ${user}, ${1000 + i}, 'USD', ${pending ? "pending" : "succeeded"}, 'card', 'sandbox',
          ${`pi_part_${i}`}, ${pending ? null : 100 + i}, ${new Date(x.offset === 99 ? Date.now() : midMonth(x.offset))},
          ${pending ? null : new Date()})`;
    }
    // A refund of the contribution two months back: its partition is referenced.
    await owner`insert into refunds (id, contribution_id, campaign_id, amount, currency, provider, status)
      values (${uuidv7()}, ${c[2]?.id as string}, ${campaign}, 100, 'USD', 'sandbox', 'succeeded')`;
    // Ledger entries of each month and one with a v4 ID, each with its lines in its own transaction (0013).
    const acct = { clearing: uuidv7(), collected: uuidv7() };
    await owner`insert into ledger_accounts (id, kind, owner, currency) values
      (${acct.clearing}, 'provider_clearing', 'sandbox', 'USD'), (${acct.collected}, 'campaign_collected', ${campaign}, 'USD')`;
    for (const [i, e] of [...entries, { id: V4_ENTRY, offset: 99 }].entries()) {
      await owner.begin(async (tx) => {
        await tx`insert into ledger_entries (id, kind, reference, description, provider)
          values (${e.id}, 'contribution', ${`part-${i}`}, 'partitioning test', 'sandbox')`;
        await tx`insert into ledger_lines (entry_id, account_id, amount, currency) values
          (${e.id}, ${acct.clearing}, ${500 + i}, 'USD'), (${e.id}, ${acct.collected}, ${-(500 + i)}, 'USD')`;
      });
    }
    const snapshot = async () => ({
      contributions: await owner`select to_jsonb(c) as row from contributions c order by id`,
      lines: await owner`select to_jsonb(l) as row from ledger_lines l order by id`,
      maxLineId: Number((await owner`select max(id) as m from ledger_lines`)[0]?.m),
    });
    before = await snapshot();
    expect(before.contributions).toHaveLength(6);
    expect(before.lines).toHaveLength(10);

    await migrateDatabase(url); // 0017 (checkpoints), 0018 (partitioning) and anything after them
    await enableAppLogin(url, TEST_APP_PASSWORD);
    const appUrl = new URL(url);
    appUrl.username = "crowdfund_app";
    appUrl.password = TEST_APP_PASSWORD;
    app = openAppDb({ DATABASE_APP_URL: appUrl.toString() }, 2);
    ownerDb = openDb(url, 1);
  }, 120_000);

  afterAll(async () => {
    await app?.sql.end();
    await ownerDb?.sql.end();
    await owner?.end();
    if (serverUrl) {
      const a = postgres(serverUrl, { max: 1, onnotice: () => {} });
      await a.unsafe(`drop database if exists "${name}" with (force)`);
      await a.end();
    }
    await serverStop?.();
  });

  it("made both tables partitioned, with a partition per month from the oldest row to three months ahead, and DEFAULT", async () => {
    const parts = await owner<{ parent: string; part: string }[]>`
      select i.inhparent::regclass::text as parent, i.inhrelid::regclass::text as part
      from pg_inherits i join pg_class c on c.oid = i.inhrelid where c.relkind = 'r' order by 2`;
    for (const table of ["contributions", "ledger_lines"]) {
      const mine = parts.filter((p) => p.parent === table).map((p) => p.part);
      expect(mine).toEqual([...[-3, -2, -1, 0, 1, 2, 3].map((o) => partOf(table, o)), `${table}_default`].sort());
    }
    const kinds = await owner<{ relname: string; relkind: string }[]>`
      select relname, relkind::text from pg_class where relname in ('contributions', 'ledger_lines') order by 1`;
    expect(kinds).toEqual([
      { relname: "contributions", relkind: "p" },
      { relname: "ledger_lines", relkind: "p" },
    ]);
  });

  it("kept every row as it was, each in its month's partition (v4 IDs in DEFAULT), and line IDs continue", async () => {
    expect(await owner`select to_jsonb(c) as row from contributions c order by id`).toEqual(before.contributions);
    expect(await owner`select to_jsonb(l) as row from ledger_lines l order by id`).toEqual(before.lines);
    const where = await owner<{ id: string; part: string }[]>`select id, tableoid::regclass::text as part from contributions`;
    const expected = new Map<string, string>([
      ...c.map((x) => [x.id, partOf("contributions", x.offset)] as const),
      [V4_ID, "contributions_default"],
    ]);
    expect(new Map(where.map((r) => [r.id, r.part]))).toEqual(expected);
    const lines = await owner<{ entry_id: string; part: string }[]>`
      select distinct entry_id, tableoid::regclass::text as part from ledger_lines`;
    expect(new Map(lines.map((r) => [r.entry_id, r.part]))).toEqual(
      new Map<string, string>([
        ...entries.map((e) => [e.id, partOf("ledger_lines", e.offset)] as const),
        [V4_ENTRY, "ledger_lines_default"],
      ]),
    );
    // New lines continue the kept sequence (ledger_lines_id_seq is now owned by the new table).
    const ref = `part-new-${Date.now()}`;
    await app.db.transaction((tx) => postEntry(tx as unknown as Db, contributionEntry(ref, campaign, 50)));
    const [fresh] = await owner<{ id: string; part: string }[]>`
      select l.id, l.tableoid::regclass::text as part from ledger_lines l join ledger_entries e on e.id = l.entry_id
      where e.reference = ${ref} order by l.id limit 1`;
    expect(Number(fresh?.id)).toBeGreaterThan(before.maxLineId);
    expect(fresh?.part).toBe(partOf("ledger_lines", 0));
  });

  it("still enforces the foreign keys to and from contributions", async () => {
    const noSuch = uuidv7();
    expect(
      (
        await pgError(owner`insert into refunds (id, contribution_id, campaign_id, amount, currency, provider)
          values (${uuidv7()}, ${noSuch}, ${campaign}, 1, 'USD', 'sandbox')`)
      ).code,
    ).toBe("23503");
    // The refunded contribution (two months back) cannot go while its refund points at it.
    expect((await pgError(owner`delete from contributions where id = ${c[2]?.id as string}`)).code).toBe("23503");
    expect(
      (
        await pgError(owner`insert into contributions (id, campaign_id, contributor_id, amount, currency, payment_method, provider)
          values (${uuidv7()}, ${uuidv7()}, ${user}, 1, 'USD', 'card', 'sandbox')`)
      ).code,
    ).toBe("23503");
  });

  it("keeps a provider payment ID and a receipt number to one contribution across partitions", async () => {
    const [a, b] = [c[0]?.id as string, c[3]?.id as string]; // different partitions
    const dupPayment = await pgError(owner`update contributions set provider_payment_id = 'pi_part_0' where id = ${b}`);
    expect([dupPayment.code, dupPayment.constraint_name]).toEqual(["23505", "contributions_provider_payment_id_unique"]);
    const dupReceipt = await pgError(owner`update contributions set receipt_number = 100 where id = ${b}`);
    expect([dupReceipt.code, dupReceipt.constraint_name]).toEqual(["23505", "contributions_receipt_number_unique"]);
    const dupInsert = await pgError(
      app.sql`insert into contributions (id, campaign_id, contributor_id, amount, currency, payment_method, provider, provider_payment_id)
        values (${uuidv7()}, ${campaign}, ${user}, 1, 'USD', 'card', 'sandbox', 'pi_part_2')`,
    );
    expect(dupInsert.constraint_name).toBe("contributions_provider_payment_id_unique");
    // A changed ID frees the old one (the app stores the payment's ID once; the rule is the table's).
    await owner`update contributions set provider_payment_id = 'pi_part_0_changed' where id = ${a}`;
    await owner`update contributions set provider_payment_id = 'pi_part_0' where id = ${b}`;
    const keys = await owner`select provider_payment_id, contribution_id from contribution_payment_ids
      where provider_payment_id in ('pi_part_0', 'pi_part_0_changed', 'pi_part_3') order by 1`;
    expect(keys).toEqual([
      { provider_payment_id: "pi_part_0", contribution_id: b },
      { provider_payment_id: "pi_part_0_changed", contribution_id: a },
    ]);
  });

  it("still runs the ledger's triggers on every partition: balance at commit, append-only, closed entries", async () => {
    // An unbalanced entry fails at commit, in this month's partition and in DEFAULT (a v4 ID).
    for (const id of [uuidv7(), crypto.randomUUID()]) {
      const e = await pgError(
        owner.begin(async (tx) => {
          await tx`insert into ledger_entries (id, kind, reference, description, provider)
            values (${id}, 'test', ${id}, 'unbalanced', 'sandbox')`;
          await tx`insert into ledger_lines (entry_id, account_id, amount, currency)
            select ${id}, id, 5, 'USD' from ledger_accounts where kind = 'provider_clearing'`;
        }),
      );
      expect(e.code).toBe("23514");
    }
    // UPDATE and DELETE refused by the trigger even for the owner, through the parent or a partition named directly.
    const oldPart = partOf("ledger_lines", -3);
    for (const q of [
      owner`update ledger_lines set amount = amount + 1 where entry_id = ${entries[0]?.id as string}`,
      owner.unsafe(`update "${oldPart}" set amount = amount + 1`),
      owner.unsafe(`delete from "${oldPart}"`),
      owner`delete from ledger_lines_default`,
    ])
      expect((await pgError(q)).code).toBe("42501");
    expect((await pgError(owner`truncate ledger_lines`)).code).toBe("42501");
    // A balanced pair added later to an entry of three months ago: refused (0013).
    const late = await pgError(
      owner.begin(
        (tx) => tx`insert into ledger_lines (entry_id, account_id, amount, currency)
          select ${entries[0]?.id as string}, id, case when kind = 'provider_clearing' then 7 else -7 end, 'USD'
          from ledger_accounts where owner in ('sandbox', ${campaign})`,
      ),
    );
    expect(late.code).toBe("42501");
  });

  it("gives the app role its rights on the parents and none on the partitions", async () => {
    const rights = await owner<{ relname: string; rights: string }[]>`
      select c.relname, concat_ws(',',
        case when has_table_privilege('crowdfund_app', c.oid, 'SELECT') then 'SELECT' end,
        case when has_table_privilege('crowdfund_app', c.oid, 'INSERT') then 'INSERT' end,
        case when has_table_privilege('crowdfund_app', c.oid, 'UPDATE') then 'UPDATE' end,
        case when has_table_privilege('crowdfund_app', c.oid, 'DELETE') then 'DELETE' end,
        case when has_table_privilege('crowdfund_app', c.oid, 'TRUNCATE') then 'TRUNCATE' end) as rights
      from pg_class c where c.relname in ('contributions', 'ledger_lines', ${partOf("contributions", 0)},
        ${partOf("ledger_lines", 0)}, 'contributions_default', 'ledger_lines_default', 'contribution_payment_ids')
      order by 1`;
    expect(Object.fromEntries(rights.map((r) => [r.relname, r.rights]))).toEqual({
      contribution_payment_ids: "SELECT,INSERT,UPDATE,DELETE",
      contributions: "SELECT,INSERT,UPDATE,DELETE",
      contributions_default: "",
      [partOf("contributions", 0)]: "",
      ledger_lines: "SELECT,INSERT",
      ledger_lines_default: "",
      [partOf("ledger_lines", 0)]: "",
    });
    expect((await pgError(app.sql`delete from ledger_lines where entry_id = ${entries[0]?.id as string}`)).code).toBe("42501");
    expect((await pgError(app.sql.unsafe(`select count(*) from "${partOf("contributions", 0)}"`))).code).toBe("42501");
    // What the app does still works: a balance over every partition.
    expect(await balance(app.db, accounts.campaignCollected(campaign), "USD")).toBe(-(500 + 501 + 502 + 503 + 504 + 50));
  });

  it("keeps partitions ahead: idempotent, safe when two callers race, and a month DEFAULT holds rows of is blocked, not failed", async () => {
    const first = await ensurePartitions(app.db, 5);
    const created = first.filter((p) => p.status === "created").map((p) => p.partition);
    expect(created.sort()).toEqual([4, 5].flatMap((o) => [partOf("contributions", o), partOf("ledger_lines", o)]).sort());
    expect((await ensurePartitions(app.db, 5)).every((p) => p.status === "exists")).toBe(true);
    const other = openAppDb({ DATABASE_URL: url }, 1); // a second caller: the owner's login acting as the app role
    try {
      const [x, y] = await Promise.all([ensurePartitions(app.db, 7), ensurePartitions(other.db, 7)]);
      const made = [...x, ...y].filter((p) => p.status === "created").map((p) => p.partition);
      expect(made.sort()).toEqual([6, 7].flatMap((o) => [partOf("contributions", o), partOf("ledger_lines", o)]).sort());
    } finally {
      await other.sql.end();
    }
    // A row nine months ahead goes to DEFAULT (no partition yet): the insert works, that month is then blocked.
    const ahead = uuidv7({ msecs: midMonth(9) });
    await app.sql`insert into contributions (id, campaign_id, contributor_id, amount, currency, payment_method, provider)
      values (${ahead}, ${campaign}, ${user}, 1, 'USD', 'card', 'sandbox')`;
    const [row] = await owner`select tableoid::regclass::text as part from contributions where id = ${ahead}`;
    expect(row?.part).toBe("contributions_default");
    const later = await ensurePartitions(app.db, 9);
    const status = (p: string) => later.find((x) => x.partition === p)?.status;
    expect([status(partOf("contributions", 8)), status(partOf("contributions", 9)), status(partOf("ledger_lines", 9))]).toEqual([
      "created",
      "blocked",
      "created",
    ]);
    expect((await pgError(ensurePartitions(app.db, 37))).code).toBe("22023");
  });

  it("detaches an old month, and refuses with a code what may not go", async () => {
    const d = (table: string, offset: number, minAgeDays?: number) =>
      detachPartition(ownerDb.db, { table, month: ym(offset), minAgeDays });
    expect(await refusal(d("contributions", -3))).toBe("PARTITION_TOO_RECENT"); // default: 400 days
    expect(await refusal(d("contributions", 0, 0))).toBe("PARTITION_TOO_RECENT"); // this month, always
    expect(await refusal(d("contributions", -2, 0))).toBe("PARTITION_REFERENCED"); // its refund
    expect(await refusal(d("contributions", -1, 0))).toBe("PARTITION_HAS_PENDING");
    expect(await refusal(d("ledger_lines", -3, 0))).toBe("PARTITION_CHANGES_BALANCES");
    expect(await refusal(d("contributions", -40, 0))).toBe("PARTITION_NOT_FOUND");
    expect(await refusal(d("payouts", -3, 0))).toBe("PARTITION_INVALID");
    expect(await refusal(detachPartition(ownerDb.db, { table: "contributions", month: "2026-13" }))).toBe("PARTITION_INVALID");

    expect(await d("contributions", -3, 0)).toEqual({ partition: partOf("contributions", -3), rows: 2 });
    const [left] =
      await owner`select count(*)::int as n from contributions where id in ${owner([c[0]?.id as string, c[1]?.id as string])}`;
    expect(left?.n).toBe(0);
    const [kept] = await owner.unsafe(`select count(*)::int as n from "${partOf("contributions", -3)}"`);
    expect(kept?.n).toBe(2);

    // The CLI prints the refusal's code and exits 1.
    const cli = await runCli(["partitions", "detach", "--table", "ledger_lines", "--month", ym(-3), "--min-age-days", "0"], {
      DATABASE_URL: url,
    });
    expect(cli.code, cli.out).toBe(1);
    expect(cli.out).toContain("PARTITION_CHANGES_BALANCES");
  }, 60_000);

  it("answers the hot paths from indexes, one probe per partition", async () => {
    const plan = async (q: string) =>
      owner.begin(async (tx) => {
        await tx`set local enable_seqscan = off`;
        const rows = await tx.unsafe(`explain ${q}`);
        return rows.map((r) => r["QUERY PLAN"] as string).join("\n");
      });
    const byId = await plan(`select * from contributions where id = '${c[3]?.id}'`);
    // (On rows this few the planner may take any index holding `id`; on real tables, the primary key.)
    expect(byId).toMatch(new RegExp(`Index (Only )?Scan using \\S+ on ${partOf("contributions", -1)}`));
    expect(byId.match(/Index Scan/g)).toHaveLength(1); // pruned to its month
    const byPayment = await plan("select * from contributions where provider_payment_id = 'pi_part_3'");
    expect(byPayment).not.toMatch(/Seq Scan/);
    expect(byPayment).toMatch(/provider_payment_id_idx/);
    const perAccount = await plan(`
      select a.owner, coalesce(-sum(l.amount), 0) from ledger_accounts a
      left join ledger_lines l on l.account_id = a.id where a.kind = 'campaign_collected' group by a.owner`);
    expect(perAccount).not.toMatch(/Seq Scan on ledger_lines/);
    expect(perAccount).toMatch(/account_id_id_idx/); // (account_id, id), one per partition (migration 0017)
    const byEntry = await plan(`select * from ledger_lines where entry_id = '${entries[3]?.id}'`);
    expect(byEntry.match(/ledger_lines_p\d{4}_\d{2}_pkey/g)).toHaveLength(1);
    console.log(
      ["contribution by id", byId, "by payment id", byPayment, "per account", perAccount, "lines of an entry", byEntry].join(
        "\n",
      ),
    );
  });

  it("computes a time's UUID floor as the SQL function does", async () => {
    for (const ms of [0, 1, Date.UTC(2024, 0, 1), midMonth(0), Date.now(), 2 ** 48 - 1]) {
      const [r] = await owner<{ f: string }[]>`select uuid_time_floor(to_timestamp(${ms / 1000}))::text as f`;
      expect(uuidTimeFloor(ms), String(ms)).toBe(r?.f);
    }
    expect(uuidv7({ msecs: midMonth(0) }) >= uuidTimeFloor(midMonth(0))).toBe(true);
    expect(uuidv7({ msecs: midMonth(0) - 1 }) < uuidTimeFloor(midMonth(0))).toBe(true);
    expect(() => uuidTimeFloor(-1)).toThrow(RangeError);
    expect(() => uuidTimeFloor(2 ** 48)).toThrow(RangeError);
  });

  it("reads a campaign's contributions from the months of its life only, and finds them all", async () => {
    // Created last month; a contribution then and one this month. Its list must not probe the older months (three
    // of them hold rows), and, once it has ended, not the months after.
    const created = midMonth(-1);
    const life = uuidv7({ msecs: created });
    await owner`insert into campaigns (id, creator_id, title, story, goal_amount, currency, status, created_at)
      values (${life}, ${user}, 'Short life', 'A campaign of last month.', 100000, 'USD', 'active', ${new Date(created)})`;
    const given = [uuidv7({ msecs: created + 3_600_000 }), uuidv7()];
    for (const [i, id] of given.entries()) {
      await owner`insert into contributions (id, campaign_id, contributor_id, amount, currency, status, payment_method,
          provider, provider_payment_id, created_at, settled_at)
        values (${id}, ${life}, ${user}, ${700 + i}, 'USD', 'succeeded', 'card', 'sandbox', ${`pi_life_${i}`}, now(), now())`;
    }
    const campaign = (endedAt: string | null) => ({
      id: life,
      createdAt: new Date(created).toISOString(),
      endedAt,
      status: endedAt ? "ended" : "active",
    });
    const scanned = async (endedAt: string | null) => {
      const q = campaignContributionsQuery(app.db, { campaign: campaign(endedAt), limit: 10 }).toSQL();
      const rows = await owner.unsafe(`explain (costs off) ${q.sql}`, q.params as never[]);
      const plan = rows.map((r) => r["QUERY PLAN"] as string).join("\n");
      return [...new Set(plan.match(/contributions_(p\d{4}_\d{2}|default)(?=\s)/g))].sort();
    };
    // The months' partitions that exist (earlier tests made some further ahead), by name, which sorts by month.
    const existing = (
      await owner<{ name: string }[]>`select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid
        where i.inhparent = 'contributions'::regclass and c.relname <> 'contributions_default'`
    ).map((r) => r.name);
    const between = (from: string, to = "contributions_p9999_99") => existing.filter((n) => n >= from && n <= to).sort();
    // Active: from its month (a week before its creation, mid-month, is still in it) to the last month made ahead, and DEFAULT
    // (which a lower bound alone cannot leave out: it may hold IDs above every month's range).
    expect(await scanned(null)).toEqual(["contributions_default", ...between(partOf("contributions", -1))].sort());
    // Ended now: nothing after the month a week from now, and DEFAULT left out too (the range lies within the months
    // made).
    const last = partOf(
      "contributions",
      new Date(Date.now() + 7 * 86_400_000).getUTCMonth() === new Date().getUTCMonth() ? 0 : 1,
    );
    expect(await scanned(new Date().toISOString())).toEqual(between(partOf("contributions", -1), last));
    // And the list finds both, newest first, active or ended.
    for (const endedAt of [null, new Date().toISOString()]) {
      const page = await listCampaignContributions(app.db, { campaign: campaign(endedAt) as never, limit: 10 });
      expect(page.items.map((x) => x.id)).toEqual([...given].reverse());
    }
  });
});
