/**
 * The app configured for real Stripe, end to end over HTTP: our API → the Stripe
 * adapter → the real `stripe` SDK → a local server speaking Stripe's protocol
 * (tests/support/fake-stripe.ts); and Stripe-signed webhooks with the configured
 * STRIPE_WEBHOOK_SECRET. Live Stripe is never reached.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { paymentIdempotencyKey } from "@/lib/payments/provider";
import { type AppServer, startApp } from "../support/env";
import { type FakeStripe, startFakeStripe } from "../support/fake-stripe";
import { api, signIn, tokenFor, validCampaign } from "../support/http";
import { postWebhook, query, signedEvent, waitFor } from "../support/payments";

const WEBHOOK_SECRET = "whsec_test_stripe_app_suite";
let fake: FakeStripe;
let app: AppServer;

beforeAll(async () => {
  fake = await startFakeStripe();
  app = await startApp(inject("databaseUrl"), {
    STRIPE_SECRET_KEY: "sk_test_suite",
    STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
    STRIPE_PUBLISHABLE_KEY: "pk_test_suite",
    STRIPE_API_BASE: fake.url,
  });
});
afterAll(async () => {
  await app?.stop();
  await fake?.close();
});

const contribute = (token: string, campaignId: string, body: object) =>
  api(`/api/campaigns/${campaignId}/contributions`, {
    base: app.baseUrl,
    token,
    json: body,
    headers: { "idempotency-key": crypto.randomUUID() },
  });

describe("with Stripe configured", () => {
  it("charges through the Stripe adapter with the contribution's idempotency key, and declines cleanly", async () => {
    const alice = await tokenFor("alice@example.com");
    const bob = await tokenFor("bob@example.com");
    const c = (await api("/api/campaigns", { base: app.baseUrl, token: alice, json: validCampaign() })).body;
    const ok = await contribute(bob, c.id, { amount: 2000, currency: "USD", paymentMethod: "pm_card_visa" });
    expect(ok.status).toBe(201);
    expect(ok.body.status).toBe("succeeded");
    const sent = fake.requests.find((r) => r.path === "/v1/payment_intents" && r.method === "POST");
    expect(sent?.headers["idempotency-key"]).toBe(paymentIdempotencyKey(ok.body.id));
    expect(sent?.params).toMatchObject({ amount: "2000", currency: "usd", confirm: "true", payment_method: "pm_card_visa" });
    const declined = await contribute(bob, c.id, { amount: 2000, currency: "USD", paymentMethod: "pm_card_chargeDeclined" });
    expect(declined.body).toMatchObject({ status: "failed", failure: { code: "generic_decline" } });
    const total = await waitFor(
      async () => (await api(`/api/campaigns/${c.id}`, { base: app.baseUrl })).body.collectedAmount,
      (v) => v === 2000,
    );
    expect(total).toBe(2000);
  });

  it("settles a processing payment from a webhook signed with STRIPE_WEBHOOK_SECRET, and refuses the sandbox's secret", async () => {
    const alice = await tokenFor("alice@example.com");
    const bob = await tokenFor("bob@example.com");
    const c = (await api("/api/campaigns", { base: app.baseUrl, token: alice, json: validCampaign() })).body;
    const r = await contribute(bob, c.id, { amount: 3100, currency: "USD", paymentMethod: "pm_card_pending" });
    expect(r.body.status).toBe("pending");
    const [row] = await query<{ provider_payment_id: string }>("select provider_payment_id from contributions where id = $1", [
      r.body.id,
    ]);
    const intent = { id: row?.provider_payment_id as string, amount: 3100, currency: "USD", contributionId: r.body.id };
    const wrong = await postWebhook(signedEvent("payment_intent.succeeded", intent), app.baseUrl); // the sandbox's secret
    expect(wrong.status).toBe(400);
    const good = await postWebhook(signedEvent("payment_intent.succeeded", intent, { secret: WEBHOOK_SECRET }), app.baseUrl);
    expect(good.body.result).toBe("applied");
    expect((await api(`/api/contributions/${r.body.id}`, { base: app.baseUrl, token: bob })).body.status).toBe("succeeded");
  });

  it("offers Stripe's Payment Element (cards, wallets, Link) on the campaign page", async () => {
    const alice = await tokenFor("alice@example.com");
    const c = (await api("/api/campaigns", { base: app.baseUrl, token: alice, json: validCampaign() })).body;
    const cookie = await signIn("bob@example.com", "password", app.baseUrl);
    const page = await api(`/campaigns/${c.id}`, { base: app.baseUrl, cookie });
    expect(page.status).toBe(200);
    expect(page.text).toContain("Card, Apple Pay, Google Pay or Link: details go straight to Stripe.");
    expect(page.headers.get("content-security-policy")).toContain("https://js.stripe.com");
  });

  it("connecting a payout account while Stripe fails is a 503 that makes nothing; a retry then connects", async () => {
    const carol = await tokenFor("carol@example.com");
    const before = fake.accounts.size;
    fake.failNextRequests(20); // more than the SDK's retries
    const down = await api("/api/me/payout-account", { base: app.baseUrl, method: "POST", token: carol });
    fake.failNextRequests(0);
    expect(down.status).toBe(503);
    expect(down.body.error.code).toBe("PAYOUT_PROVIDER_UNAVAILABLE");
    expect(fake.accounts.size).toBe(before);
    expect((await api("/api/me/payout-account", { base: app.baseUrl, token: carol })).body.account).toBeNull();

    const up = await api("/api/me/payout-account", { base: app.baseUrl, method: "POST", token: carol });
    expect(up.status, up.text).toBe(201);
    expect(up.body.onboardingUrl).toMatch(/^https?:\/\//);
    expect(fake.accounts.size).toBe(before + 1);
  });
});
