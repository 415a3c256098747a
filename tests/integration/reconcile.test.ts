/**
 * No payment left pending: with the sandbox's webhooks pointed at a closed port, reconciliation (the in-process
 * scheduler, the contributor's own GET) asks the provider and settles; a payment that needs 3-D Secure answers
 * requires_action with its client secret and next action, completes on the sandbox's page, and is canceled when
 * abandoned; a contribution whose create call never reached the provider fails, one whose answer was lost is
 * found by its metadata. Real app, real PostgreSQL, its own database (its runs see only its contributions).
 */
import { randomUUID } from "node:crypto";
import Stripe from "stripe";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDb } from "@/db/client";
import { resumeRefunds } from "@/lib/payments/refunds";
import { completeSandboxAuthentication, sandboxProvider } from "@/lib/payments/sandbox";
import { settlePayment } from "@/lib/payments/settle";
import { activeCampaign, api } from "../support/http";
import { type OwnApp, startOwnApp } from "../support/own-app";
import { waitFor } from "../support/wait";

const TIMEOUT_S = 8;
const WEBHOOK_SECRET = "whsec_reconcile_test_secret";
const CRON = "cron-secret-for-the-reconcile-test";
let w: OwnApp;
let campaignId: string;

beforeAll(async () => {
  w = await startOwnApp("reconcile", {
    SANDBOX_WEBHOOK_URL: "http://127.0.0.1:9/api/webhooks/stripe", // nothing listens there: every webhook is lost
    SANDBOX_PENDING_MS: "300",
    SANDBOX_WEBHOOK_SECRET: WEBHOOK_SECRET, // so this file can sign events of its own
    CRON_SECRET: CRON,
    PAYMENT_RECONCILE_SCHEDULE: "* * * * * *", // every second
    PAYMENT_RECONCILE_AFTER_SECONDS: "2",
    PAYMENT_ACTION_TIMEOUT_SECONDS: String(TIMEOUT_S),
  });
  campaignId = await activeCampaign(w.alice, w.app.baseUrl);
}, 120_000);
afterAll(() => w?.stop());

const give = (paymentMethod: string, amount = 2500) =>
  api(`/api/campaigns/${campaignId}/contributions`, {
    base: w.app.baseUrl,
    token: w.bob,
    json: { amount, currency: "USD", paymentMethod },
    headers: { "idempotency-key": randomUUID() },
  });
const statusInDb = async (id: string) =>
  (await w.sql`select status, failure_code from contributions where id = ${id}`)[0] as {
    status: string;
    failure_code: string | null;
  };

describe("reconciliation", () => {
  it("settles a paid contribution whose webhook never arrives, without anyone asking", async () => {
    const r = await give("pm_card_processing");
    expect(r.status, r.text).toBe(201);
    expect(r.body.status).toBe("pending");
    // Nobody reads it: the scheduler's job asks the provider once it is older than 2 s.
    const settled = await waitFor(
      () => statusInDb(r.body.id),
      (s) => s.status === "succeeded",
      20_000,
    );
    expect(settled.status).toBe("succeeded");
    const [ev] = await w.sql`select count(*)::int as n from sandbox_events where payment_id in
      (select provider_payment_id from contributions where id = ${r.body.id}) and delivered_at is not null`;
    expect(ev?.n).toBe(0); // proof that no webhook got through: reconciliation did it
    const health = await api("/api/health", { base: w.app.baseUrl, token: w.carol });
    expect(health.body.payments).toMatchObject({ pending: expect.any(Number) });
  });

  it("a 3-D Secure payment answers requires_action with its client secret and next action, then completes", async () => {
    const r = await give("pm_card_authenticationRequired", 3100);
    expect(r.status, r.text).toBe(201);
    expect(r.body).toMatchObject({ status: "requires_action", clientSecret: expect.stringMatching(/^pi_.+_secret_/) });
    expect(r.body.nextAction.type).toBe("redirect_to_url");
    const page = new URL(r.body.nextAction.redirectToUrl);
    expect(page.pathname).toBe("/sandbox/authenticate");
    expect(page.hostname).not.toBe("0.0.0.0");
    // The page is there for the payer (their client secret opens it) and for no one else.
    const local = `${w.app.baseUrl}${page.pathname}${page.search}`;
    const html = await fetch(local);
    expect(html.status).toBe(200);
    expect(await html.text()).toContain("$31.00");
    const wrong = await fetch(
      `${w.app.baseUrl}/sandbox/authenticate?payment_intent=${page.searchParams.get("payment_intent")}&client_secret=nope`,
    );
    expect(wrong.status).toBe(404);
    // Someone else cannot read it; its payer sees it waiting, with what they need to finish.
    expect((await api(`/api/contributions/${r.body.id}`, { base: w.app.baseUrl, token: w.alice })).status).toBe(404);
    const waiting = await api(`/api/contributions/${r.body.id}`, { base: w.app.baseUrl, token: w.bob });
    expect(waiting.body).toMatchObject({ status: "requires_action", clientSecret: r.body.clientSecret });

    const { db, sql } = openDb(w.tdb.url, 1);
    try {
      const back = await completeSandboxAuthentication(db, {
        paymentId: page.searchParams.get("payment_intent") ?? "",
        clientSecret: r.body.clientSecret,
        outcome: "complete",
      });
      // Back to the campaign (a path: the payer stays on the origin they are on), with Stripe's parameters.
      expect(back.returnUrl).toBe(
        `/campaigns/${campaignId}?contribution=${r.body.id}&payment_intent=${page.searchParams.get("payment_intent")}&redirect_status=succeeded`,
      );
    } finally {
      await sql.end();
    }
    // The webhook is lost; the payer's own read asks the provider.
    const done = await waitFor(
      () => api(`/api/contributions/${r.body.id}`, { base: w.app.baseUrl, token: w.bob }),
      (x) => x.body.status === "succeeded",
    );
    expect(done.body.status).toBe("succeeded");
    expect(done.body.clientSecret).toBeUndefined();
  });

  it("a failed authentication fails the contribution", async () => {
    const r = await give("pm_card_authenticationRequired", 1200);
    const { db, sql } = openDb(w.tdb.url, 1);
    try {
      const pi = new URL(r.body.nextAction.redirectToUrl).searchParams.get("payment_intent") ?? "";
      await completeSandboxAuthentication(db, { paymentId: pi, clientSecret: r.body.clientSecret, outcome: "fail" });
    } finally {
      await sql.end();
    }
    const s = await waitFor(
      () => statusInDb(r.body.id),
      (x) => x.status === "failed",
      20_000,
    );
    expect(s).toEqual({ status: "failed", failure_code: "payment_intent_authentication_failure" });
  });

  it("an abandoned authentication is canceled after the timeout and the contribution fails", async () => {
    const r = await give("pm_card_authenticationRequired", 1300);
    expect(r.body.status).toBe("requires_action");
    const s = await waitFor(
      () => statusInDb(r.body.id),
      (x) => x.status === "failed",
      (TIMEOUT_S + 15) * 1000,
    );
    expect(s).toEqual({ status: "failed", failure_code: "abandoned" });
    const [pi] = await w.sql`select status from sandbox_payments where metadata->>'contribution_id' = ${r.body.id}`;
    expect(pi?.status).toBe("canceled");
  }, 40_000);

  it("a create call whose answer was lost is found by its metadata; one that never happened fails", async () => {
    const [bob] = await w.sql`select id from users where email = 'bob@example.com'`;
    const lost = randomUUID();
    const never = randomUUID();
    await w.sql`insert into contributions (id, campaign_id, contributor_id, amount, currency, payment_method, provider, created_at)
      values (${lost}, ${campaignId}, ${bob?.id}, 4200, 'USD', 'pm_card_visa', 'sandbox', now() - interval '5 seconds'),
             (${never}, ${campaignId}, ${bob?.id}, 4300, 'USD', 'pm_card_visa', 'sandbox', now() - interval '1 hour')`;
    // The provider made the payment, but its answer never reached us (no provider_payment_id here).
    const { db, sql } = openDb(w.tdb.url, 1);
    try {
      const provider = sandboxProvider(db, { webhookSecret: "whsec_test", pendingMs: 0 });
      await provider.createPayment({
        contributionId: lost,
        campaignId,
        amount: 4200,
        currency: "USD",
        paymentMethod: "pm_card_visa",
        idempotencyKey: `contribution-${lost}`,
        returnUrl: "http://localhost/",
      });
    } finally {
      await sql.end();
    }
    expect(
      (
        await waitFor(
          () => statusInDb(lost),
          (x) => x.status === "succeeded",
          20_000,
        )
      ).status,
    ).toBe("succeeded");
    expect(
      await waitFor(
        () => statusInDb(never),
        (x) => x.status === "failed",
        20_000,
      ),
    ).toEqual({
      status: "failed",
      failure_code: "payment_not_started",
    });
    // Should the payment appear after all (its create call was only slow), its news settles it: a late success,
    // not a discrepancy with the "never started" answer.
    const late = openDb(w.tdb.url, 1);
    try {
      const provider = sandboxProvider(late.db, { webhookSecret: WEBHOOK_SECRET, pendingMs: 0 });
      const payment = await provider.createPayment({
        contributionId: never,
        campaignId,
        amount: 4300,
        currency: "USD",
        paymentMethod: "pm_card_visa",
        idempotencyKey: `contribution-${never}`,
        returnUrl: "http://localhost/",
      });
      expect((await settlePayment(late.db, { provider: "sandbox", payment, feeBps: 0 })).result).toBe("applied");
    } finally {
      await late.sql.end();
    }
    expect((await statusInDb(never)).status).toBe("succeeded");
    const [disc] = await w.sql`select count(*)::int as n from payment_discrepancies where contribution_id = ${never}`;
    expect(disc?.n).toBe(0);
  });

  it("a webhook whose amount has no equivalent in the app's units is acknowledged and kept for operators, not a 500", async () => {
    // A refund of 10.50 Ft made in the provider's dashboard: Stripe counts HUF in hundredths, the app in forints.
    const payload = JSON.stringify({
      id: `evt_${randomUUID()}`,
      object: "event",
      type: "refund.created",
      data: {
        object: {
          id: "re_odd",
          object: "refund",
          amount: 1050,
          currency: "huf",
          payment_intent: "pi_odd",
          status: "succeeded",
          metadata: {},
        },
      },
    });
    const res = await fetch(`${w.app.baseUrl}/api/webhooks/stripe`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "stripe-signature": Stripe.webhooks.generateTestHeaderString({ payload, secret: WEBHOOK_SECRET }),
      },
      body: payload,
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ received: true, ignored: "amount_not_representable" });
    const [ev] = await w.sql`select outcome, payment_id from provider_events where event_id = ${JSON.parse(payload).id}`;
    expect(ev).toEqual({ outcome: "amount_not_representable", payment_id: "pi_odd" });
  });

  it("resending refunds goes on past one the provider adapter cannot express (a legacy XDR payment)", async () => {
    const [bob] = await w.sql`select id from users where email = 'bob@example.com'`;
    // Written before currencies were checked: an XDR payment the sandbox took, and a refund of it never sent.
    const legacy = randomUUID();
    await w.sql`insert into sandbox_payments (id, idempotency_key, amount, currency, status, payment_method, metadata)
      values (${`pi_sb_legacy_${legacy}`}, ${`legacy-${legacy}`}, 500, 'XDR', 'succeeded', 'pm_card_visa', '{}'::jsonb)`;
    await w.sql`insert into contributions (id, campaign_id, contributor_id, amount, currency, payment_method, provider, status, provider_payment_id, created_at)
      values (${legacy}, ${campaignId}, ${bob?.id}, 500, 'XDR', 'pm_card_visa', 'sandbox', 'succeeded', ${`pi_sb_legacy_${legacy}`}, now() - interval '1 hour')`;
    const stuck = randomUUID();
    await w.sql`insert into refunds (id, contribution_id, campaign_id, amount, currency, provider, created_at)
      values (${stuck}, ${legacy}, ${campaignId}, 500, 'XDR', 'sandbox', now() - interval '3 minutes')`;
    // A USD refund waiting behind it.
    const paid = await give("pm_card_visa", 2000);
    const waiting = randomUUID();
    await w.sql`insert into refunds (id, contribution_id, campaign_id, amount, currency, provider, created_at)
      values (${waiting}, ${paid.body.id}, ${campaignId}, 500, 'USD', 'sandbox', now() - interval '2 minutes')`;

    const { db, sql } = openDb(w.tdb.url, 1);
    const failed: string[] = [];
    try {
      const provider = sandboxProvider(db, { webhookSecret: WEBHOOK_SECRET, pendingMs: 0 });
      await resumeRefunds(db, provider, { onError: (id) => failed.push(id) });
    } finally {
      await sql.end();
    }
    expect(failed).toEqual([stuck]);
    const [sent] = await w.sql`select status, provider_refund_id from refunds where id = ${waiting}`;
    expect(sent?.provider_refund_id).toMatch(/^re_sb_/);
  });

  it("GET /api/cron/reconcile (Vercel Cron) needs the cron secret and answers what it did", async () => {
    const url = `${w.app.baseUrl}/api/cron/reconcile`;
    expect((await fetch(url)).status).toBe(401);
    expect((await fetch(url, { headers: { authorization: "Bearer wrong-secret-of-some-length" } })).status).toBe(401);
    const r = await fetch(url, { headers: { authorization: `Bearer ${CRON}` } });
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({
      payments: { checked: expect.any(Number), settled: expect.any(Number), errors: expect.any(Number), complete: true },
      refundsResent: expect.any(Number),
    });
  });
});
