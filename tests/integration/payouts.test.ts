/**
 * The daily flush end to end: real app, real PostgreSQL, the sandbox
 * provider, and the CLI run as its own process (as an operator or a crash sees it).
 * Its own database, so that the run sees only this file's campaigns.
 * Contributions made now settle before the cut-off of a day still to come, so
 * runs here pass --allow-future-cutoff (what settled until now is paid).
 */
import type postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli as runCliProcess, startCli } from "../support/cli";
import { type AppServer, startApp, type TestDatabase } from "../support/env";
import { api, activeCampaign as publish, signIn } from "../support/http";
import { type OwnApp, startOwnApp } from "../support/own-app";
import { waitFor } from "../support/wait";

const CRON_SECRET = "test-cron-secret-0123456789";
const MINIMUM = 1000;
const FEE_BPS = 500;
const APP_ENV = {
  SERVICES: "web,consumers,dispatcher",
  PAYOUT_HOLD_HOURS: "0", // what settled a moment ago is payable (the hold has its own test)
  CRON_SECRET,
  PAYOUT_MINIMUM_MINOR: String(MINIMUM),
  PLATFORM_FEE_BPS: String(FEE_BPS),
};

let tdb: TestDatabase;
let app: AppServer;
let sql: postgres.Sql;
let alice: string;
let bob: string;
let carol: string;

/** Day n after today (UTC), YYYY-MM-DD. */
const day = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10);
const net = (amount: number) => amount - Math.floor((amount * FEE_BPS) / 10_000);

const cliEnv = (env: Record<string, string> = {}) => ({
  DATABASE_URL: tdb.url,
  PAYOUT_HOLD_HOURS: "0",
  PAYOUT_MINIMUM_MINOR: String(MINIMUM),
  PLATFORM_FEE_BPS: String(FEE_BPS),
  ...env,
});
const cli = (args: string[], env?: Record<string, string>) => startCli(args, cliEnv(env));
const runCli = (args: string[], env?: Record<string, string>) => runCliProcess(args, cliEnv(env));

const activeCampaign = (token: string, over: Record<string, unknown> = {}) => publish(token, app.baseUrl, over);

async function give(token: string, campaignId: string, amount: number, currency = "USD") {
  const r = await api(`/api/campaigns/${campaignId}/contributions`, {
    base: app.baseUrl,
    token,
    json: { amount, currency, paymentMethod: "pm_card_visa" },
    headers: { "idempotency-key": crypto.randomUUID() },
  });
  expect(r.status).toBe(201);
  expect(r.body.status).toBe("succeeded");
}

async function payoutsOf(campaignId: string) {
  return sql<{ id: string; payout_date: string; amount: string; status: string; attempts: number }[]>`
    select id, payout_date::text, amount, status, attempts from payouts where campaign_id = ${campaignId} order by id`;
}

/** The campaign's ledger balance (credit-normal: negative = owed to the campaign). */
async function campaignBalance(campaignId: string): Promise<number> {
  const [r] = await sql<{ b: string }[]>`
    select coalesce(sum(l.amount), 0) as b from ledger_lines l join ledger_accounts a on a.id = l.account_id
    where a.kind = 'campaign_collected' and a.owner = ${campaignId}`;
  return Number(r?.b ?? 0);
}

async function setBehavior(email: string, behavior: string) {
  await sql`update sandbox_accounts set behavior = ${behavior} where id = (
    select pa.account_id from payout_accounts pa join users u on u.id = pa.user_id where u.email = ${email} and pa.provider = 'sandbox')`;
}

let own: OwnApp | undefined;
beforeAll(async () => {
  own = await startOwnApp("payouts", APP_ENV);
  ({ tdb, app, sql, alice, bob, carol } = own);
}, 120_000);

afterAll(() => own?.stop());

describe("daily payouts", () => {
  it("pays each eligible campaign once per day, per currency; a re-run pays nothing more; the ledger audit passes", async () => {
    const usd = await activeCampaign(alice);
    const eur = await activeCampaign(alice, { currency: "EUR" });
    const small = await activeCampaign(alice);
    const bobs = await activeCampaign(bob);
    await give(bob, usd, 5000);
    await give(carol, usd, 2500);
    await give(bob, eur, 4000, "EUR");
    await give(bob, small, 600); // net 570 < minimum 1000
    await give(alice, bobs, 3000);
    await sql`delete from payout_accounts where user_id = (select id from users where email = 'bob@example.com')`;

    const first = await runCli(["payouts", "run", "--date", day(1), "--allow-future-cutoff"]);
    expect(first.code, first.out).toBe(0);
    expect(first.out).toContain("campaigns seen: 4");
    expect(first.out).toContain("payouts made: 2");
    expect(first.out).toMatch(/skipped: .*1 below minimum/);
    expect(first.out).toMatch(/skipped: .*1 no payout account/);
    expect(first.out).toContain("transfers: 2 paid");
    expect(first.out).toContain(`USD: made $${(net(7500) / 100).toFixed(2)}`);

    const [p] = await payoutsOf(usd);
    expect(p).toMatchObject({ payout_date: day(1), amount: String(net(7500)), status: "paid" });
    expect((await payoutsOf(eur))[0]).toMatchObject({ amount: String(net(4000)), status: "paid" });
    expect(await payoutsOf(small)).toEqual([]);
    expect(await payoutsOf(bobs)).toEqual([]); // keeps its balance until bob connects an account
    expect(await campaignBalance(usd)).toBe(0);
    expect(await campaignBalance(bobs)).toBe(-net(3000));

    const again = await runCli(["payouts", "run", "--date", day(1), "--allow-future-cutoff"]);
    expect(again.code, again.out).toBe(0);
    expect(again.out).toContain("payouts made: 0 (already made before: 2");
    expect(await payoutsOf(usd)).toHaveLength(1);
    const transfers = await sql`select count(*)::int as n from sandbox_transfers where transfer_group in (
      select id::text from payouts where campaign_id in (${usd}, ${eur}))`;
    expect(transfers[0]?.n).toBe(2);

    const audit = await runCli(["ledger", "audit"]);
    expect(audit.code, audit.out).toBe(0);
    expect(audit.out).toContain("ledger audit passed");

    // Bob connects an account (the sandbox's onboarding completes at once); the next day pays his campaign.
    const bobCookie = await signIn("bob@example.com", "password", app.baseUrl);
    const connect = await api("/api/me/payout-account", { base: app.baseUrl, method: "POST", cookie: bobCookie });
    expect(connect.status).toBe(201);
    expect(connect.body.account).toMatchObject({ provider: "sandbox", payoutsEnabled: true });
    expect(connect.body.onboardingUrl).toMatch(/\/settings\/payouts$/);
    const next = await runCli(["payouts", "run", "--date", day(2), "--allow-future-cutoff"]);
    expect(next.code, next.out).toBe(0);
    expect((await payoutsOf(bobs))[0]).toMatchObject({ payout_date: day(2), amount: String(net(3000)), status: "paid" });
    expect(await payoutsOf(usd)).toHaveLength(1); // nothing new settled: nothing paid again
  });

  it("refuses a day whose cut-off has not come, and a date that is not one", async () => {
    const future = await runCli(["payouts", "run", "--date", day(3)]);
    expect(future.code).toBe(1);
    expect(future.out).toContain("PAYOUT_CUTOFF_NOT_REACHED: the cut-off of");
    const bad = await runCli(["payouts", "run", "--date", "2026-02-30"]);
    expect(bad.code).toBe(1);
    expect(bad.out).toContain("PAYOUT_DATE_INVALID: not a date");
  });

  it("a refused transfer is credited back to the campaign and paid by the next day's run", async () => {
    const id = await activeCampaign(carol);
    await give(bob, id, 2000);
    await setBehavior("carol@example.com", "fail");
    const r1 = await runCli(["payouts", "run", "--date", day(4), "--allow-future-cutoff"]);
    expect(r1.out).toContain("1 failed");
    const [failed] = await payoutsOf(id);
    expect(failed).toMatchObject({ status: "failed", amount: String(net(2000)) });
    expect(await campaignBalance(id)).toBe(-net(2000)); // credited back

    await setBehavior("carol@example.com", "succeed");
    const again = await runCli(["payouts", "run", "--date", day(4), "--allow-future-cutoff"]);
    expect(again.out).toContain("payouts made: 0"); // one payout per campaign and day, even a failed one
    const r2 = await runCli(["payouts", "run", "--date", day(5), "--allow-future-cutoff"]);
    expect(r2.code, r2.out).toBe(0);
    const rows = await payoutsOf(id);
    expect(rows.map((r) => [r.payout_date, r.status, r.amount])).toEqual([
      [day(4), "failed", String(net(2000))],
      [day(5), "paid", String(net(2000))],
    ]);
    expect(await campaignBalance(id)).toBe(0);
  });

  it("a transfer whose answer was lost is looked up, never sent twice", async () => {
    const lost = await activeCampaign(carol);
    await give(bob, lost, 3000);
    await setBehavior("carol@example.com", "lose_answer");
    const r1 = await runCli(["payouts", "run", "--date", day(6), "--allow-future-cutoff"]);
    expect(r1.out).toContain("1 transfers got no answer");
    const [pending] = await payoutsOf(lost);
    expect(pending).toMatchObject({ status: "pending", attempts: 1 });

    await setBehavior("carol@example.com", "succeed");
    const r2 = await runCli(["payouts", "reconcile"]);
    expect(r2.code, r2.out).toBe(0);
    const [paid] = await payoutsOf(lost);
    expect(paid).toMatchObject({ status: "paid", attempts: 1 }); // found by lookup: no second call
    const made = await sql`select count(*)::int as n from sandbox_transfers where transfer_group = ${paid?.id ?? ""}`;
    expect(made[0]?.n).toBe(1);

    // No answer and nothing made (a time-out before the provider acted): the lookup finds nothing, so it is sent again.
    const timedOut = await activeCampaign(carol);
    await give(bob, timedOut, 3000);
    await setBehavior("carol@example.com", "timeout");
    await runCli(["payouts", "run", "--date", day(7), "--allow-future-cutoff"]);
    await setBehavior("carol@example.com", "succeed");
    await runCli(["payouts", "reconcile"]);
    const [p] = await payoutsOf(timedOut);
    expect(p).toMatchObject({ status: "paid", attempts: 2 });
    expect(await campaignBalance(timedOut)).toBe(0);
  }, 150_000); // four CLI processes, each a tsx start: ~25 s idle, over 60 s on a loaded 2-core machine

  it("a refund posted while a run reads the balance is either seen by the run or posted after its payout, never both paid and refunded", async () => {
    const { openDb } = await import("@/db/client");
    const { accounts, postEntries } = await import("@/lib/ledger");
    const { auditLedger } = await import("@/lib/ledger/audit");
    const id = await activeCampaign(carol);
    await give(bob, id, 3000);
    const owner = openDb(tdb.url, 2);
    let commit = () => {};
    const held = new Promise<void>((r) => (commit = r));
    let posted = () => {};
    const refundPosted = new Promise<void>((r) => (posted = r));
    // A refund of 500 whose transaction is still open (as one waiting on its provider call would be)…
    const refund = owner.db.transaction(async (tx) => {
      await postEntries(tx, [
        {
          kind: "refund",
          reference: crypto.randomUUID(),
          description: "a refund racing the payout run",
          provider: "sandbox",
          currency: "USD",
          lines: [
            { account: accounts.campaignCollected(id), amount: 500 },
            { account: accounts.providerClearing("sandbox"), amount: -500 },
          ],
        },
      ]);
      posted();
      await held;
    });
    await refundPosted;
    // …while the day's run starts: it must wait for the refund, then pay what is left.
    const run = cli(["payouts", "run", "--date", day(12), "--allow-future-cutoff"]); // a day no other test runs
    await waitFor(
      async () =>
        run.exitCode !== null || (await sql`select 1 from pg_locks where locktype = 'advisory' and not granted`).length > 0,
      (blocked) => blocked,
      60_000,
    );
    commit();
    await refund;
    expect(await run.done, run.output()).toBe(0);
    const [p] = await payoutsOf(id);
    expect(p?.amount).toBe(String(net(3000) - 500));
    const audit = await auditLedger(owner.db);
    expect(audit.payoutMismatches.filter((m) => m.campaignId === id)).toEqual([]);
    await owner.sql.end();
  }, 150_000);

  it("killed with SIGKILL mid-run again and again, then run to the end: exactly one payout per campaign, none skipped", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 40; i++) {
      const id = await activeCampaign(alice, { title: `Crash test ${i}` });
      await give(bob, id, 2000 + i * 10);
      ids.push(id);
    }
    await setBehavior("alice@example.com", "flaky"); // lost answers and time-outs on top of the kills
    const slow = { SANDBOX_TRANSFER_DELAY_MS: "40", PAYOUT_BATCH_SIZE: "7", PAYOUT_CONCURRENCY: "2" };
    const date = day(8);
    const seen: string[] = [];
    for (let k = 0; k < 6; k++) {
      const p = cli(["payouts", "run", "--date", date, "--allow-future-cutoff"], slow);
      // Kill once it is under way, at a different point each time (making payouts, or submitting them).
      while (!p.output().includes("payouts for") && p.exitCode === null) await new Promise((r) => setTimeout(r, 10));
      await new Promise((r) => setTimeout(r, 100 + k * 150));
      p.kill("SIGKILL");
      await p.done;
      const [s] = await sql<{ made: number; open: number }[]>`
        select count(*)::int as made, count(*) filter (where status in ('pending', 'submitted'))::int as open
        from payouts where payout_date = ${date}`;
      seen.push(`${s?.made}/${s?.open}`);
    }
    await setBehavior("alice@example.com", "succeed");
    const last = await runCli(["payouts", "run", "--date", date, "--allow-future-cutoff"]);
    expect(last.code, last.out).toBe(0);
    await runCli(["payouts", "reconcile"]);
    console.info(`payouts made/open after each kill: ${seen.join(", ")}`);
    // The kills did land mid-run: some state before the end had payouts missing or open.
    expect(seen.some((s) => s !== `${ids.length}/0`)).toBe(true);

    const rows = await sql<{ campaign_id: string; n: number; status: string; amount: string }[]>`
      select campaign_id, count(*)::int as n, min(status::text) as status, sum(amount) as amount
      from payouts where payout_date = ${date} group by campaign_id`;
    expect(rows).toHaveLength(ids.length);
    for (const r of rows) {
      expect(r.n).toBe(1);
      expect(r.status).toBe("paid");
      expect(Number(r.amount)).toBe(net(2000 + ids.indexOf(r.campaign_id) * 10));
    }
    const dup = await sql`select transfer_group, count(*)::int as n from sandbox_transfers
      where status <> 'failed' group by transfer_group having count(*) > 1`;
    expect(dup).toEqual([]);
    for (const id of ids) expect(await campaignBalance(id)).toBe(0);
    const audit = await runCli(["ledger", "audit"]);
    expect(audit.code, audit.out).toBe(0);
  }, 180_000);

  it("only one run at a time: a second one is refused while the first holds the lock", async () => {
    const id = await activeCampaign(alice);
    await give(bob, id, 5000);
    const first = cli(["payouts", "run", "--date", day(9), "--allow-future-cutoff"], { SANDBOX_TRANSFER_DELAY_MS: "3000" });
    await new Promise((r) => setTimeout(r, 1500));
    const second = await runCli(["payouts", "run", "--date", day(9), "--allow-future-cutoff"]);
    expect(second.code).toBe(1);
    expect(second.out).toContain("another payout run is in progress");
    expect(await first.done).toBe(0);
    expect(await payoutsOf(id)).toHaveLength(1);
  });

  it("GET /api/payouts lists the signed-in creator's own payouts only, paginated", async () => {
    const page1 = await api("/api/payouts?limit=2", { base: app.baseUrl, token: alice });
    expect(page1.status).toBe(200);
    expect(page1.headers.get("cache-control")).toContain("no-store");
    expect(page1.body.items).toHaveLength(2);
    expect(Object.keys(page1.body.items[0]).sort()).toEqual(
      [
        "amount",
        "campaignId",
        "campaignTitle",
        "createdAt",
        "currency",
        "failureCode",
        "id",
        "paidAt",
        "payoutDate",
        "status",
      ].sort(),
    );
    const page2 = await api(`/api/payouts?limit=2&cursor=${page1.body.nextCursor}`, { base: app.baseUrl, token: alice });
    expect(page2.body.items[0].id < page1.body.items[1].id).toBe(true);

    const [own] = await sql<{ n: number }[]>`select count(*)::int as n from payouts
      where creator_id = (select id from users where email = 'bob@example.com')`;
    const bobs = await api("/api/payouts?limit=100", { base: app.baseUrl, token: bob });
    expect(bobs.body.items).toHaveLength(own?.n ?? -1);
    const aliceIds = new Set(
      (await api("/api/payouts?limit=100", { base: app.baseUrl, token: alice })).body.items.map((p: { id: string }) => p.id),
    );
    for (const p of bobs.body.items) expect(aliceIds.has(p.id)).toBe(false);

    expect((await api("/api/payouts", { base: app.baseUrl })).status).toBe(401);
    const bad = await api("/api/payouts?cursor=nope&limit=0", { base: app.baseUrl, token: alice });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe("VALIDATION_FAILED");
  });

  it("the cron route runs the day only for the holder of CRON_SECRET, and refuses everyone when it is not set", async () => {
    const url = "/api/cron/payouts";
    expect((await api(url, { base: app.baseUrl })).status).toBe(401);
    const wrong = await api(url, { base: app.baseUrl, headers: { authorization: "Bearer not-the-secret-at-all" } });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe("UNAUTHENTICATED");
    const badDate = await api(`${url}?date=tomorrow`, { base: app.baseUrl, headers: { authorization: `Bearer ${CRON_SECRET}` } });
    expect(badDate.status).toBe(400);
    const future = await api(`${url}?date=${day(30)}`, {
      base: app.baseUrl,
      headers: { authorization: `Bearer ${CRON_SECRET}` },
    });
    expect(future.status).toBe(409);
    expect(future.body.error.code).toBe("PAYOUT_CUTOFF_NOT_REACHED");
    // Where no scheduler runs (Vercel), the daily cron also makes the coming months' partitions
    // (docs/partitioning.md): one three months ahead, dropped here, is there again after the call.
    const ahead = new Date();
    ahead.setUTCDate(1);
    ahead.setUTCMonth(ahead.getUTCMonth() + 3);
    const partition = `ledger_lines_p${ahead.toISOString().slice(0, 7).replace("-", "_")}`;
    await sql.unsafe(`drop table "${partition}"`);
    const ok = await api(url, { base: app.baseUrl, headers: { authorization: `Bearer ${CRON_SECRET}` } });
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body.summary).toMatchObject({ date: day(0), complete: true });
    const [made] = await sql<{ part: string | null }[]>`select to_regclass(${partition})::text as part`;
    expect(made?.part).toBe(partition);
    expect(
      (await api(url, { base: app.baseUrl, method: "POST", headers: { authorization: `Bearer ${CRON_SECRET}` } })).status,
    ).toBe(405);

    const open = await startApp(tdb.url, { ...APP_ENV, CRON_SECRET: "" });
    try {
      const r = await api(url, { base: open.baseUrl, headers: { authorization: "Bearer " } });
      expect(r.status).toBe(401);
      expect(r.body.error.message).toContain("CRON_SECRET is not set");
    } finally {
      await open.stop();
    }
  });

  it("ledger audit catches a payout whose ledger entries do not match its state", async () => {
    const [c] = await sql<{ id: string; creator_id: string }[]>`select id, creator_id from campaigns limit 1`;
    const id = crypto.randomUUID();
    await sql`insert into payouts (id, campaign_id, creator_id, payout_date, amount, currency, status, provider, destination)
      values (${id}, ${c?.id ?? ""}, ${c?.creator_id ?? ""}, ${day(40)}, 100, 'USD', 'paid', 'sandbox', 'acct_x')`;
    try {
      const bad = await runCli(["ledger", "audit"]);
      expect(bad.code).toBe(1);
      expect(bad.out).toMatch(new RegExp(`PAYOUT ${id} of campaign [0-9a-f-]{36} \\(paid\\): no payout entry`));
      expect(bad.out).toContain("ledger audit FAILED");
    } finally {
      await sql`delete from payouts where id = ${id}`;
    }
    expect((await runCli(["ledger", "audit"])).code).toBe(0);
  });

  it("the in-process scheduler runs the day in one instance at a time", async () => {
    const today = day(0);
    const before = await sql<{ runs: number }[]>`select runs from payout_runs where payout_date = ${today}`;
    const env = {
      ...APP_ENV,
      SERVICES: "web,consumers,scheduler,dispatcher",
      PAYOUT_SCHEDULE: "*/2 * * * * *",
      LOG_LEVEL: "info",
    };
    const [a, b] = await Promise.all([startApp(tdb.url, env), startApp(tdb.url, env)]);
    try {
      const [after] = await waitFor(
        () =>
          sql<
            { runs: number; finished_at: Date | null }[]
          >`select runs, finished_at from payout_runs where payout_date = ${today}`,
        (r) => (r[0]?.runs ?? 0) >= (before[0]?.runs ?? 0) + 3 && r[0]?.finished_at != null,
        20_000,
      );
      expect(after?.runs).toBeGreaterThanOrEqual((before[0]?.runs ?? 0) + 3);
      expect(after?.finished_at).not.toBeNull();
      expect(`${a.output()}${b.output()}`).toContain("payouts: daily run done");
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
    // Two instances start at once, then run the day: 60 s ran out once on a 2-core machine busy with other work
    // (a seed beside it), so the test has twice that.
  }, 120_000);
});
