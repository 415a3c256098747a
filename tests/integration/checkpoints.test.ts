/**
 * Balance checkpoints of the daily flush (lib/payouts/checkpoints.ts): a run adds up the lines since the last
 * complete checkpoint instead of every campaign's history, and must pay exactly what a full read would.
 * Real PostgreSQL, the app's least-privilege role, the sandbox payout provider; money is posted through the
 * ledger's own `postEntries` as settlement and refunds post it (the HTTP path has its own tests).
 */
import postgres from "postgres";
import { v7 as uuidv7 } from "uuid";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Db, openDb } from "@/db/client";
import { parseConfig } from "@/lib/config";
import { accounts, postEntries } from "@/lib/ledger";
import { auditLedger } from "@/lib/ledger/audit";
import { createPayoutSettings } from "@/lib/payouts";
import { planCheckpoints, takeMark } from "@/lib/payouts/checkpoints";
import { type PayoutSettings, runPayouts } from "@/lib/payouts/run";
import { provisionDatabase, type TestDatabase } from "../support/env";
import { contributionEntry } from "../support/ledger";
import { deferred, waitFor } from "../support/wait";

const MINIMUM = 1000;
const CAMPAIGNS = 12;

let tdb: TestDatabase;
let owner: postgres.Sql;
let app: { sql: postgres.Sql; db: Db };
let settings: PayoutSettings;
let creator: string;
const campaigns: string[] = [];

/** Day n after today (UTC), YYYY-MM-DD: runs here pay what settled until now (allowFutureCutoff). */
const day = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10);

/** A settled contribution as settlement posts it: gross to the campaign, the platform's fee back out. */
async function give(campaignId: string, amount: number) {
  const id = uuidv7(); // as the app makes them: the contribution lands in its month's partition
  const fee = Math.floor(amount / 20);
  await app.db.transaction(async (tx) => {
    await tx.execute(`insert into contributions (id, campaign_id, contributor_id, amount, currency, status, payment_method, provider, fee_amount, settled_at)
      values ('${id}', '${campaignId}', '${creator}', ${amount}, 'USD', 'succeeded', 'pm_card_visa', 'sandbox', ${fee}, now())`);
    await postEntries(tx, [contributionEntry(id, campaignId, amount, fee)]);
  });
  return { id, net: amount - fee };
}

/** Money taken back out of a campaign (a refund's reservation, as lib/payments/refunds.ts posts it). */
async function takeBack(campaignId: string, amount: number) {
  await app.db.transaction(async (tx) => {
    await postEntries(tx, [
      {
        kind: "test_debit",
        reference: crypto.randomUUID(),
        description: "money back out of the campaign",
        provider: "sandbox",
        currency: "USD",
        lines: [
          { account: accounts.campaignCollected(campaignId), amount },
          { account: accounts.providerClearing("sandbox"), amount: -amount },
        ],
      },
    ]);
  });
}

/**
 * Wait until the newest mark is settled. Transaction IDs are the whole server's, so a long transaction of
 * another test's database holds every mark taken after it began: the run would then (rightly) write no
 * checkpoint, and this test would not see one used.
 */
async function newestMarkSettled() {
  const settled = await waitFor(
    async () => {
      const [m] = await owner<{ settled: boolean | null }[]>`
        select bool_and(xid_bound <= pg_snapshot_xmin(pg_current_snapshot())::text::bigint) as settled
        from ledger_marks where id = (select max(id) from ledger_marks)`;
      return m?.settled ?? true;
    },
    (v) => v,
    120_000,
  );
  expect(settled, "the newest ledger mark settled within 2 minutes").toBe(true);
}

/** Each campaign's collected balance from every line (credit-normal: negative = owed to it), minor units. */
async function balances(): Promise<Map<string, number>> {
  const rows = await owner<{ owner: string; b: string }[]>`
    select a.owner, coalesce(sum(l.amount), 0) as b from ledger_accounts a
    left join ledger_lines l on l.account_id = a.id
    where a.kind = 'campaign_collected' group by a.owner`;
  return new Map(rows.map((r) => [r.owner, Number(r.b)]));
}

beforeAll(async () => {
  tdb = await provisionDatabase("checkpoints");
  owner = postgres(tdb.url, { max: 2, onnotice: () => {} });
  app = openDb(tdb.appUrl, 4);
  const [u] = await owner<{ id: string }[]>`
    insert into users (id, email, name, role) values (gen_random_uuid(), 'creator@checkpoints.test', 'Creator', 'user') returning id`;
  creator = u?.id as string;
  await owner`insert into sandbox_accounts (id) values ('acct_checkpoints')`;
  await owner`insert into payout_accounts (user_id, provider, account_id, payouts_enabled, details_submitted)
    values (${creator}, 'sandbox', 'acct_checkpoints', true, true)`;
  for (let i = 0; i < CAMPAIGNS; i++) {
    const [c] = await owner<{ id: string }[]>`
      insert into campaigns (id, creator_id, title, story, goal_amount, currency, status)
      values (gen_random_uuid(), ${creator}, ${`Checkpoint ${i}`}, 'A campaign of the checkpoint test.', 100000, 'USD', 'active')
      returning id`;
    campaigns.push(c?.id as string);
  }
  const c = parseConfig({
    ...process.env,
    DATABASE_URL: tdb.url,
    NODE_ENV: "test",
    PAYOUT_HOLD_HOURS: "0",
    PAYOUT_MINIMUM_MINOR: String(MINIMUM),
    PAYOUT_BATCH_SIZE: "5", // several batches per run, so a checkpoint is written across transactions
  });
  settings = createPayoutSettings(app.db, c);
}, 120_000);

afterAll(async () => {
  await app?.sql.end();
  await owner?.end();
  await tdb?.drop();
});

describe("balance checkpoints of the daily flush", () => {
  it("day after day, runs that start from a checkpoint pay exactly what every line says is due", async () => {
    // A pseudo-random but repeatable mix of gifts and money taken back, day after day.
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % n;
    };
    const plans: { base: number | null; target: number | null }[] = [];
    for (let d = 1; d <= 5; d++) {
      for (let k = 0; k < 20; k++) {
        const campaign = campaigns[rand(CAMPAIGNS)] as string;
        if (rand(5) === 0) await takeBack(campaign, 100 + rand(900));
        else await give(campaign, 200 + rand(3000));
      }
      await newestMarkSettled();
      const before = await balances();
      const summary = await runPayouts(app.db, settings, { date: day(d), allowFutureCutoff: true });
      expect(summary.complete).toBe(true);
      plans.push(summary.checkpoint ?? { base: null, target: null });
      const paid = await owner<{ campaign_id: string; amount: string }[]>`
        select campaign_id, amount from payouts where payout_date = ${day(d)}`;
      const paidBy = new Map(paid.map((p) => [p.campaign_id, Number(p.amount)]));
      // What the whole history says: a campaign owed at least the minimum is paid all of it; others nothing.
      for (const id of campaigns) {
        const owed = -(before.get(id) ?? 0);
        expect(paidBy.get(id) ?? 0, `campaign ${id} on day ${d}`).toBe(owed >= MINIMUM ? owed : 0);
      }
      const audit = await auditLedger(app.db);
      expect(audit.checkpointMismatches).toEqual([]);
      expect(audit.unbalancedEntries).toEqual([]);
      expect(audit.payoutMismatches).toEqual([]);
    }
    // The first run read every line; later ones started from the checkpoint an earlier run wrote.
    expect(plans[0]?.base).toBeNull();
    expect(plans.slice(2).every((p) => p.base !== null)).toBe(true);
    const [complete] = await owner<{ n: number }[]>`select count(*)::int as n from ledger_marks where complete_at is not null`;
    expect(complete?.n).toBeGreaterThan(0);
    expect(complete?.n).toBeLessThanOrEqual(2); // older ones are dropped once a newer one is complete
  }, 600_000);

  it("a mark is not used while a transaction that may have written below it is still open", async () => {
    const campaign = campaigns[0] as string;
    await give(campaign, 100); // its accounts exist
    const open = postgres(tdb.appUrl, { max: 1, onnotice: () => {} });
    try {
      const { promise: held, resolve: release } = deferred();
      const { promise: written, resolve: posted } = deferred();
      const tx = open.begin(async (t) => {
        const entry = crypto.randomUUID();
        await t`insert into ledger_entries (id, kind, reference, description, provider)
          values (${entry}, 'test_debit', ${entry}, 'written, not committed', 'sandbox')`;
        const ids =
          await t`select id, kind::text as kind from ledger_accounts where (kind = 'campaign_collected' and owner = ${campaign})
          or (kind = 'provider_clearing' and owner = 'sandbox')`;
        const acct = (k: string) => ids.find((r) => r.kind === k)?.id;
        await t`insert into ledger_lines (entry_id, account_id, amount, currency) values
          (${entry}, ${acct("campaign_collected")}, 1, 'USD'), (${entry}, ${acct("provider_clearing")}, -1, 'USD')`;
        posted();
        await held;
      });
      await Promise.race([written, tx]); // (tx settles first only if it failed)
      const mark = await takeMark(app.db);
      const later = new Date(Date.now() + 60_000);
      expect((await planCheckpoints(app.db, later)).target?.id).not.toBe(mark);
      release();
      await tx;
      await newestMarkSettled();
      expect((await planCheckpoints(app.db, later)).target?.id).toBe(mark);
    } finally {
      await open.end();
    }
  }, 180_000);

  it("the ledger audit fails when a stored checkpoint is wrong, missing or extra", async () => {
    // A campaign left owing less than the minimum keeps its balance, so the next complete mark stores it.
    const [fresh] = await owner<{ id: string }[]>`
      insert into campaigns (id, creator_id, title, story, goal_amount, currency, status)
      values (gen_random_uuid(), ${creator}, 'Below the minimum', 'A campaign of the checkpoint test.', 100000, 'USD', 'active')
      returning id`;
    const campaign = fresh?.id as string;
    await give(campaign, 500);
    await newestMarkSettled();
    await runPayouts(app.db, settings, { date: day(6), allowFutureCutoff: true }); // takes a mark after its payouts
    await newestMarkSettled();
    await runPayouts(app.db, settings, { date: day(7), allowFutureCutoff: true }); // writes that mark's checkpoints
    // Tampering needs the owner: the app's role may write checkpoints, and the audit is what catches a bad one.
    const [row] = await owner<{ mark_id: string; account_id: string; provider: string; balance: string }[]>`
      select c.* from ledger_checkpoints c join ledger_marks m on m.id = c.mark_id
      join ledger_accounts a on a.id = c.account_id
      where m.complete_at is not null and a.owner = ${campaign} order by m.id desc limit 1`;
    expect(row).toBeDefined();
    if (!row) return;
    const key = owner`mark_id = ${row.mark_id} and account_id = ${row.account_id} and provider = ${row.provider}`;
    try {
      await owner`update ledger_checkpoints set balance = balance - 1 where ${key}`;
      let audit = await auditLedger(app.db);
      expect(audit.ok).toBe(false);
      expect(audit.checkpointMismatches).toEqual([
        {
          markId: Number(row.mark_id),
          accountId: row.account_id,
          provider: row.provider,
          stored: Number(row.balance) - 1,
          lines: Number(row.balance),
        },
      ]);
      await owner`delete from ledger_checkpoints where ${key}`;
      audit = await auditLedger(app.db);
      expect(audit.checkpointMismatches).toMatchObject([{ stored: 0, lines: Number(row.balance) }]);
      await owner`insert into ledger_checkpoints (mark_id, account_id, provider, balance)
        values (${row.mark_id}, ${row.account_id}, 'stripe', 5)`;
      audit = await auditLedger(app.db);
      expect(audit.checkpointMismatches).toHaveLength(2);
    } finally {
      await owner`delete from ledger_checkpoints where mark_id = ${row.mark_id} and account_id = ${row.account_id}`;
      await owner`insert into ledger_checkpoints (mark_id, account_id, provider, balance)
        values (${row.mark_id}, ${row.account_id}, ${row.provider}, ${row.balance})`;
    }
    expect((await auditLedger(app.db)).checkpointMismatches).toEqual([]);
  }, 600_000);
});
