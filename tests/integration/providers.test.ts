/**
 * Provider separation end to end (docs/payouts.md, "Provider separation"): a deployment collects money
 * through the sandbox, then its operator switches it to Stripe (the app restarted with STRIPE_SECRET_KEY,
 * against the local Stripe-protocol server tests/support/fake-stripe.ts). The Stripe payout run must pay
 * the Stripe money only: no transfer carries sandbox money, which stays in the campaign, and the start-up
 * log and the admin pages say it is there. Its own database, so runs and warnings see only this file's money.
 */
import type postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDb } from "@/db/client";
import { sandboxBalancesUnder } from "@/lib/payouts/balances";
import { runCli } from "../support/cli";
import { type AppServer, startApp } from "../support/env";
import { type FakeStripe, startFakeStripe } from "../support/fake-stripe";
import { activeCampaign, api, signIn } from "../support/http";
import { type OwnApp, startOwnApp } from "../support/own-app";
import { waitFor } from "../support/wait";

const FEE_BPS = 500;
const COMMON = { PAYOUT_HOLD_HOURS: "0", PAYOUT_MINIMUM_MINOR: "1000", PLATFORM_FEE_BPS: String(FEE_BPS) };
const net = (amount: number) => amount - Math.floor((amount * FEE_BPS) / 10_000);
/** Day n after today (UTC), YYYY-MM-DD. */
const day = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10);

let own: OwnApp;
let fake: FakeStripe;
let stripeApp: AppServer | undefined;
let sql: postgres.Sql;
let stripeEnv: Record<string, string>;

beforeAll(async () => {
  own = await startOwnApp("providers", { SERVICES: "web,consumers,dispatcher", ...COMMON });
  sql = own.sql;
  fake = await startFakeStripe();
  stripeEnv = {
    ...COMMON,
    STRIPE_SECRET_KEY: "sk_test_providers",
    STRIPE_WEBHOOK_SECRET: "whsec_test_providers",
    STRIPE_PUBLISHABLE_KEY: "pk_test_providers",
    STRIPE_API_BASE: fake.url,
  };
}, 120_000);

afterAll(async () => {
  await stripeApp?.stop();
  await own?.stop();
  await fake?.close();
});

async function give(base: string, token: string, campaignId: string, amount: number) {
  const r = await api(`/api/campaigns/${campaignId}/contributions`, {
    base,
    token,
    json: { amount, currency: "USD", paymentMethod: "pm_card_visa" },
    headers: { "idempotency-key": crypto.randomUUID() },
  });
  expect(r.status, r.text).toBe(201);
  expect(r.body.status).toBe("succeeded");
}

/** What the campaign holds of `provider`'s money (positive: owed to the campaign), minor units. */
async function balanceOf(campaignId: string, provider: string): Promise<number> {
  const [r] = await sql<{ b: string }[]>`
    select coalesce(-sum(l.amount), 0) as b from ledger_lines l
    join ledger_accounts a on a.id = l.account_id join ledger_entries e on e.id = l.entry_id
    where a.kind = 'campaign_collected' and a.owner = ${campaignId} and e.provider = ${provider}`;
  return Number(r?.b ?? 0);
}

const transferRequests = () => fake.requests.filter((r) => r.method === "POST" && r.path === "/v1/transfers");
const stripeRun = (args: string[]) => runCli(args, { DATABASE_URL: own.tdb.url, ...stripeEnv });

describe("after switching from the sandbox to Stripe", () => {
  let mixed: string;
  let sandboxOnly: string;
  let aliceAccount: string;

  it("sandbox money stays in the campaigns and is reported: in the start-up log, to admins, by the lib function", async () => {
    mixed = await activeCampaign(own.alice, own.app.baseUrl);
    sandboxOnly = await activeCampaign(own.alice, own.app.baseUrl);
    await give(own.app.baseUrl, own.bob, mixed, 5000);
    await give(own.app.baseUrl, own.bob, sandboxOnly, 2000);
    expect(await balanceOf(mixed, "sandbox")).toBe(net(5000));

    // The operator configures Stripe and restarts.
    await own.app.stop();
    stripeApp = await startApp(own.tdb.url, { SERVICES: "web,consumers", ...stripeEnv });
    const log = await waitFor(
      async () => stripeApp?.output() ?? "",
      (out) => out.includes("sandbox money in campaign accounts"),
    );
    expect(log).toContain(`2 campaigns hold sandbox money (USD $${((net(5000) + net(2000)) / 100).toFixed(2)})`);
    expect(log.match(/sandbox money in campaign accounts/g)).toHaveLength(1);

    const { db, sql: pool } = openDb(own.tdb.url, 1);
    try {
      expect(await sandboxBalancesUnder(db, "stripe")).toEqual({
        provider: "sandbox",
        campaigns: 2,
        amounts: { USD: net(5000) + net(2000) },
      });
      expect(await sandboxBalancesUnder(db, "sandbox")).toBeNull(); // the sandbox's own money is payable there
    } finally {
      await pool.end();
    }

    const admin = await signIn("carol@example.com", "password", stripeApp.baseUrl);
    const page = await api("/admin/disputes", { base: stripeApp.baseUrl, cookie: admin });
    expect(page.status).toBe(200);
    expect(page.text).toContain("Sandbox money in campaign accounts.");
    const creator = await signIn("alice@example.com", "password", stripeApp.baseUrl);
    const dashboard = await api("/dashboard", { base: stripeApp.baseUrl, cookie: creator });
    expect(dashboard.text).toContain("Not paid out here");
    expect(dashboard.text).not.toContain("Sandbox money in campaign accounts."); // admins only
  });

  it("a Stripe payout run transfers nothing of the sandbox money; Stripe money on the same campaign is paid", async () => {
    const base = stripeApp?.baseUrl as string;
    // Alice connects a Stripe account and finishes onboarding.
    const connect = await api("/api/me/payout-account", { base, method: "POST", token: own.alice });
    expect(connect.status, connect.text).toBe(201);
    aliceAccount = connect.body.account.accountId;
    fake.completeOnboarding(aliceAccount);
    expect((await api("/api/me/payout-account", { base, token: own.alice })).body.account.payoutsEnabled).toBe(true);

    const first = await stripeRun(["payouts", "run", "--date", day(1), "--allow-future-cutoff"]);
    expect(first.code, first.out).toBe(0);
    expect(first.out).toContain("payouts made: 0");
    expect(first.out).toContain("2 campaigns hold money another payment provider collected");
    expect(transferRequests()).toEqual([]);
    expect(await balanceOf(mixed, "sandbox")).toBe(net(5000));

    await give(base, own.bob, mixed, 3000); // through Stripe now
    const second = await stripeRun(["payouts", "run", "--date", day(2), "--allow-future-cutoff"]);
    expect(second.code, second.out).toBe(0);
    expect(second.out).toContain("payouts made: 1");
    expect(second.out).toContain("transfers: 1 paid");
    const sent = transferRequests();
    expect(sent).toHaveLength(1);
    expect(sent[0]?.params).toMatchObject({ amount: String(net(3000)), currency: "usd", destination: aliceAccount });
    const [p] = await sql<{ amount: string; provider: string; status: string }[]>`
      select amount, provider, status from payouts where campaign_id = ${mixed}`;
    expect(p).toEqual({ amount: String(net(3000)), provider: "stripe", status: "paid" });
    expect(await balanceOf(mixed, "stripe")).toBe(0);
    expect(await balanceOf(mixed, "sandbox")).toBe(net(5000)); // still there, never paid through Stripe

    const audit = await stripeRun(["ledger", "audit"]);
    expect(audit.code, audit.out).toBe(0);
    expect(audit.out).toContain("0 provider mismatches");
  });

  it("the guard refuses a Stripe payout of money Stripe did not collect, even one the run did not make", async () => {
    // A payout row and its ledger entry as a faulty run (or a hand) would make them: Stripe's, funded by nothing Stripe collected.
    const [alice] = await sql<{ id: string }[]>`select id from users where email = 'alice@example.com'`;
    const [rogue] = await sql<{ id: string }[]>`
      insert into payouts (id, campaign_id, creator_id, payout_date, available_before, amount, currency, provider, destination)
      values (gen_random_uuid(), ${sandboxOnly}, ${alice?.id as string}, ${day(3)}, now(), ${net(2000)}, 'USD', 'stripe', ${aliceAccount})
      returning id`;
    await sql.begin(async (tx) => {
      const [e] = await tx<{ id: string }[]>`
        insert into ledger_entries (id, kind, reference, description, provider)
        values (gen_random_uuid(), 'payout', ${rogue?.id as string}, 'rogue payout', 'stripe') returning id`;
      await tx`
        insert into ledger_lines (entry_id, account_id, amount, currency)
        select ${e?.id as string}, a.id, case when a.kind = 'campaign_collected' then ${net(2000)}::bigint else ${-net(2000)}::bigint end, 'USD'
        from ledger_accounts a
        where (a.kind = 'campaign_collected' and a.owner = ${sandboxOnly}) or (a.kind = 'creator_payable' and a.owner = ${alice?.id as string})`;
    });
    const before = transferRequests().length;

    const run = await stripeRun(["payouts", "reconcile"]);
    expect(run.code, run.out).toBe(0);
    expect(run.out).toContain(`REFUSED payout ${rogue?.id} of campaign ${sandboxOnly}: more than collected (not sent)`);
    expect(transferRequests()).toHaveLength(before);
    const [p] = await sql<
      { status: string; attempts: number }[]
    >`select status, attempts from payouts where id = ${rogue?.id as string}`;
    expect(p).toEqual({ status: "pending", attempts: 0 });

    // The audit counts each payout against its own provider's money: this one had none.
    const audit = await stripeRun(["ledger", "audit"]);
    expect(audit.code, audit.out).toBe(1);
    expect(audit.out).toContain(
      `PAYOUT ${rogue?.id} of campaign ${sandboxOnly} (pending): paid ${net(2000)} but only 0 was available`,
    );
  });
});
