/**
 * Money that comes back, end to end: the real app on its own database with the sandbox provider (whose
 * refunds, disputes and webhooks behave like Stripe test mode), the event consumers moving the totals, the
 * CLI's payout run and ledger audit as an operator runs them. Runs pay what settled a moment ago
 * (PAYOUT_HOLD_HOURS=0, --allow-future-cutoff), except the test of the hold itself.
 */
import type postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDb } from "@/db/client";
import { closeSandboxDispute } from "@/lib/payments/sandbox";
import { runCli as runCliProcess } from "../support/cli";
import type { AppServer, TestDatabase } from "../support/env";
import { api, activeCampaign as publish, tokenFor } from "../support/http";
import { type OwnApp, startOwnApp } from "../support/own-app";
import { waitFor } from "../support/wait";

const FEE_BPS = 500;
const net = (amount: number) => amount - Math.floor((amount * FEE_BPS) / 10_000);
const day = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10);

let tdb: TestDatabase;
let app: AppServer;
let sql: postgres.Sql;
let alice: string;
let bob: string;
let carol: string; // an admin

const cliEnv = (env: Record<string, string> = {}) => ({
  DATABASE_URL: tdb.url,
  PLATFORM_FEE_BPS: String(FEE_BPS),
  PAYOUT_MINIMUM_MINOR: "100",
  PAYOUT_HOLD_HOURS: "0",
  ...env,
});
const runCli = (args: string[], env?: Record<string, string>) => runCliProcess(args, cliEnv(env));

async function give(token: string, campaignId: string, amount: number, paymentMethod = "pm_card_visa") {
  const r = await api(`/api/campaigns/${campaignId}/contributions`, {
    base: app.baseUrl,
    token,
    json: { amount, currency: "USD", paymentMethod },
    headers: { "idempotency-key": crypto.randomUUID() },
  });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body as { id: string; status: string };
}

const refund = (token: string, contributionId: string, body: object = {}, key: string = crypto.randomUUID()) =>
  api(`/api/contributions/${contributionId}/refunds`, {
    base: app.baseUrl,
    token,
    json: body,
    headers: { "idempotency-key": key },
  });

const campaign = async (id: string) => (await api(`/api/campaigns/${id}`, { base: app.baseUrl })).body;

/** Wait until the consumers have moved the campaign's figures to `want`. */
async function figures(id: string, want: { collectedAmount: number; heldAmount: number; contributionCount?: number }) {
  const got = await waitFor(
    () => campaign(id),
    (c) =>
      c.collectedAmount === want.collectedAmount &&
      c.heldAmount === want.heldAmount &&
      (want.contributionCount === undefined || c.contributionCount === want.contributionCount),
    20_000,
  );
  expect(got).toMatchObject(want);
}

/** Act on the sandbox's side (its dashboard, its dispute evidence) with a database handle of our own. */
async function withDb<T>(fn: (db: ReturnType<typeof openDb>["db"]) => Promise<T>): Promise<T> {
  const { sql: conn, db } = openDb(tdb.url, 1);
  try {
    return await fn(db);
  } finally {
    await conn.end();
  }
}

async function payoutsOf(campaignId: string) {
  return sql<{ amount: string; status: string; payout_date: string }[]>`
    select amount, status::text, payout_date::text from payouts where campaign_id = ${campaignId} order by id`;
}

async function audit() {
  const r = await runCli(["ledger", "audit"]);
  return { ...r, passed: r.code === 0 && r.out.includes("ledger audit passed") };
}

let own: OwnApp | undefined;
beforeAll(async () => {
  own = await startOwnApp("refunds", {
    SERVICES: "web,consumers,dispatcher",
    PLATFORM_FEE_BPS: String(FEE_BPS),
    SANDBOX_PENDING_MS: "500",
    PAYOUT_HOLD_HOURS: "0",
  });
  ({ tdb, app, sql, alice, bob, carol } = own);
}, 120_000);

afterAll(() => own?.stop());

describe("refunds and disputes", () => {
  it("a refund made at the provider and a dispute: the page shows $70.00 with $70.00 held, the creator is paid none of it, the audit passes", async () => {
    const id = await publish(alice, app.baseUrl, { goalAmount: 17000 });
    const hundred = await give(bob, id, 10000);
    const seventy = await give(bob, id, 7000, "pm_card_createDispute");
    await figures(id, { collectedAmount: 17000, heldAmount: 0, contributionCount: 2 });

    // Refunded in the provider's dashboard: only the webhooks (refund.created, charge.refunded) tell us.
    const dashboard = await runCli(["sandbox", "refund", "--id", hundred.id]);
    expect(dashboard.code, dashboard.out).toBe(0);
    expect(dashboard.out).toMatch(/sandbox refund re_sb_\S+: \$100\.00 of pi_sb_/);
    // The dispute card's dispute opens a moment later (charge.dispute.created, then funds_withdrawn).
    await figures(id, { collectedAmount: 7000, heldAmount: 7000, contributionCount: 1 });
    const refunded = await api(`/api/contributions/${hundred.id}`, { base: app.baseUrl, token: bob });
    expect(refunded.body).toMatchObject({ status: "refunded", refundedAmount: 10000 });
    const [d] = await waitFor(
      () =>
        sql<
          { status: string; fee: string; funds_withdrawn_at: Date | null }[]
        >`select status, fee, funds_withdrawn_at from disputes where contribution_id = ${seventy.id}`,
      (rows) => rows[0]?.funds_withdrawn_at != null,
    );
    expect(d).toMatchObject({ status: "needs_response", fee: "1500" });

    const run = await runCli(["payouts", "run", "--date", day(1), "--allow-future-cutoff"]);
    expect(run.code, run.out).toBe(0);
    expect(await payoutsOf(id)).toEqual([]); // $170 in, $100 back, $70 held: nothing to pay
    const a = await audit();
    expect(a.passed, a.out).toBe(true);

    // Admins see the open dispute; others may not.
    const list = await api("/api/disputes?open=true", { base: app.baseUrl, token: carol });
    expect(list.status).toBe(200);
    expect(list.body.items.map((x: { contributionId: string }) => x.contributionId)).toContain(seventy.id);
    expect((await api("/api/disputes", { base: app.baseUrl, token: alice })).status).toBe(403);

    // A disputed contribution cannot be refunded (Stripe refuses it too).
    const refused = await refund(alice, seventy.id);
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe("CONTRIBUTION_DISPUTED");

    // Won: the held money is the campaign's again, and the next run pays it.
    const [open] = await sql<{ id: string }[]>`select id from disputes where contribution_id = ${seventy.id}`;
    const won = await runCli(["sandbox", "dispute-close", "--id", open?.id as string, "--outcome", "won"]);
    expect(won.code, won.out).toBe(0);
    const again = await runCli(["sandbox", "dispute-close", "--id", open?.id as string, "--outcome", "lost"]);
    expect(again.code).toBe(1); // closed already
    await figures(id, { collectedAmount: 7000, heldAmount: 0, contributionCount: 1 });
    const next = await runCli(["payouts", "run", "--date", day(2), "--allow-future-cutoff"]);
    expect(next.code, next.out).toBe(0);
    expect(await payoutsOf(id)).toMatchObject([{ amount: String(net(7000)), status: "paid" }]);
    const after = await audit();
    expect(after.passed, after.out).toBe(true);
    // Seven CLI processes (each a fresh Node with tsx, its own pool and the migration check): 25 s on an idle
    // 2-core machine, over 60 s when the suite runs beside other work.
  }, 150_000);

  it("a lost dispute takes the money for good: the total drops, nothing is paid, the books balance", async () => {
    const id = await publish(alice, app.baseUrl);
    const c = await give(bob, id, 4000, "pm_card_createDispute");
    await figures(id, { collectedAmount: 4000, heldAmount: 4000 });
    const [row] = await sql<{ id: string }[]>`select id from disputes where contribution_id = ${c.id}`;
    await withDb((db) => closeSandboxDispute(db, row?.id as string, "lost"));
    await figures(id, { collectedAmount: 0, heldAmount: 0 });
    const run = await runCli(["payouts", "run", "--date", day(3), "--allow-future-cutoff"]);
    expect(run.code, run.out).toBe(0);
    expect(await payoutsOf(id)).toEqual([]);
    const a = await audit();
    expect(a.passed, a.out).toBe(true);
  });

  it("refunds through the API: partial then the rest, never more than the contribution, idempotent, for the creator and admins only", async () => {
    const id = await publish(alice, app.baseUrl);
    const c = await give(bob, id, 5000);
    await figures(id, { collectedAmount: 5000, heldAmount: 0, contributionCount: 1 });

    // Who may: the donor is refused (403), a stranger does not see it (404).
    expect((await refund(bob, c.id)).status).toBe(403);
    await sql`insert into users (id, email, name) values (gen_random_uuid(), 'dave@example.com', 'Dave') on conflict do nothing`;
    const stranger = await tokenFor("dave@example.com", tdb.url);
    expect((await refund(stranger, c.id)).status).toBe(404);
    expect((await refund(alice, "not-a-uuid")).status).toBe(404);
    const bad = await refund(alice, c.id, { amount: 12.5 });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe("VALIDATION_FAILED");

    const key = crypto.randomUUID();
    const part = await refund(alice, c.id, { amount: 2000, reason: "asked by the donor" }, key);
    expect(part.status).toBe(201);
    expect(part.body).toMatchObject({ contributionId: c.id, amount: 2000, currency: "USD", status: "succeeded" });
    const replay = await refund(alice, c.id, { amount: 2000, reason: "asked by the donor" }, key);
    expect(replay.body.id).toBe(part.body.id);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    const reused = await refund(alice, c.id, { amount: 1000 }, key);
    expect(reused.status).toBe(422);
    expect(reused.body.error.code).toBe("IDEMPOTENCY_KEY_REUSED");

    const over = await refund(carol, c.id, { amount: 3001 });
    expect(over.status).toBe(409);
    expect(over.body.error.code).toBe("REFUND_EXCEEDS_CONTRIBUTION");
    expect(await api(`/api/contributions/${c.id}`, { base: app.baseUrl, token: bob })).toMatchObject({
      body: { status: "partially_refunded", refundedAmount: 2000 },
    });
    await figures(id, { collectedAmount: 3000, heldAmount: 0, contributionCount: 1 });
    const shown = await api(`/api/campaigns/${id}/contributions`, { base: app.baseUrl });
    expect(shown.body.items.map((x: { amount: number }) => x.amount)).toEqual([3000]); // what the campaign keeps

    const rest = await refund(carol, c.id); // an admin; default: what remains
    expect(rest.body).toMatchObject({ amount: 3000, status: "succeeded" });
    expect((await refund(alice, c.id)).body.error.code).toBe("REFUND_EXCEEDS_CONTRIBUTION");
    await figures(id, { collectedAmount: 0, heldAmount: 0, contributionCount: 0 });
    const listed = await api(`/api/contributions/${c.id}/refunds`, { base: app.baseUrl, token: bob });
    expect(listed.body.items.map((r: { amount: number }) => r.amount)).toEqual([3000, 2000]);
    const pub = await api(`/api/campaigns/${id}/contributions`, { base: app.baseUrl });
    expect(pub.body.items).toEqual([]); // a fully refunded gift is no longer shown

    // The whole fee went back with the whole amount, whatever the steps.
    const [fees] = await sql<
      { fee: string }[]
    >`select coalesce(sum(fee_amount), 0) as fee from refunds where contribution_id = ${c.id}`;
    expect(Number(fees?.fee)).toBe(Math.floor((5000 * FEE_BPS) / 10_000));

    // A contribution still pending has nothing to refund.
    const pending = await give(bob, id, 1500, "pm_card_processing");
    const early = await refund(alice, pending.id);
    expect(early.status).toBe(409);
    expect(early.body.error.code).toBe("CONTRIBUTION_NOT_REFUNDABLE");
    const a = await audit();
    expect(a.passed, a.out).toBe(true);
  });

  it("a refund that fails at the provider gives the money back to the campaign once", async () => {
    const id = await publish(alice, app.baseUrl);
    const c = await give(bob, id, 2500, "pm_card_refundFail");
    await figures(id, { collectedAmount: 2500, heldAmount: 0, contributionCount: 1 });
    const r = await refund(alice, c.id);
    expect(r.body).toMatchObject({ status: "succeeded", amount: 2500 });
    await figures(id, { collectedAmount: 0, heldAmount: 0, contributionCount: 0 });
    const failed = await waitFor(
      async () => (await api(`/api/contributions/${c.id}/refunds`, { base: app.baseUrl, token: alice })).body.items[0],
      (x) => x?.status === "failed",
      20_000,
    );
    expect(failed.failure.code).toBe("expired_or_canceled_card");
    await figures(id, { collectedAmount: 2500, heldAmount: 0, contributionCount: 1 });
    expect((await api(`/api/contributions/${c.id}`, { base: app.baseUrl, token: bob })).body).toMatchObject({
      status: "succeeded",
      refundedAmount: 0,
    });
    const a = await audit();
    expect(a.passed, a.out).toBe(true);
  });

  it("a refund after a payout is recovered from the next payout, never by a negative transfer", async () => {
    const id = await publish(alice, app.baseUrl);
    const first = await give(bob, id, 6000);
    const run1 = await runCli(["payouts", "run", "--date", day(4), "--allow-future-cutoff"]);
    expect(run1.code, run1.out).toBe(0);
    expect(await payoutsOf(id)).toMatchObject([{ amount: String(net(6000)), status: "paid" }]);

    expect((await refund(alice, first.id)).body.status).toBe("succeeded");
    const owed = net(6000); // the campaign gave it all to its creator already
    const [bal] = await sql<{ b: string }[]>`
      select coalesce(-sum(l.amount), 0) as b from ledger_lines l join ledger_accounts a on a.id = l.account_id
      where a.kind = 'campaign_collected' and a.owner = ${id}`;
    expect(Number(bal?.b)).toBe(-owed);
    const run2 = await runCli(["payouts", "run", "--date", day(5), "--allow-future-cutoff"]);
    expect(run2.code, run2.out).toBe(0);
    expect(await payoutsOf(id)).toHaveLength(1); // nothing, and above all no negative transfer

    await give(bob, id, 10000);
    const run3 = await runCli(["payouts", "run", "--date", day(6), "--allow-future-cutoff"]);
    expect(run3.code, run3.out).toBe(0);
    const all = await payoutsOf(id);
    expect(all).toHaveLength(2);
    expect(all[1]).toMatchObject({ amount: String(net(10000) - owed), status: "paid" });
    const a = await audit();
    expect(a.passed, a.out).toBe(true);
  });

  it("with PAYOUT_HOLD_HOURS, money that settled too recently waits for a later run", async () => {
    const id = await publish(alice, app.baseUrl);
    await give(bob, id, 3000);
    const held = await runCli(["payouts", "run", "--date", day(7), "--allow-future-cutoff"], { PAYOUT_HOLD_HOURS: "240" });
    expect(held.code, held.out).toBe(0);
    expect(await payoutsOf(id)).toEqual([]);
    const later = await runCli(["payouts", "run", "--date", day(8), "--allow-future-cutoff"]);
    expect(later.code, later.out).toBe(0);
    expect(await payoutsOf(id)).toMatchObject([{ amount: String(net(3000)) }]);
  });

  it("the audit fails, naming the campaign, when the books are wrong", async () => {
    const id = await publish(alice, app.baseUrl);
    const c = await give(bob, id, 3300);
    await figures(id, { collectedAmount: 3300, heldAmount: 0 });
    expect((await refund(alice, c.id, { amount: 300 })).status).toBe(201);
    const ok = await audit();
    expect(ok.passed, ok.out).toBe(true);

    // A refunded amount that no refund explains.
    await sql`update contributions set refunded_amount = 500 where id = ${c.id}`;
    const wrong = await audit();
    expect(wrong.code).toBe(1);
    expect(wrong.out).toContain(`CONTRIBUTION ${c.id} of campaign ${id}`);
    expect(wrong.out).toContain("ledger audit FAILED");
    await sql`update contributions set refunded_amount = 300 where id = ${c.id}`;

    // A hand-edited ledger line (past the append-only trigger, as a superuser could).
    await sql.begin(async (tx) => {
      await tx`alter table ledger_lines disable trigger ledger_lines_append_only`;
      await tx`update ledger_lines set amount = amount + 1 where id = (
        select l.id from ledger_lines l join ledger_entries e on e.id = l.entry_id
        join ledger_accounts a on a.id = l.account_id and a.kind = 'provider_clearing'
        join refunds r on r.id::text = e.reference where e.kind = 'refund' and r.contribution_id = ${c.id})`;
      await tx`alter table ledger_lines enable trigger ledger_lines_append_only`;
    });
    const broken = await audit();
    expect(broken.code).toBe(1);
    expect(broken.out).toMatch(/UNBALANCED entry/);
    expect(broken.out).toContain(`of campaign ${id}`);
  });
});
